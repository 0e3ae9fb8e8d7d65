"""Yearly reviews come round again once done; the five-step self-assessment opens five assessments."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.context import HandlerContext, OrgPolicy
from handlers.inbound import UserId
from handlers.reminders.actions import act
from handlers.reminders.programme import start_self_assessment
from storage import assessments
from storage.models import Assessment, AuditEvent

NOW = datetime(2027, 3, 1, 10, 0, tzinfo=ZoneInfo("Asia/Macau"))


async def test_a_done_processor_contract_review_opens_next_years(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        review = await assessments.create_assessment(
            session, at=NOW, title="DingTalk processor contract", type="processor_contract", owner="lei.mei",
            due_at=NOW + timedelta(days=10), data_flow={}, source="admin", created_by="admin.wong")
        ctx = HandlerContext(session=session, now=NOW, origin="t", policy=OrgPolicy())
        await act(ctx, UserId("lei.mei"), "done", str(review.id), "signed with Alibaba Cloud, ref DPA-2027")
    async with session_factory() as session:
        rows = list(await session.scalars(select(Assessment).order_by(Assessment.id)))
        actions = [e.action for e in await session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
    assert [(a.status, a.source) for a in rows] == [("done", "admin"), ("open", "recurring")]
    assert rows[1].due_at == rows[0].due_at + timedelta(days=365)
    assert "DPA-2027" in (rows[0].evidence or "")
    assert actions == ["assessment.done", "assessment.created"]


async def test_the_five_step_programme(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_factory() as session, session.begin():
        steps = await start_self_assessment(session, owner="sou.kamfai", by="admin.wong", at=NOW)
    assert [s.step for s in steps] == [1, 2, 3, 4, 5]
    assert len({s.programme_id for s in steps}) == 1
    assert steps[-1].due_at == NOW + timedelta(days=30)
    assert all(s.owner == "sou.kamfai" and s.type == "self_assessment" for s in steps)
