"""GET /dashboard: counts scoped like the lists (own, team, all), each one aggregate query."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from handlers.api.caller import Caller
from handlers.api.dashboard import dashboard
from storage import assessments, classifications, signoff
from storage.models import SignerStatus
from tests.api.conftest import ADMIN, EMPLOYEE, MANAGER, ApiClient, Sessions

HR_TEAM = {MANAGER, EMPLOYEE, "sou.kamfai"}  # lei.mei heads HR; sou.kamfai is in HR too
DAY = timedelta(days=1)
# Questions: (who, status, escalated, level, answered how many days ago).
PROMPTS: list[tuple[str, str, bool, str | None, int]] = [
    (EMPLOYEE, "open", False, None, 0), (EMPLOYEE, "open", True, None, 0), (EMPLOYEE, "expired", True, None, 0),
    (EMPLOYEE, "answered", False, "confidential", 2), (EMPLOYEE, "answered", False, "public", 40),
    (MANAGER, "open", True, None, 0), (MANAGER, "answered", False, "internal", 29),
    ("sou.kamfai", "expired", False, None, 0), ("sou.kamfai", "answered", False, "confidential", 1),
    ("lam.siuyin", "open", False, None, 0), ("lam.siuyin", "answered", False, "internal", 3),
    ("ieong.weng", "expired", False, None, 0), (ADMIN, "answered", False, "public", 31),
]
# Assessments: (owner, status, due in how many days).
ASSESSMENTS: list[tuple[str, str, int]] = [
    (EMPLOYEE, "open", -3), (EMPLOYEE, "in_progress", 10), (EMPLOYEE, "done", -5), (EMPLOYEE, "open", 45),
    (MANAGER, "open", 29), ("sou.kamfai", "waived", 2), ("lam.siuyin", "open", -1), ("lam.siuyin", "in_progress", 5),
    (ADMIN, "open", 90),
]


async def seed(sessions: Sessions, now: datetime) -> dict[str, int]:
    """PROMPTS and ASSESSMENTS, and three campaigns; returns the campaigns' ids by name."""
    async with sessions.begin() as session:
        for n, (who, status, escalated, level, days_ago) in enumerate(PROMPTS):
            at = now - timedelta(days=days_ago, hours=1)
            shared = await classifications.add_shared_file(
                session, file_name=f"file-{n}.xlsx", shared_by=who, conversation_id="cid", conversation_title="1:1",
                channel="direct", shared_at=at)
            prompt = await classifications.add_prompt(session, card_id=f"card-{n}", file_id=shared.id,
                                                      asked_user=who, language="en", asked_at=at)
            prompt.status = status  # type: ignore[assignment]
            prompt.escalated_at = at + timedelta(minutes=5) if escalated else None
            if level is not None:
                await classifications.add_classification(
                    session, prompt_id=prompt.id, file_id=shared.id, level=level, personal_data="staff",
                    destination="macau", reason=None, classified_by=who, classified_at=now - days_ago * DAY,
                    rules_version="test", obligation_ids=[])
        for owner, status, due_in in ASSESSMENTS:
            assessment = await assessments.create_assessment(
                session, at=now, title="Payroll transfer", type="transfer_route", owner=owner,
                due_at=now + due_in * DAY, data_flow={}, source="admin", created_by=ADMIN)
            assessment.status = status  # type: ignore[assignment]
        return {
            "active": await _campaign(session, now, "active", {MANAGER: "approved", "chan.taiman": "pending",
                                                                  EMPLOYEE: "waiting"}),
            "draft": await _campaign(session, now, "draft", {"chan.taiman": "waiting", MANAGER: "waiting"}),
            "done": await _campaign(session, now, "completed", {"chan.taiman": "approved"}),
            "asks_manager": await _campaign(session, now, "active", {MANAGER: "pending", "chan.taiman": "rejected"}),
        }


async def _campaign(session: Any, now: datetime, status: str, signers: dict[str, SignerStatus]) -> int:
    campaign = await signoff.create_campaign(
        session, year=2026, title=f"Sign-off ({status})", note="", signing_order="sequential",
        due_at=now + (10 if status == "active" else 20) * DAY, signers=list(signers), created_by=ADMIN, at=now)
    campaign.status = status  # type: ignore[assignment]
    for signer in await signoff.signers_of(session, campaign.id):
        signer.status = signers[signer.user_id]
    return campaign.id


