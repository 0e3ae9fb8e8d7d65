"""A re-shared file going somewhere new reopens the closed assessments of its old flow."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.dispatcher import TOPIC_BOT_MESSAGE, TOPIC_CARD_CALLBACK, Dispatcher
from handlers.context import HandlerContext, OrgPolicy
from handlers.inbound import UserId
from handlers.reminders.actions import act
from handlers.reminders.intake import take_up_obligations
from storage import directory
from storage.models import Assessment, ClassificationPrompt

NOW = datetime(2027, 3, 1, 10, 0, tzinfo=ZoneInfo("Asia/Macau"))
POLICY = OrgPolicy(admins=("admin.wong",))


def frame(topic: str, message_id: str, data: dict[str, Any]) -> str:
    return json.dumps({"specVersion": "1.0", "type": "CALLBACK", "data": json.dumps(data),
                       "headers": {"topic": topic, "messageId": message_id, "contentType": "application/json",
                                   "time": "1"}})


async def share_and_classify(sessions: async_sessionmaker[AsyncSession], n: int, destination: str) -> None:
    dispatcher = Dispatcher(sessions, POLICY, lambda: NOW)
    share = {"conversationId": "cid-1", "conversationType": "1", "msgId": f"m{n}", "msgtype": "file",
             "senderStaffId": "cheang.kawai", "createAt": 1, "content": {
                 "fileName": "customers.xlsx", "downloadCode": f"dc{n}", "fileId": "same-file", "spaceId": "s1"}}
    await dispatcher.dispatch(frame(TOPIC_BOT_MESSAGE, f"share-{n}", share))
    async with sessions() as session:
        prompt = (await session.scalars(select(ClassificationPrompt).order_by(ClassificationPrompt.id.desc()))).first()
        assert prompt is not None
    params = {"action": "classify", "level": "confidential", "personal_data": "customer", "destination": destination}
    click = {"outTrackId": prompt.card_id, "userId": "cheang.kawai", "spaceType": "IM_ROBOT",
             "content": json.dumps({"cardPrivateData": {"actionIds": [], "params": params}})}
    await dispatcher.dispatch(frame(TOPIC_CARD_CALLBACK, f"click-{n}", click))


async def test_a_new_destination_reopens_the_old_flows_assessments(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        await directory.upsert_user(session, user_id="cheang.kawai", union_id="u1", name="鄭家慧",
                                    manager_user_id="lei.mei", refreshed_at=NOW)
        await directory.upsert_user(session, user_id="lei.mei", union_id="u2", name="李美", refreshed_at=NOW)
    await share_and_classify(session_factory, 1, "mainland")
    await take_up_obligations(session_factory, POLICY, NOW)
    async with session_factory() as session, session.begin():
        route = await session.scalar(select(Assessment).where(Assessment.type == "transfer_route",
                                                              Assessment.owner == "lei.mei"))
        assert route is not None
        await act(HandlerContext(session=session, now=NOW, origin="t", policy=POLICY), UserId("lei.mei"), "done",
                  str(route.id), "authorisation granted, ref 2027/12")
    await share_and_classify(session_factory, 2, "hong_kong")
    async with session_factory() as session:
        reopened = await session.get(Assessment, route.id)
        assert reopened is not None and reopened.status == "open" and reopened.closed_at is None
