"""PATCH /assessments/{id}: done, waived, rescheduled, delegated, snoozed, at the version last read, by whom."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from handlers.context import OrgPolicy
from handlers.reminders.planner import snooze_until
from storage import assessments
from storage.models import AuditEvent, Reminder
from tests.api.conftest import ADMIN, EMPLOYEE, MANAGER, ApiClient, ApiFactory, Sessions
from tests.api.test_assessments import NOW, new


@pytest.fixture
async def api(make_api: ApiFactory) -> ApiClient:
    return await make_api(clock=lambda: NOW)


async def opened(api: ApiClient, owner: str = EMPLOYEE) -> int:
    """A new assessment of `owner`'s, due in 10 days, opened by an admin with its reminders planned."""
    status, item, _ = await api.call("POST", "/assessments", token=await api.sign_in(ADMIN), json=new(owner))
    assert status == 200, item
    return int(item["id"])


async def reminders_of(sessions: Sessions, id: int, status: str = "planned") -> set[tuple[str, str]]:
    async with sessions() as session:
        rows = await session.scalars(select(Reminder).where(Reminder.assessment_id == id, Reminder.status == status))
        return {(row.kind, row.recipient) for row in rows}


async def actions_on(sessions: Sessions, id: int) -> list[tuple[str, str]]:
    async with sessions() as session:
        events = await session.scalars(
            select(AuditEvent).where(AuditEvent.subject == f"assessment:{id}").order_by(AuditEvent.seq))
        return [(event.action, event.actor) for event in events]


async def patch(api: ApiClient, who: str, id: int, **body: Any) -> tuple[int, Any]:
    status, answer, _ = await api.call("PATCH", f"/assessments/{id}", token=await api.sign_in(who), json=body)
    return status, answer


async def test_done_closes_it_stops_its_reminders_and_is_audited_like_the_card(api: ApiClient) -> None:
    id = await opened(api)
    assert ("lead:7", EMPLOYEE) in await reminders_of(api.sessions, id)
    status, item = await patch(api, EMPLOYEE, id, version=1, status="done", evidence="standard contract signed")
    assert status == 200, item
    assert (item["status"], item["version"]) == ("done", 2) and item["closedAt"] is not None
    assert item["evidence"].endswith(f"{EMPLOYEE}: standard contract signed")  # stamped as the card stamps it
    assert await reminders_of(api.sessions, id) == set()
    assert ("lead:7", EMPLOYEE) in await reminders_of(api.sessions, id, "skipped")
    assert await actions_on(api.sessions, id) == [("assessment.created", ADMIN), ("assessment.done", EMPLOYEE)]

    status, body = await patch(api, EMPLOYEE, id, version=1, status="done", evidence="again")
    assert status == 409 and "version 2, not 1" in body["detail"]
    status, body = await patch(api, ADMIN, id, version=2, snoozedUntil=(NOW + timedelta(days=1)).isoformat())
    assert status == 409 and "done already" in body["detail"]


async def test_a_stale_version_changes_nothing(api: ApiClient) -> None:
    id = await opened(api)
    assert (await patch(api, EMPLOYEE, id, version=1, snoozedUntil=(NOW + timedelta(days=1)).isoformat()))[0] == 200
    status, body = await patch(api, MANAGER, id, version=1, status="done", evidence="signed")
    assert status == 409 and "version 2" in body["detail"]
    async with api.sessions() as session:
        found = await assessments.get_assessment(session, id)
    assert found is not None and (found.status, found.version) == ("open", 2)


async def test_only_whoever_may_see_it_may_change_it(api: ApiClient) -> None:
    theirs = await opened(api, "lam.siuyin")  # Finance: not the employee's, not in lei.mei's team
    for who in (EMPLOYEE, MANAGER):
        status, _ = await patch(api, who, theirs, version=1, status="done", evidence="x")
        assert status == 404, who
    team = await opened(api, "sou.kamfai")
    assert (await patch(api, MANAGER, team, version=1, status="done", evidence="checked by HR"))[0] == 200


async def test_waiving_needs_an_admin_and_a_reason(api: ApiClient) -> None:
    id = await opened(api)
    status, body = await patch(api, MANAGER, id, version=1, status="waived", reason="no longer shared")
    assert status == 403 and "only an admin" in body["detail"]
    status, body = await patch(api, ADMIN, id, version=1, status="waived")
    assert status == 400 and [e["field"] for e in body["errors"]] == ["reason"]
    status, item = await patch(api, ADMIN, id, version=1, status="waived", reason="the transfer never started")
    assert status == 200 and (item["status"], item["waivedReason"]) == ("waived", "the transfer never started")
    assert await reminders_of(api.sessions, id) == set()
    assert ("assessment.waived", ADMIN) in await actions_on(api.sessions, id)


