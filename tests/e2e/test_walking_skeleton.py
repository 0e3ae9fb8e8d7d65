"""The bot against the sandbox over a real websocket: answers, dedup, reconnects, bad frames, outages."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import aiohttp
from sqlalchemy import func, select

from bot.app import Bot
from storage.db import create_engine, make_session_factory
from storage.models import OutboxMessage
from tests.e2e.conftest import BATCH_SEND, SandboxControl, TestClock

BOT_TOPIC = "/v1.0/im/bot/messages/get"


def title(call: dict[str, Any]) -> str:
    return str(json.loads(call["body"]["msgParam"])["title"])


async def outbox_count(bot: Bot) -> int:
    engine = create_engine(bot.settings.database_url)
    try:
        async with make_session_factory(engine)() as session:
            return int(await session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)
    finally:
        await engine.dispose()


async def test_help_is_answered_in_chinese_then_in_english(bot: Bot, control: SandboxControl) -> None:
    await control.say("chan.taiman", "help")
    [reply] = await control.wait_calls(BATCH_SEND)
    assert reply["body"]["userIds"] == ["chan.taiman"] and reply["status"] == 200
    assert title(reply) == "合規助手：使用說明"

    await control.say("chan.taiman", "language en")
    await control.say("chan.taiman", "help")
    calls = await control.wait_calls(BATCH_SEND, count=3)
    assert [title(c) for c in calls[1:]] == ["Language changed", "Compliance assistant: help"]
    said = await control.bot_messages("chan.taiman")
    assert len(said) == 3


async def test_a_redelivered_frame_is_handled_once(bot: Bot, control: SandboxControl) -> None:
    message_id = await control.say("lei.mei", "help")
    [first] = await control.wait_ack(message_id)
    await control.wait_calls(BATCH_SEND)
    await control.call("POST", "redeliver", {"messageId": message_id})
    acks = await control.wait_ack(message_id, count=2)
    assert [a["code"] for a in acks] == [200, 200] and acks[1]["data"] == first["data"]
    # The duplicate's ack came after its transaction, so had it queued a reply the row would exist now.
    assert await outbox_count(bot) == 1
    assert len(await control.calls(BATCH_SEND)) == 1


async def test_after_disconnect_the_bot_reconnects_and_answers(bot: Bot, control: SandboxControl) -> None:
    assert bot.stream is not None and bot.stream.connections_opened == 1
    result = await control.call("POST", "connections/disconnect", {"reason": "connection is expired"})
    [disconnect_id] = result["messageIds"]
    [ack] = await control.wait_ack(disconnect_id)  # acked before the bot closed the old socket
    assert ack["code"] == 200
    await control.wait_connected(count=1)
    await control.say("wong.kachun", "help")
    await control.wait_calls(BATCH_SEND)
    assert bot.stream.connections_opened == 2


async def test_after_an_abrupt_drop_the_bot_reconnects_and_answers(bot: Bot, control: SandboxControl) -> None:
    await control.call("POST", "connections/drop")
    await control.wait_connected(count=1)
    await control.say("ho.sioklan", "help")
    await control.wait_calls(BATCH_SEND)
    assert bot.stream is not None and bot.stream.connections_opened == 2


async def push(control: SandboxControl, frame: dict[str, Any]) -> str:
    sent = await control.call("POST", "frames", {"frame": frame})
    return str(sent["messageId"])


def callback(message_id: str, topic: str, data: str) -> dict[str, Any]:
    return {"specVersion": "1.0", "type": "CALLBACK", "data": data,
            "headers": {"topic": topic, "messageId": message_id, "contentType": "application/json",
                        "time": "1764493200000"}}


async def test_malformed_frames_are_acked_with_an_error_and_the_bot_keeps_answering(
    bot: Bot, control: SandboxControl
) -> None:
    cases = {
        "bad_json_1": (callback("bad_json_1", BOT_TOPIC, "{not json"), 400),
        "bad_topic_1": (callback("bad_topic_1", "/v1.0/no/such/topic", "{}"), 404),
        "bad_fields_1": (callback("bad_fields_1", BOT_TOPIC, json.dumps({"msgtype": "text"})), 400),
    }
    for message_id, (frame, code) in cases.items():
        await push(control, frame)
        [ack] = await control.wait_ack(message_id)
        assert ack["code"] == code, ack
    await control.call("POST", "frames", {"raw": "this is not a frame"})
    await control.say("cheang.kawai", "help")
    [reply] = await control.wait_calls(BATCH_SEND)
    assert reply["body"]["userIds"] == ["cheang.kawai"]


async def test_a_dingtalk_outage_delays_a_reply_but_loses_none(
    bot: Bot, control: SandboxControl, clock: TestClock
) -> None:
    await control.call("POST", "faults", {"path": BATCH_SEND, "kind": "server_error", "count": 6})
    await control.say("lam.siuyin", "help")
    failed = await control.wait_calls(BATCH_SEND, count=4)
    assert {c["status"] for c in failed} == {500}
    # The client gave up after its 4 attempts; the outbox row waits for its backoff, then is sent again:
    # 2 more failures and a success.
    assert await outbox_count(bot) == 1
    clock.advance(timedelta(minutes=5))
    calls = await control.wait_calls(BATCH_SEND, count=7, within=10)
    assert [c["status"] for c in calls] == [500] * 6 + [200]
    assert calls[-1]["body"]["userIds"] == ["lam.siuyin"]


async def test_health_and_readiness(bot: Bot) -> None:
    async with aiohttp.ClientSession(f"http://127.0.0.1:{bot.http_port}") as http:
        async with http.get("/healthz") as alive:
            assert alive.status == 200
        async with http.get("/readyz") as ready:
            assert ready.status == 200
            assert await ready.json() == {"stream": "connected", "schema": "current"}
