"""Signers who have not acted are reminded every 2 working days; the admins hear once it is overdue."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.context import HandlerContext, OrgPolicy
from handlers.signoff.campaign import start
from handlers.signoff.nudge import NudgeReport, remind_signers
from storage import signoff
from storage.models import OutboxMessage

MACAU = ZoneInfo("Asia/Macau")
STARTED = datetime(2027, 3, 1, 10, 0, tzinfo=MACAU)  # Monday
POLICY = OrgPolicy(admins=("admin.wong",), public_url="http://bot.example")


async def begin(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        campaign = await signoff.create_campaign(
            session, year=2026, title="Annual report", note="", signing_order="parallel",
            due_at=STARTED + timedelta(days=10), signers=["chan.taiman", "lei.mei"], created_by="admin.wong",
            at=STARTED)
        await start(HandlerContext(session=session, now=STARTED, origin="start", policy=POLICY), campaign, by="x")


async def at(sessions: async_sessionmaker[AsyncSession], day: int, hour: int = 10) -> NudgeReport:
    return await remind_signers(sessions, POLICY, datetime(2027, 3, day, hour, 0, tzinfo=MACAU))


async def test_reminders_every_two_working_days_and_one_escalation(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await begin(session_factory)
    assert await at(session_factory, 2) == NudgeReport()             # Tuesday: too soon
    assert await at(session_factory, 3) == NudgeReport(reminded=2)   # Wednesday: 2 working days on
    assert await at(session_factory, 4) == NudgeReport()
    assert await at(session_factory, 5) == NudgeReport(reminded=2)   # Friday
    assert await at(session_factory, 11, 11) == NudgeReport(reminded=2, escalated=1)  # past the due date
    assert await at(session_factory, 11, 12) == NudgeReport()        # the admins hear once
    async with session_factory() as session:
        admins = [r for r in await session.scalars(select(OutboxMessage)) if r.payload.get("userIds") == ["admin.wong"]]
    assert len(admins) == 1