async def test_a_new_due_date_needs_the_owners_manager_or_an_admin_and_replans(api: ApiClient) -> None:
    id = await opened(api)
    later = (NOW + timedelta(days=21)).isoformat()  # a Monday, so its 7-day lead is one too
    status, body = await patch(api, EMPLOYEE, id, version=1, dueAt=later)
    assert status == 403 and "manager or an admin" in body["detail"]
    own = await opened(api, MANAGER)
    assert (await patch(api, MANAGER, own, version=1, dueAt=later))[0] == 403  # not their own deadline
    status, item = await patch(api, MANAGER, id, version=1, dueAt=later)
    assert status == 200 and datetime.fromisoformat(item["dueAt"]) == NOW + timedelta(days=21)
    async with api.sessions() as session:
        leads = {(r.kind, r.send_at, r.status) for r in await session.scalars(
            select(Reminder).where(Reminder.assessment_id == id, Reminder.kind == "lead:7"))}
    assert {(when, status) for _, when, status in leads} == {(NOW + timedelta(days=3), "skipped"),
                                                               (NOW + timedelta(days=14), "planned")}
    assert ("assessment.rescheduled", MANAGER) in await actions_on(api.sessions, id)


async def test_delegating_follows_the_cards_rules_and_moves_the_reminders(api: ApiClient) -> None:
    id = await opened(api)
    status, body = await patch(api, EMPLOYEE, id, version=1, owner=EMPLOYEE)
    assert status == 400 and [e["field"] for e in body["errors"]] == ["owner"]
    status, body = await patch(api, MANAGER, id, version=1, owner="lam.siuyin")
    assert status == 403 and "not in your team" in body["detail"]  # a manager hands it on within the team
    status, item = await patch(api, EMPLOYEE, id, version=1, owner="lam.siuyin")  # the owner, to anyone
    assert status == 200 and item["owner"]["userId"] == "lam.siuyin"
    planned = await reminders_of(api.sessions, id)
    assert ("lead:7", "lam.siuyin") in planned and ("lead:7", EMPLOYEE) not in planned
    assert ("assessment.delegated", EMPLOYEE) in await actions_on(api.sessions, id)
    assert (await patch(api, EMPLOYEE, id, version=2, status="done", evidence="x"))[0] == 404  # not theirs now


async def test_a_snooze_is_bounded_like_the_cards_longest(api: ApiClient) -> None:
    id = await opened(api)
    latest = snooze_until(NOW, 3, NOW + timedelta(days=10), OrgPolicy().calendar)
    for too_far in (latest + timedelta(minutes=1), NOW - timedelta(hours=1)):
        status, body = await patch(api, EMPLOYEE, id, version=1, snoozedUntil=too_far.isoformat())
        assert status == 400 and [e["field"] for e in body["errors"]] == ["snoozedUntil"], body
    status, item = await patch(api, EMPLOYEE, id, version=1, snoozedUntil=latest.isoformat())
    assert status == 200 and datetime.fromisoformat(item["snoozedUntil"]) == latest
    assert ("assessment.snoozed", EMPLOYEE) in await actions_on(api.sessions, id)


@pytest.mark.parametrize("body, fields", [
    ({"version": 1}, ["body"]), ({"status": "done", "evidence": "x"}, ["version"]),
    ({"version": 1, "status": "done"}, ["evidence"]),
    ({"version": 1, "status": "done", "evidence": "  "}, ["evidence"]),
    ({"version": 1, "evidence": "x", "snoozedUntil": "2027-03-02T10:00:00+08:00"}, ["evidence"]),
    ({"version": 1, "status": "done", "evidence": "x", "owner": MANAGER}, ["owner"]),
    ({"version": 1, "status": "reopened"}, ["status"]), ({"version": 1, "dueAt": "tomorrow"}, ["dueAt"]),
    ({"version": 1, "status": "done", "evidence": "x" * 501}, ["evidence"]), ({"version": 0, "x": 1}, ["version", "x"]),
])
async def test_a_bad_change_is_a_400_naming_each_field(api: ApiClient, body: dict[str, Any],
                                                       fields: list[str]) -> None:
    id = await opened(api)
    status, answer = await patch(api, ADMIN, id, **body)
    assert status == 400 and sorted(e["field"] for e in answer["errors"]) == sorted(fields), answer
