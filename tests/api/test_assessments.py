"""GET /assessments (own, team's, all), one assessment and its history, and POST /assessments by managers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from storage import assessments
from storage.models import AuditEvent, OutboxMessage, Reminder
from tests.api.conftest import ADMIN, EMPLOYEE, MANAGER, ApiClient, ApiFactory, Sessions

NOW = datetime(2027, 3, 1, 10, 0, tzinfo=ZoneInfo("Asia/Macau"))  # a Monday
HR_TEAM = {MANAGER, EMPLOYEE, "sou.kamfai"}  # lei.mei heads HR
# (owner, type, days until due, status): interleaved so that one owner's ids and due dates are not contiguous;
# two share a due date so that the tie is broken by id across a page boundary.
SEED: list[tuple[str, str, int, str]] = [
    (EMPLOYEE, "transfer_route", 9, "open"), ("lam.siuyin", "notification", 3, "open"),
    (MANAGER, "processor_contract", -2, "open"), (EMPLOYEE, "notification", 3, "done"),
    ("sou.kamfai", "impact_assessment", 20, "in_progress"), (ADMIN, "transfer_route", 1, "waived"),
    (EMPLOYEE, "impact_assessment", -5, "in_progress"), ("lam.siuyin", "transfer_route", 9, "open"),
    (EMPLOYEE, "transfer_route", 40, "open"),
]


@pytest.fixture
async def api(make_api: ApiFactory) -> ApiClient:
    return await make_api(clock=lambda: NOW)


async def seed(sessions: Sessions) -> list[int]:
    """The SEED assessments; returns their ids in order."""
    ids = []
    async with sessions.begin() as session:
        for n, (owner, kind, days, status) in enumerate(SEED):
            created = await assessments.create_assessment(
                session, at=NOW, title=f"assessment {n}", type=kind, owner=owner, due_at=NOW + timedelta(days=days),
                status=status, source="admin", created_by=ADMIN)
            ids.append(created.id)
    return ids


def expected(ids: list[int], keep: Any) -> list[int]:
    """The SEED ids `keep(owner, type, days, status)` selects, soonest due first, ties by id."""
    chosen = [(days, ids[n]) for n, (owner, kind, days, status) in enumerate(SEED) if keep(owner, kind, days, status)]
    return [id for _, id in sorted(chosen)]


async def walk(api: ApiClient, token: str, **params: Any) -> list[int]:
    seen: list[int] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        status, body, _ = await api.call("GET", "/assessments", token=token, params=query)
        assert status == 200, body
        seen += [item["id"] for item in body["items"]]
        if (cursor := body["nextCursor"]) is None:
            return seen


async def test_each_role_sees_its_own_soonest_due_first_across_pages(api: ApiClient) -> None:
    ids = await seed(api.sessions)
    visible = {EMPLOYEE: {EMPLOYEE}, MANAGER: HR_TEAM, ADMIN: {owner for owner, *_ in SEED}}
    for who, people in visible.items():
        token = await api.sign_in(who)
        assert await walk(api, token, limit=2) == expected(ids, lambda owner, *_, p=people: owner in p), who
        assert await walk(api, token) == await walk(api, token, limit=1), who


async def test_filters_narrow_within_what_the_caller_may_see(api: ApiClient) -> None:
    ids = await seed(api.sessions)
    manager, admin = await api.sign_in(MANAGER), await api.sign_in(ADMIN)
    assert await walk(api, admin, status="open") == expected(ids, lambda o, k, d, s: s == "open")
    assert await walk(api, admin, type="transfer_route", limit=1) == expected(ids, lambda o, k, d, s:
                                                                              k == "transfer_route")
    assert await walk(api, manager, owner=EMPLOYEE) == expected(ids, lambda o, k, d, s: o == EMPLOYEE)
    assert await walk(api, manager, owner="lam.siuyin") == []  # another team's: as if there were none
    overdue = await walk(api, manager, overdue="true")
    assert overdue == expected(ids, lambda o, k, d, s: o in HR_TEAM and d < 0 and s in ("open", "in_progress"))
    not_overdue = await walk(api, manager, overdue="false")
    assert sorted(overdue + not_overdue) == sorted(expected(ids, lambda o, *_: o in HR_TEAM))
    window = {"dueAfter": (NOW + timedelta(days=3)).isoformat(), "dueBefore": (NOW + timedelta(days=20)).isoformat()}
    assert await walk(api, admin, **window) == expected(ids, lambda o, k, d, s: 3 <= d < 20)


async def test_items_carry_the_owner_the_dates_and_overdue(api: ApiClient) -> None:
    ids = await seed(api.sessions)
    status, body, _ = await api.call("GET", "/assessments", token=await api.sign_in(EMPLOYEE), params={"limit": 1})
    assert status == 200
    [item] = body["items"]
    assert item["id"] == ids[6] and item["overdue"] is True and item["status"] == "in_progress"
    assert item["owner"] == {"userId": EMPLOYEE, "name": "鄭家慧"}
    assert datetime.fromisoformat(item["dueAt"]) == NOW - timedelta(days=5)
    assert set(item) == {"id", "title", "type", "owner", "dueAt", "status", "overdue", "dataFlow", "evidence",
                         "waivedReason", "source", "obligationId", "snoozedUntil", "createdAt", "updatedAt",
                         "closedAt", "version"}


@pytest.mark.parametrize("params, field", [
    ({"status": "finished"}, "status"), ({"type": "dpia"}, "type"), ({"overdue": "maybe"}, "overdue"),
    ({"dueBefore": "2027-03-01T10:00:00"}, "dueBefore"), ({"cursor": "not-a-cursor"}, "cursor"),
    ({"limit": "0"}, "limit"), ({"dueAfter": "2027-03-02T00:00:00Z", "dueBefore": "2027-03-01T00:00:00Z"}, "dueBefore"),
])
async def test_a_bad_query_is_a_400_naming_the_parameter(api: ApiClient, params: dict[str, str], field: str) -> None:
    status, body, _ = await api.call("GET", "/assessments", token=await api.sign_in(EMPLOYEE), params=params)
    assert status == 400 and [e["field"] for e in body["errors"]] == [field], body


async def test_one_assessment_and_its_history_are_404_to_whoever_may_not_see_it(api: ApiClient) -> None:
    ids = await seed(api.sessions)
    own, team, other = ids[0], ids[4], ids[1]  # the employee's; sou.kamfai's (HR); lam.siuyin's (Finance)
    tokens = {who: await api.sign_in(who) for who in (EMPLOYEE, MANAGER, ADMIN)}
    cases = [(EMPLOYEE, own, 200), (EMPLOYEE, team, 404), (EMPLOYEE, other, 404), (MANAGER, team, 200),
             (MANAGER, other, 404), (ADMIN, other, 200), (ADMIN, 10**9, 404)]
    for who, id, want in cases:
        for path in (f"/assessments/{id}", f"/assessments/{id}/history"):
            status, body, _ = await api.call("GET", path, token=tokens[who])
            assert status == want, (who, path, body)
    _, unseen, _ = await api.call("GET", f"/assessments/{other}", token=tokens[EMPLOYEE])
    _, missing, _ = await api.call("GET", "/assessments/999999", token=tokens[EMPLOYEE])
    assert unseen["detail"].replace(str(other), "N") == missing["detail"].replace("999999", "N")


def new(owner: str = EMPLOYEE, **changes: Any) -> dict[str, Any]:
    return {"title": "Notify DSPDP of the new CCTV", "type": "notification", "owner": owner,
            "dueAt": (NOW + timedelta(days=10)).isoformat(), "note": "lobby cameras", **changes}


async def test_a_manager_opens_one_for_their_team_and_its_reminders_are_planned(api: ApiClient) -> None:
    manager = await api.sign_in(MANAGER)
    status, item, _ = await api.call("POST", "/assessments", token=manager, json=new())
    assert status == 200, item
    assert (item["owner"]["userId"], item["status"], item["version"], item["source"]) == (EMPLOYEE, "open", 1, "admin")
    assert item["dataFlow"] == {"note": "lobby cameras"} and datetime.fromisoformat(item["dueAt"]) == NOW + \
        timedelta(days=10)
    async with api.sessions() as session:
        planned = {(r.kind, r.recipient) for r in await session.scalars(
            select(Reminder).where(Reminder.assessment_id == item["id"], Reminder.status == "planned"))}
        [event] = await session.scalars(select(AuditEvent).where(AuditEvent.subject == f"assessment:{item['id']}"))
        told = await session.scalar(select(func.count()).select_from(OutboxMessage))
    assert {("lead:7", EMPLOYEE), ("lead:1", EMPLOYEE), ("escalate:manager", MANAGER)} <= planned
    assert (event.actor, event.action, event.details["owner"]) == (MANAGER, "assessment.created", EMPLOYEE)
    assert told == 1  # the owner hears they have it

    status, body, _ = await api.call("POST", "/assessments", token=manager, json=new("lam.siuyin"))
    assert status == 403 and "not in your team" in body["detail"]
    status, item, _ = await api.call("POST", "/assessments", token=await api.sign_in(ADMIN), json=new("lam.siuyin"))
    assert status == 200 and item["owner"] == {"userId": "lam.siuyin", "name": "林小燕"}
    status, _, _ = await api.call("POST", "/assessments", token=await api.sign_in(EMPLOYEE), json=new())
    assert status == 403


@pytest.mark.parametrize("changes, fields", [
    ({"type": "dpia", "owner": ""}, ["type", "owner"]), ({"dueAt": "2027-04-01T10:00:00"}, ["dueAt"]),
    ({"dueAt": "2027-02-01T10:00:00+08:00"}, ["dueAt"]), ({"owner": "no.such.person"}, ["owner"]),
    ({"title": "   "}, ["title"]), ({"colour": "red"}, ["colour"]),
])
async def test_a_bad_new_assessment_is_a_400_naming_each_field(api: ApiClient, changes: dict[str, Any],
                                                               fields: list[str]) -> None:
    status, body, _ = await api.call("POST", "/assessments", token=await api.sign_in(ADMIN), json=new(**changes))
    assert status == 400 and sorted(e["field"] for e in body["errors"]) == sorted(fields), body
    async with api.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(AuditEvent)) == 0


async def test_history_lists_the_audit_entries_and_the_reminders_oldest_first(api: ApiClient) -> None:
    manager, employee = await api.sign_in(MANAGER), await api.sign_in(EMPLOYEE)
    _, item, _ = await api.call("POST", "/assessments", token=manager, json=new())
    until = (NOW + timedelta(days=1)).isoformat()
    status, item, _ = await api.call("PATCH", f"/assessments/{item['id']}", token=employee,
                                     json={"version": 1, "snoozedUntil": until})
    assert status == 200, item
    status, history, _ = await api.call("GET", f"/assessments/{item['id']}/history", token=employee)
    assert status == 200
    assert [(e["action"], e["actor"]["userId"]) for e in history["events"]] == [
        ("assessment.created", MANAGER), ("assessment.snoozed", EMPLOYEE)]
    assert history["events"][0]["actor"]["name"] == "李美"
    sends = [datetime.fromisoformat(r["sendAt"]) for r in history["reminders"]]
    assert sends == sorted(sends) and {r["status"] for r in history["reminders"]} == {"planned"}
    assert set(history["reminders"][0]) == {"id", "kind", "recipient", "sendAt", "status", "sentAt", "reason"}
    assert history["assessment"]["version"] == 2
