"""The inbound pipeline without a socket: dedup, replies through the outbox, errors acked and kept."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.dispatcher import TOPIC_BOT_MESSAGE, TOPIC_CARD_CALLBACK, Dispatcher
from handlers.context import OrgPolicy
from storage.models import OutboxMessage, ProcessedFrame

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def bot_message(message_id: str, content: str | None, *, sender: str = "chan.taiman", **extra: Any) -> str:
    data: dict[str, Any] = {"conversationId": f"cid-{sender}", "conversationType": "1", "msgId": f"msg-{message_id}",
                            "msgtype": "text", "senderStaffId": sender, "senderNick": "陳大文",
                            "createAt": 1764493200000, "robotCode": "robot"}
    if content is not None:
        data["text"] = {"content": content}
    data.update(extra)
    return frame("CALLBACK", TOPIC_BOT_MESSAGE, message_id, data)


def frame(type_: str, topic: str, message_id: str, data: object) -> str:
    return json.dumps({"specVersion": "1.0", "type": type_, "data": json.dumps(data),
                       "headers": {"topic": topic, "messageId": message_id, "contentType": "application/json",
                                   "time": "1764493200000"}})


@pytest.fixture
def dispatcher(session_factory: async_sessionmaker[AsyncSession]) -> Dispatcher:
    return Dispatcher(session_factory, OrgPolicy(admins=("admin.wong",)), lambda: NOW)


async def outbox_rows(sessions: async_sessionmaker[AsyncSession]) -> list[OutboxMessage]:
    async with sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def ack_of(raw: str | None) -> dict[str, Any]:
    assert raw is not None
    ack: dict[str, Any] = json.loads(raw)
    return ack


async def test_help_is_answered_in_traditional_chinese(
    dispatcher: Dispatcher, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    ack = ack_of((await dispatcher.dispatch(bot_message("m1", " help"))).ack)
    assert (ack["code"], ack["headers"]["messageId"]) == (200, "m1")
    [row] = await outbox_rows(session_factory)
    assert row.payload["userIds"] == ["chan.taiman"]
    assert row.payload["msgParam"]["title"] == "合規助手：使用說明"


async def test_language_choice_is_remembered_and_audited(
    dispatcher: Dispatcher, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await dispatcher.dispatch(bot_message("m1", "language en"))
    await dispatcher.dispatch(bot_message("m2", "help"))
    rows = await outbox_rows(session_factory)
    assert [r.payload["msgParam"]["title"] for r in rows] == ["Language changed", "Compliance assistant: help"]
    async with session_factory() as session:
        from storage.audit import list_audit, verify_chain

        [entry] = await list_audit(session, limit=10, after_seq=0)
        assert (entry.action, entry.actor, entry.details) == ("preference.language", "chan.taiman", {"language": "en"})
        assert (await verify_chain(session)).ok


async def test_a_redelivered_frame_is_handled_once(
    dispatcher: Dispatcher, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    first = await dispatcher.dispatch(bot_message("m1", "help"))
    again = await dispatcher.dispatch(bot_message("m1", "help"))
    assert first.ack == again.ack
    assert len(await outbox_rows(session_factory)) == 1


async def test_concurrent_duplicates_are_handled_once(
    session_factory: async_sessionmaker[AsyncSession]
) -> None:
    # Two replicas (two dispatchers, so no shared lock) receive the same frame at the same time.
    replicas = [Dispatcher(session_factory, OrgPolicy(), lambda: NOW) for _ in range(2)]
    results = await asyncio.gather(*(d.dispatch(bot_message("m1", "help")) for d in replicas))
    assert all(ack_of(r.ack)["code"] == 200 for r in results)
    assert len(await outbox_rows(session_factory)) == 1


@pytest.mark.parametrize(
    ("raw", "code", "reason"),
    [
        (json.dumps({"type": "CALLBACK", "headers": {"topic": TOPIC_BOT_MESSAGE, "messageId": "bad1"},
                     "data": "{not json"}), 400, "data is not JSON"),
        (frame("CALLBACK", "/v1.0/unknown/topic", "bad2", {}), 404, "no handler for topic"),
        (bot_message("bad3", "help", senderStaffId=""), 400, "no senderStaffId"),
        (frame("CALLBACK", TOPIC_BOT_MESSAGE, "bad4", {"msgtype": "text"}), 400, "no senderStaffId"),
        (bot_message("bad6", None), 400, "quota"),
        (frame("CALLBACK", TOPIC_CARD_CALLBACK, "bad5", {"content": "{oops"}), 400, "not JSON"),
    ],
)
async def test_malformed_frames_are_acked_with_an_error_and_kept(
    dispatcher: Dispatcher, session_factory: async_sessionmaker[AsyncSession], raw: str, code: int, reason: str
) -> None:
    ack = ack_of((await dispatcher.dispatch(raw)).ack)
    assert ack["code"] == code and reason in ack["message"]
    async with session_factory() as session:
        kept = await session.get(ProcessedFrame, ack["headers"]["messageId"])
        assert kept is not None and kept.status == "rejected" and kept.raw == raw
    # ... and the next good frame is still answered.
    assert ack_of((await dispatcher.dispatch(bot_message("ok", "help"))).ack)["code"] == 200


async def test_a_frame_that_is_not_json_is_kept_but_cannot_be_acked(
    dispatcher: Dispatcher, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    assert (await dispatcher.dispatch("garbage")).ack is None
    async with session_factory() as session:
        [kept] = await session.scalars(select(ProcessedFrame))
        assert kept.status == "rejected" and kept.raw == "garbage"


async def test_ping_is_echoed_and_disconnect_is_acked_then_signalled(dispatcher: Dispatcher) -> None:
    ping = await dispatcher.dispatch(frame("SYSTEM", "ping", "p1", {"opaque": "abc"}))
    assert json.loads(ack_of(ping.ack)["data"]) == {"opaque": "abc"}
    bye = await dispatcher.dispatch(frame("SYSTEM", "disconnect", "d1", {"reason": "expired"}))
    assert bye.disconnect and ack_of(bye.ack)["code"] == 200


async def test_events_are_acked_with_a_status(dispatcher: Dispatcher) -> None:
    ack = ack_of((await dispatcher.dispatch(frame("EVENT", "*", "e1", {"chatId": "x"}))).ack)
    assert json.loads(ack["data"]) == {"status": "SUCCESS", "message": "ok"}


async def test_an_unknown_card_action_is_refused_privately(
    dispatcher: Dispatcher, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    content = json.dumps({"cardPrivateData": {"actionIds": ["x"], "params": {"action": "teleport"}}})
    data = {"type": "actionCallback", "outTrackId": "card-1", "userId": "lei.mei", "content": content,
            "spaceType": "IM_ROBOT", "spaceId": "lei.mei", "corpId": "ding"}
    ack = ack_of((await dispatcher.dispatch(frame("CALLBACK", TOPIC_CARD_CALLBACK, "c1", data))).ack)
    assert ack["code"] == 200
    assert json.loads(ack["data"])["response"]["cardUpdateOptions"]["updateCardDataByKey"] is True
    [row] = await outbox_rows(session_factory)
    assert row.payload["userIds"] == ["lei.mei"]
