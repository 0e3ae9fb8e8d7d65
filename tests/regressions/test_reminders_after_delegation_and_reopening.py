"""Regression: reminders skipped once (delegation, done) were never planned again under the same key."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.context import HandlerContext, OrgPolicy
from handlers.inbound import UserId
from handlers.reminders.actions import act
from handlers.reminders.schedule import replan_all
from storage import assessments, directory
from storage.models import Reminder

NOW = datetime(2027, 3, 1, 10, 0, tzinfo=ZoneInfo("Asia/Macau"))
POLICY = OrgPolicy(admins=("admin.wong",))


async def setup(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session, session.begin():
        for user in ("lei.mei", "cheang.kawai", "admin.wong"):
            await directory.upsert_user(session, user_id=user, union_id=f"u-{user}", name=user, refreshed_at=NOW)
        created = await assessments.create_assessment(
            session, at=NOW, title="Transfer route", type="transfer_route", owner="lei.mei",
            due_at=NOW + timedelta(days=10), data_flow={}, source="admin", created_by="admin.wong")
        assessment_id = created.id
    await replan_all(sessions, POLICY, NOW)
    return assessment_id


async def planned(sessions: async_sessionmaker[AsyncSession], **where: str) -> list[tuple[str, str]]:
    async with sessions() as session:
        rows = await session.scalars(select(Reminder).where(Reminder.status == "planned"))
        return sorted((r.kind, r.recipient) for r in rows if all(getattr(r, k) == v for k, v in where.items()))


async def test_escalations_survive_a_delegation(session_factory: async_sessionmaker[AsyncSession]) -> None:
    assessment_id = await setup(session_factory)
    assert ("escalate:admins", "admin.wong") in await planned(session_factory)
    async with session_factory() as session, session.begin():
        ctx = HandlerContext(session=session, now=NOW, origin="t", policy=POLICY)
        await act(ctx, UserId("lei.mei"), "delegate", str(assessment_id), "cheang.kawai")
    rows = await planned(session_factory)
    assert ("escalate:admins", "admin.wong") in rows
    assert {r for _, r in rows if _.startswith("lead:")} == {"cheang.kawai"}


async def test_a_reopened_assessment_is_reminded_again(session_factory: async_sessionmaker[AsyncSession]) -> None:
    assessment_id = await setup(session_factory)
    async with session_factory() as session, session.begin():
        ctx = HandlerContext(session=session, now=NOW, origin="t", policy=POLICY)
        await act(ctx, UserId("lei.mei"), "done", str(assessment_id), "notified DSPDP, ref 12")
    assert await planned(session_factory) == []
    async with session_factory() as session, session.begin():
        found = await assessments.get_assessment(session, assessment_id, for_update=True)
        assert found is not None
        await assessments.update_assessment(session, found, at=NOW, status="open")
    await replan_all(session_factory, POLICY, NOW)
    assert ("lead:7", "lei.mei") in await planned(session_factory)
