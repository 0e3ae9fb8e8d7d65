"""The sign-off snapshot over a small register, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.rules.answers import ClassificationAnswer
from handlers.rules.evaluate import evaluate
from handlers.rules.pack import default_pack
from handlers.signoff.snapshot import snapshot_sha256, take_snapshot
from storage import assessments, classifications
from storage.audit import canonical_json
from storage.models import PendingObligation

NOW = datetime(2027, 12, 31, 2, 0, tzinfo=UTC)
CAMPAIGN: dict[str, object] = {"id": 7, "year": 2027, "title": "2027 <sign-off>", "round": 1}
_cards = iter(range(1, 1000))


async def classify(
    session: AsyncSession, name: str, level: str, personal_data: str, destination: str, *, at: datetime = NOW,
) -> int:
    """Share, ask and answer one file the way the bot records it; returns the classification id."""
    pack = default_pack()
    shared = await classifications.add_shared_file(
        session, file_name=name, shared_by="u-ana", conversation_id="cid-1", conversation_title="HR",
        channel="direct", shared_at=at - timedelta(days=30))
    prompt = await classifications.add_prompt(
        session, card_id=f"card-{next(_cards)}", file_id=shared.id, asked_user="u-ana", language="en",
        asked_at=at - timedelta(days=30))
    prompt.status = "answered"
    prompt.level, prompt.personal_data, prompt.destination = level, personal_data, destination
    evaluation = evaluate(pack, ClassificationAnswer(level, personal_data, destination))
    record = await classifications.add_classification(
        session, prompt_id=prompt.id, file_id=shared.id, level=level, personal_data=personal_data,
        destination=destination, classified_by="u-ana", classified_at=at - timedelta(days=29),
        rules_version=pack.version, obligation_ids=[o.id for o in evaluation.triggered])
    for item in evaluation.flow:
        await classifications.record_obligation(
            session, obligation_id=item.id, scope="flow", classification_id=record.id,
            dedup_key=f"flow:{record.id}:{item.id}", suggested_owner="u-boss",
            details={"file": name, "destination": destination, "classification": record.id}, at=at)
    for item in evaluation.org:
        await classifications.record_obligation(
            session, obligation_id=item.id, scope="org", classification_id=record.id, dedup_key=f"org:{item.id}",
            suggested_owner=None, details={"firstFile": name}, at=at)
    return record.id


async def unanswered(session: AsyncSession, name: str, status: Literal["open", "expired"]) -> None:
    shared = await classifications.add_shared_file(
        session, file_name=name, shared_by="u-bo", conversation_id="cid-2", conversation_title="Sales",
        channel="group_quote", shared_at=NOW - timedelta(days=3))
    prompt = await classifications.add_prompt(
        session, card_id=f"card-{next(_cards)}", file_id=shared.id, asked_user="u-bo", language="zh-Hant",
        asked_at=NOW - timedelta(days=3))
    prompt.status = status


async def build_register(session: AsyncSession) -> dict[str, int]:
    customers = await classify(session, "客戶名單.xlsx", "confidential", "customer", "mainland")
    payroll = await classify(session, "<b>payroll</b>.xlsx", "internal", "staff", "hong_kong")
    await classify(session, "brochure.pdf", "public", "none", "macau")
    await classify(session, "roster.xlsx", "internal", "staff", "hong_kong")
    await unanswered(session, "draft.docx", "expired")
    await unanswered(session, "notes.txt", "open")
    rows = await session.scalars(select(PendingObligation).order_by(PendingObligation.id))
    pending = {(row.classification_id, row.obligation_id, row.scope): row for row in rows}
    route = pending[(customers, "MO-XFER-ROUTE-MAINLAND", "flow")]
    overdue = await assessments.create_assessment(
        session, at=NOW - timedelta(days=60), title="Transfer route: 客戶名單 & <co>", type="transfer_route",
        owner="u-boss", due_at=NOW - timedelta(days=5), data_flow=dict(route.details), source="rules_pack",
        obligation_id=route.obligation_id, pending_obligation_id=route.id, created_by="system")
    route.status = "assessed"
    hk = pending[(payroll, "MO-XFER-ROUTE", "flow")]
    done = await assessments.create_assessment(
        session, at=NOW - timedelta(days=60), title="HK route", type="transfer_route", owner="u-boss",
        due_at=NOW - timedelta(days=10), status="done", data_flow=dict(hk.details), source="rules_pack",
        obligation_id=hk.obligation_id, pending_obligation_id=hk.id, created_by="system")
    hk.status = "assessed"
    later = await assessments.create_assessment(
        session, at=NOW - timedelta(days=1), title="DPA with DingTalk", type="processor_contract", owner="u-dpo",
        due_at=NOW + timedelta(days=20), status="in_progress", source="admin", created_by="u-dpo")
    await session.flush()
    return {"customers": customers, "payroll": payroll, "overdue": overdue.id, "done": done.id, "later": later.id}


async def test_snapshot_figures(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_factory() as session, session.begin():
        ids = await build_register(session)
    async with session_factory() as session:
        data = await take_snapshot(session, now=NOW, campaign={**CAMPAIGN, "policy_version": "v3"})

    canonical_json(data)  # JSON-able, no floats or datetimes
    assert data["taken_at"] == "2027-12-31T02:00:00.000000+00:00"
    assert data["campaign"] == {"id": 7, "year": 2027, "title": "2027 <sign-off>", "round": 1}
    assert data["policy_version"] == "v3"
    assert data["rules_pack"] == {"name": "macau-pdpa", "version": default_pack().version}
    assert data["classifications"] == {
        "files": 6, "classified": 4, "unclassified": 2,
        "by_level": {"public": 1, "internal": 2, "confidential": 1},
        "by_personal_data": {"none": 1, "staff": 2, "customer": 1, "sensitive": 0},
        "questions": {"open": 1, "answered": 4, "expired": 1},
    }
    register = data["register"]
    assert [(r["destination"], r["personal_data"], r["files"], r["leaves_macau"]) for r in register] == [
        ("macau", "none", 1, False), ("mainland", "customer", 1, True), ("hong_kong", "staff", 2, True)]
    assert register[0]["routes"] == [] and register[0]["assessments"] == []
    assert [route["id"] for route in register[1]["routes"]] == ["MO-XFER-ROUTE-MAINLAND"]
    assert register[1]["routes"][0]["cite"] == "Law 8/2005 Arts. 19, 20"
    assert register[1]["assessments"] == [{"id": ids["overdue"], "title": "Transfer route: 客戶名單 & <co>",
                                           "type": "transfer_route", "status": "open", "owner": "u-boss"}]
    assert [route["id"] for route in register[2]["routes"]] == ["MO-XFER-ROUTE"]
    assert [a["id"] for a in register[2]["assessments"]] == [ids["done"]]

    assert data["assessments"]["by_status"] == {"open": 1, "in_progress": 1, "done": 1, "waived": 0}
    assert data["assessments"]["overdue"] == [{
        "id": ids["overdue"], "title": "Transfer route: 客戶名單 & <co>", "type": "transfer_route", "status": "open",
        "owner": "u-boss", "due": "2027-12-26T02:00:00.000000+00:00"}]
    obligations = {item["id"]: item for item in data["obligations"]}
    # The mainland route was taken up by a live assessment, the Hong Kong one for `payroll` by a done one.
    assert obligations["MO-XFER-ROUTE-MAINLAND"]["count"] == 2  # the flow's, and DingTalk's org-wide one
    assert obligations["MO-XFER-ROUTE"]["count"] == 1  # `roster` only
    assert obligations["MO-NOTIFY-21"] == {"id": "MO-NOTIFY-21", "count": 3, "scope": "flow",
                                           "cite": default_pack().obligations["MO-NOTIFY-21"].cite, "basis": "legal"}
    assert list(obligations) == [i for i in default_pack().obligations if i in obligations]


async def test_snapshot_hash_is_stable_and_follows_the_register(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        await build_register(session)
    async with session_factory() as session:
        first = await take_snapshot(session, now=NOW, campaign=CAMPAIGN)
    async with session_factory() as session:
        second = await take_snapshot(session, now=NOW, campaign=CAMPAIGN)
    assert canonical_json(first) == canonical_json(second)
    assert snapshot_sha256(first) == snapshot_sha256(second)
    assert len(snapshot_sha256(first)) == 64

    async with session_factory() as session, session.begin():
        await classify(session, "new.xlsx", "confidential", "sensitive", "mainland_gba")
    async with session_factory() as session:
        third: dict[str, Any] = await take_snapshot(session, now=NOW, campaign=CAMPAIGN)
    assert snapshot_sha256(third) != snapshot_sha256(first)
    assert third["classifications"]["by_personal_data"]["sensitive"] == 1
    gba = [row for row in third["register"] if row["destination"] == "mainland_gba"]
    assert [route["id"] for route in gba[0]["routes"]] == ["MO-XFER-ROUTE-GBA"]


async def test_empty_register(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_factory() as session:
        data = await take_snapshot(session, now=NOW, campaign={"year": 2027, "title": "Empty"})
    assert data["campaign"] == {"id": None, "year": 2027, "title": "Empty", "round": 1}
    assert data["classifications"]["files"] == 0 and data["register"] == [] and data["obligations"] == []
    assert data["assessments"] == {"total": 0, "by_status": {"open": 0, "in_progress": 0, "done": 0, "waived": 0},
                                   "overdue": []}