def expected(people: set[str] | None) -> dict[str, Any]:
    """The counts the seed gives for `people` (None: everyone), worked out from the tables above."""
    def mine(who: str) -> bool:
        return people is None or who in people

    prompts = [row for row in PROMPTS if mine(row[0])]
    by_level = {"public": 0, "internal": 0, "confidential": 0}
    for _, _, _, level, days_ago in prompts:
        if level is not None and days_ago <= 30:
            by_level[level] += 1
    live = [due for owner, status, due in ASSESSMENTS if mine(owner) and status in ("open", "in_progress")]
    return {
        "unclassified": {"open": sum(s == "open" for _, s, *_ in prompts),
                         "escalated": sum(s == "open" and e for _, s, e, *_ in prompts),
                         "expired": sum(s == "expired" for _, s, *_ in prompts)},
        "classifications": {"total": sum(by_level.values()), "byLevel": by_level},
        "assessments": {"open": len(live), "overdue": sum(d < 0 for d in live),
                        "dueWithin30Days": sum(0 <= d < 30 for d in live)},
    }


def counts(body: dict[str, Any]) -> dict[str, Any]:
    recent = {k: v for k, v in body["classifications"].items() if k != "since"}
    return {"unclassified": body["unclassified"], "classifications": recent, "assessments": body["assessments"]}


async def test_each_role_gets_its_own_teams_or_everyones_counts(api: ApiClient) -> None:
    ids = await seed(api.sessions, datetime.now(UTC))
    employee, manager, admin = [await api.sign_in(who) for who in (EMPLOYEE, MANAGER, ADMIN)]

    status, body, _ = await api.call("GET", "/dashboard", token=employee)
    assert status == 200, body
    assert (body["scope"], body["people"]) == ("own", 1)
    assert counts(body) == expected({EMPLOYEE})
    assert body["unclassified"] == {"open": 2, "escalated": 1, "expired": 1}  # the table, read by hand
    assert body["assessments"] == {"open": 3, "overdue": 1, "dueWithin30Days": 1}
    assert body["classifications"]["byLevel"] == {"public": 0, "internal": 0, "confidential": 1}
    assert body["campaigns"] == []  # a signer, but it is not their turn yet

    status, body, _ = await api.call("GET", "/dashboard", token=manager)
    assert status == 200, body
    assert (body["scope"], body["people"]) == ("team", len(HR_TEAM))
    assert counts(body) == expected(HR_TEAM)
    assert body["unclassified"] == {"open": 3, "escalated": 2, "expired": 2}
    [awaiting] = body["campaigns"]  # only the campaign waiting for lei.mei's own decision
    assert awaiting["id"] == ids["asks_manager"] and awaiting["status"] == "active"
    assert (awaiting["signers"], awaiting["pending"], awaiting["rejected"]) == (2, 1, 1)

    status, body, _ = await api.call("GET", "/dashboard", token=admin)
    assert status == 200, body
    assert (body["scope"], body["people"]) == ("all", None)
    assert counts(body) == expected(None)
    assert body["classifications"]["total"] == 4
    assert body["assessments"] == {"open": 7, "overdue": 2, "dueWithin30Days": 3}
    assert [c["id"] for c in body["campaigns"]] == [ids["active"], ids["asks_manager"], ids["draft"]]
    active = body["campaigns"][0]
    assert {k: active[k] for k in ("signers", "approved", "rejected", "pending", "waiting")} == {
        "signers": 3, "approved": 1, "rejected": 0, "pending": 1, "waiting": 1}
    assert datetime.fromisoformat(body["asOf"]) - datetime.fromisoformat(body["classifications"]["since"]) == 30 * DAY


async def test_an_empty_organisation_counts_zero(api: ApiClient) -> None:
    status, body, _ = await api.call("GET", "/dashboard", token=await api.sign_in(ADMIN))
    assert status == 200
    assert body["unclassified"] == {"open": 0, "escalated": 0, "expired": 0}
    assert body["classifications"]["byLevel"] == {"public": 0, "internal": 0, "confidential": 0}
    assert body["assessments"] == {"open": 0, "overdue": 0, "dueWithin30Days": 0} and body["campaigns"] == []


async def test_query_parameters_are_refused(api: ApiClient) -> None:
    status, body, _ = await api.call("GET", "/dashboard", token=await api.sign_in(EMPLOYEE), params={"scope": "all"})
    assert status == 400 and body["errors"][0]["field"] == "scope"


async def test_each_count_is_one_aggregate_query(api: ApiClient, engine: AsyncEngine) -> None:
    now = datetime.now(UTC)
    await seed(api.sessions, now)
    statements: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.startswith("BEGIN"):  # SQLite's BEGIN IMMEDIATE
            statements.append(" ".join(statement.split()))

    admin = Caller(user_id=ADMIN, name="admin", title="", role="admin")
    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        async with api.sessions() as session:
            board = await dashboard(session, admin, now)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
    assert board.unclassified.open == 4
    assert len(statements) == 4, statements  # questions, classifications, assessments, campaigns
    assert all(sql.startswith("SELECT") and "count(*)" in sql for sql in statements), statements
