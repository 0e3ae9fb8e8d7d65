"""Nudge, escalation and expiry of unanswered questions, at working-time instants (injected clock)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.dispatcher import TOPIC_BOT_MESSAGE, TOPIC_CARD_CALLBACK, Dispatcher
from handlers.classification.followup import FollowupReport, run_followups
from handlers.context import OrgPolicy
from storage import directory
from storage.models import ClassificationPrompt, OutboxMessage

MACAU = ZoneInfo("Asia/Macau")
# Thursday 30 September 2027, 16:00. Friday 1 October is National Day, then a weekend; Friday 8 October
# is Chung Yeung. With 4/8/40 working hours: nudge Mon 4 Oct 11:00, escalate 15:00, expire Mon 11 Oct 11:00.
SHARED_AT = datetime(2027, 9, 30, 16, 0, tzinfo=MACAU)
POLICY = OrgPolicy(admins=("admin.wong",))


def frame(topic: str, message_id: str, data: dict[str, Any]) -> str:
    return json.dumps({"specVersion": "1.0", "type": "CALLBACK", "data": json.dumps(data),
                       "headers": {"topic": topic, "messageId": message_id, "contentType": "application/json",
                                   "time": "1"}})


async def seed_directory(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        await directory.upsert_user(session, user_id="cheang.kawai", union_id="u1", name="鄭家慧",
                                    manager_user_id="lei.mei", dept_ids=[3], refreshed_at=SHARED_AT)
        await directory.upsert_user(session, user_id="lei.mei", union_id="u2", name="李美",
                                    dept_ids=[3], leader_in_depts=[3], refreshed_at=SHARED_AT)


async def share(sessions: async_sessionmaker[AsyncSession]) -> str:
    dispatcher = Dispatcher(sessions, POLICY, lambda: SHARED_AT)
    data = {"conversationId": "cid-1", "conversationType": "1", "msgId": "m1", "msgtype": "file",
            "senderStaffId": "cheang.kawai", "createAt": 1, "content": {
                "fileName": "staff list.xlsx", "downloadCode": "dc1", "fileId": "f1", "spaceId": "s1"}}
    await dispatcher.dispatch(frame(TOPIC_BOT_MESSAGE, "share-1", data))
    async with sessions() as session:
        prompt = await session.scalar(select(ClassificationPrompt))
        assert prompt is not None
        return prompt.card_id


async def sent_to(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[str, list[str]]]:
    async with sessions() as session:
        rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.kind.in_(("robot.oto", "card.update")))
                                     .order_by(OutboxMessage.id))
        return [(r.kind, r.payload.get("userIds", [])) for r in rows]


async def at(sessions: async_sessionmaker[AsyncSession], *when: int) -> FollowupReport:
    year, month, day, hour, minute = when
    return await run_followups(sessions, POLICY, datetime(year, month, day, hour, minute, tzinfo=MACAU))


async def test_nudge_escalation_and_expiry_follow_working_time(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await seed_directory(session_factory)
    card_id = await share(session_factory)

    assert await at(session_factory, 2027, 10, 1, 12, 0) == FollowupReport()   # National Day
    assert await at(session_factory, 2027, 10, 4, 10, 59) == FollowupReport()
    assert await at(session_factory, 2027, 10, 4, 11, 0) == FollowupReport(nudged=1)
    assert await sent_to(session_factory) == [("robot.oto", ["cheang.kawai"])]
    assert await at(session_factory, 2027, 10, 4, 14, 59) == FollowupReport()
    assert await at(session_factory, 2027, 10, 4, 15, 0) == FollowupReport(escalated=1)
    assert (await sent_to(session_factory))[-1] == ("robot.oto", ["lei.mei"])
    assert await at(session_factory, 2027, 10, 8, 12, 0) == FollowupReport()    # Chung Yeung
    assert await at(session_factory, 2027, 10, 11, 10, 59) == FollowupReport()
    assert await at(session_factory, 2027, 10, 11, 11, 0) == FollowupReport(expired=1)
    assert (await sent_to(session_factory))[-1] == ("card.update", [])
    assert await at(session_factory, 2027, 10, 12, 11, 0) == FollowupReport()   # nothing more, ever

    # An answer on the expired card is refused and records nothing.
    late = datetime(2027, 10, 12, 9, 30, tzinfo=MACAU)
    content = json.dumps({"cardPrivateData": {"actionIds": [], "params": {
        "action": "classify", "level": "internal", "personal_data": "staff", "destination": "macau"}}})
    click = {"outTrackId": card_id, "userId": "cheang.kawai", "content": content, "spaceType": "IM_ROBOT"}
    await Dispatcher(session_factory, POLICY, lambda: late).dispatch(frame(TOPIC_CARD_CALLBACK, "late", click))
    async with session_factory() as session:
        prompt = await session.scalar(select(ClassificationPrompt))
        assert prompt is not None and prompt.status == "expired" and prompt.level is None
        last = await session.scalar(select(OutboxMessage).order_by(OutboxMessage.id.desc()))
        assert last is not None and "逾期" in last.payload["msgParam"]["text"]  # "has expired", in zh-Hant


async def test_without_a_manager_the_admins_hear_of_it(session_factory: async_sessionmaker[AsyncSession]) -> None:
    await share(session_factory)  # nobody in the directory: no manager known
    await at(session_factory, 2027, 10, 4, 11, 0)
    assert await at(session_factory, 2027, 10, 4, 15, 0) == FollowupReport(escalated=1)
    assert (await sent_to(session_factory))[-1] == ("robot.oto", ["admin.wong"])


async def test_after_an_outage_only_the_latest_due_step_is_taken(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await seed_directory(session_factory)
    await share(session_factory)
    # The bot was down from before the nudge until after the escalation point: it escalates, once.
    assert await at(session_factory, 2027, 10, 5, 10, 0) == FollowupReport(escalated=1)
    assert await sent_to(session_factory) == [("robot.oto", ["lei.mei"])]
