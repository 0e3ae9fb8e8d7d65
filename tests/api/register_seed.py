"""A small register for the data-flow and export tests: classifications recorded the way the bot records them,
their pending obligations, and assessments taken up for some of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.rules.answers import ClassificationAnswer
from handlers.rules.evaluate import evaluate
from handlers.rules.pack import default_pack
from storage import assessments, classifications
from storage.models import Assessment, PendingObligation
from tests.api.conftest import ADMIN, EMPLOYEE, MANAGER, Sessions

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
OUTSIDER = "lam.siuyin"  # not in lei.mei's HR team
TEAMMATE = "sou.kamfai"  # in HR
INJECTION = "=HYPERLINK(\"http://evil.example\",\"x\").xlsx"


@dataclass(frozen=True)
class Seeded:
    prompts: dict[str, int]  # file name -> question id
    classifications: dict[str, int]  # file name -> classification id
    assessments: dict[str, int]  # "customers" (manager, open), "payroll" (employee, done), "outsider" (admin, open)


async def classify(session: AsyncSession, who: str, name: str, answer: tuple[str, str, str] | None,
                   at: datetime) -> tuple[int, int | None]:
    """Share, ask and (if `answer` is given) answer one file; returns the question's and the answer's ids."""
    pack = default_pack()
    shared = await classifications.add_shared_file(
        session, file_name=name, shared_by=who, conversation_id="cid", conversation_title="1:1", channel="direct",
        shared_at=at)
    prompt = await classifications.add_prompt(session, card_id=f"card-{name}", file_id=shared.id, asked_user=who,
                                              language="zh-Hant", asked_at=at)
    if answer is None:
        return prompt.id, None
    level, personal, destination = answer
    prompt.status = "answered"
    evaluation = evaluate(pack, ClassificationAnswer(level, personal, destination))
    record = await classifications.add_classification(
        session, prompt_id=prompt.id, file_id=shared.id, level=level, personal_data=personal,
        destination=destination, reason="-1 for the =SUM(A1)" if name == INJECTION else None, classified_by=who,
        classified_at=at + timedelta(minutes=1), rules_version=pack.version,
        obligation_ids=[o.id for o in evaluation.triggered])
    for item in evaluation.flow:
        await classifications.record_obligation(
            session, obligation_id=item.id, scope="flow", classification_id=record.id,
            dedup_key=f"flow:{record.id}:{item.id}", suggested_owner=MANAGER,
            details={"file": name, "destination": destination, "classification": record.id}, at=at)
    return prompt.id, record.id


async def take_up(session: AsyncSession, classification_id: int, obligation_id: str, *, title: str, owner: str,
                  status: str) -> Assessment:
    """An assessment for one flow obligation of one classification, as the intake job makes it."""
    pending = await session.scalar(select(PendingObligation).where(
        PendingObligation.classification_id == classification_id, PendingObligation.obligation_id == obligation_id))
    assert pending is not None
    pending.status = "assessed"
    return await assessments.create_assessment(
        session, at=T0, title=title, type="transfer_route", owner=owner, due_at=T0 + timedelta(days=30),
        status=status, data_flow=dict(pending.details), source="rules_pack", obligation_id=obligation_id,
        pending_obligation_id=pending.id, created_by="system")


async def seed(sessions: Sessions) -> Seeded:
    files: list[tuple[str, str, tuple[str, str, str] | None]] = [
        (EMPLOYEE, "客戶名單.xlsx", ("confidential", "customer", "mainland")),
        (TEAMMATE, "payroll.xlsx", ("internal", "staff", "hong_kong")),
        (OUTSIDER, INJECTION, ("internal", "staff", "hong_kong")),
        (ADMIN, "brochure.pdf", ("public", "none", "macau")),
        (EMPLOYEE, "+notes.docx", None),
        (OUTSIDER, "roster.xlsx", ("internal", "staff", "mainland_gba")),
    ]
    prompts, records = {}, {}
    async with sessions.begin() as session:
        for n, (who, name, answer) in enumerate(files):
            prompts[name], record = await classify(session, who, name, answer, T0 + timedelta(hours=n))
            if record is not None:
                records[name] = record
        customers = await take_up(session, records["客戶名單.xlsx"], "MO-XFER-ROUTE-MAINLAND",
                                  title="Route: 客戶名單", owner=MANAGER, status="open")
        payroll = await take_up(session, records["payroll.xlsx"], "MO-XFER-ROUTE", title="@HK route", owner=EMPLOYEE,
                                status="done")
        outsider = await take_up(session, records[INJECTION], "MO-XFER-ROUTE", title="HK route (IT)", owner=ADMIN,
                                 status="open")
    return Seeded(prompts=prompts, classifications=records,
                  assessments={"customers": customers.id, "payroll": payroll.id, "outsider": outsider.id})
