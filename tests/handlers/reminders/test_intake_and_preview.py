"""Obligations become assessments; the preview says what would go out at an instant, and why."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.context import OrgPolicy
from handlers.reminders.intake import take_up_obligations
from handlers.reminders.preview import preview
from handlers.reminders.schedule import replan_all
from storage import classifications, directory
from storage.models import Assessment, PendingObligation, Reminder

MACAU = ZoneInfo("Asia/Macau")
NOW = datetime(2027, 3, 1, 10, 0, tzinfo=MACAU)  # a Monday
POLICY = OrgPolicy(admins=("admin.wong",))


async def raise_obligations(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        await directory.upsert_user(session, user_id="cheang.kawai", union_id="u1", name="鄭家慧",
                                    manager_user_id="lei.mei", dept_ids=[3], refreshed_at=NOW)
        await directory.upsert_user(session, user_id="lei.mei", union_id="u2", name="李美", dept_ids=[3],
                                    leader_in_depts=[3], refreshed_at=NOW)
        raised = [("MO-XFER-ROUTE-MAINLAND", "flow", "flow:1:x"), ("MO-NOTIFY-21", "flow", "flow:1:n"),
                  ("MO-INFO-10", "flow", "flow:1:i"), ("MO-PROCESSOR-17", "org", "org:p")]
        for obligation, scope, key in raised:
            await classifications.record_obligation(
                session, obligation_id=obligation, scope=scope, classification_id=None, dedup_key=key,
                suggested_owner="lei.mei" if scope == "flow" else None, details={"file": "payroll.xlsx"}, at=NOW)


async def test_obligations_become_assessments_with_owners_and_due_dates(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await raise_obligations(session_factory)
    assert await take_up_obligations(session_factory, POLICY, NOW) == 3
    assert await take_up_obligations(session_factory, POLICY, NOW) == 0  # each obligation once
    async with session_factory() as session:
        opened = {a.obligation_id: a for a in await session.scalars(select(Assessment))}
        statuses = {p.obligation_id: p.status for p in await session.scalars(select(PendingObligation))}
    assert set(opened) == {"MO-XFER-ROUTE-MAINLAND", "MO-NOTIFY-21", "MO-PROCESSOR-17"}
    assert opened["MO-NOTIFY-21"].type == "notification" and opened["MO-NOTIFY-21"].owner == "lei.mei"
    assert opened["MO-NOTIFY-21"].due_at == NOW + timedelta(days=8)  # Art. 21: 8 days after processing starts
    assert opened["MO-PROCESSOR-17"].owner == "admin.wong"  # org-wide: no manager, so the admins
    assert statuses["MO-INFO-10"] == "noted"  # a general duty, not an assessment


async def test_preview_lists_what_would_go_out_and_writes_nothing(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await raise_obligations(session_factory)
    await take_up_obligations(session_factory, POLICY, NOW)
    # The notification is due 2027-03-09 10:00; its 7-day lead falls on Tuesday 2 March 10:00.
    async with session_factory() as session:
        cards = await preview(session, POLICY, datetime(2027, 3, 2, 10, 0, tzinfo=MACAU))
        assert await session.scalar(select(Reminder)) is None
    [card] = cards
    assert card.recipient == "lei.mei" and [line.kind for line in card.lines] == ["lead:7"]
    assert "7 days before" in card.lines[0].reason
    await replan_all(session_factory, POLICY, NOW)
    async with session_factory() as session:
        kinds = sorted({r.kind for r in await session.scalars(select(Reminder))})
    assert "lead:7" in kinds
