"""Acks, redelivery with the same messageId, pings, disconnects and malformed traffic."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from tests.sandbox.conftest import SandboxFactory
from tests.sandbox.streamclient import BOT_TOPIC, StreamClient

API = "/_sandbox/api/"


async def _say(http: aiohttp.ClientSession, text: str = "hi") -> dict[str, Any]:
    response = await http.post(API + "messages", json={"userId": "lei.mei", "text": text})
    body: dict[str, Any] = await response.json()
    return body


async def test_ack_is_recorded(http: aiohttp.ClientSession, bot: StreamClient) -> None:
    injected = await _say(http)
    frame = await bot.frame()
    await bot.ack(frame)
    response = await http.post(API + "wait-ack", json={"messageId": injected["messageId"], "timeout": 2})
    body = await response.json()
    assert response.status == 200 and body["state"] == "acked"
    assert body["acks"][0]["code"] == 200 and body["acks"][0]["data"] == {"response": None}
    assert body["acks"][0]["problems"] == []


async def test_unacked_frame_is_redelivered_with_the_same_message_id(http: aiohttp.ClientSession,
                                                                     bot: StreamClient) -> None:
    injected = await _say(http)
    first = await bot.frame()
    second = await bot.frame()  # nothing acked, so after ack_timeout the same frame comes back
    assert second["headers"]["messageId"] == first["headers"]["messageId"] == injected["messageId"]
    assert second["data"] == first["data"]
    await bot.ack(second)
    body = await (await http.post(API + "wait-ack", json={"messageId": injected["messageId"]})).json()
    assert body["state"] == "acked" and len(body["sends"]) == 2


async def test_redelivery_gives_up_after_max_redeliveries(make_sandbox: SandboxFactory) -> None:
    sandbox = await make_sandbox(ack_timeout=0.05, max_redeliveries=2)
    async with aiohttp.ClientSession(base_url=sandbox.url) as http:
        bot = StreamClient(http, [("CALLBACK", BOT_TOPIC)])
        await bot.connect()
        injected = await _say(http)
        response = await http.post(API + "wait-frame",
                                   json={"messageId": injected["messageId"], "state": "expired", "timeout": 3})
        body = await response.json()
        assert response.status == 200 and len(body["sends"]) == 3 and body["redeliveries"] == 2
        await bot.close()


async def test_error_ack_triggers_redelivery(http: aiohttp.ClientSession, bot: StreamClient) -> None:
    injected = await _say(http)
    await bot.ack(await bot.frame(), code=500)
    again = await bot.frame()
    assert again["headers"]["messageId"] == injected["messageId"]
    await bot.ack(again)
    body = await (await http.post(API + "wait-ack", json={"messageId": injected["messageId"], "count": 2})).json()
    assert [a["code"] for a in body["acks"]] == [500, 200] and body["state"] == "acked"


async def test_event_ack_with_status_later_triggers_redelivery(http: aiohttp.ClientSession) -> None:
    events = StreamClient(http, [("EVENT", "*")])
    await events.connect()
    frame = {"specVersion": "1.0", "type": "EVENT",
             "headers": {"topic": "*", "messageId": "abcd1234_1_18f_1", "contentType": "application/json",
                         "time": "1", "eventType": "chat_update_title"}, "data": "{}"}
    await http.post(API + "frames", json={"frame": frame, "redeliver": True})
    await events.send({"code": 200, "headers": {"messageId": "abcd1234_1_18f_1"}, "message": "later",
                       "data": json.dumps({"status": "LATER", "message": "busy"})})
    again = await events.frame()
    assert again["headers"]["messageId"] == "abcd1234_1_18f_1"
    await events.close()


async def test_malformed_acks_are_recorded(http: aiohttp.ClientSession, bot: StreamClient) -> None:
    await bot.send("not json")
    await bot.send({"code": 200, "headers": {}, "message": "OK", "data": "{}"})
    await bot.send({"code": 200, "headers": {"messageId": "nope"}, "message": "OK", "data": "{}"})
    await bot.send({"code": 200, "headers": {"messageId": "x"}, "message": "OK", "data": {"not": "a string"}})
    await http.post(API + "connections/ping")  # a round trip, so the four frames above have been read
    await bot.echo_system(await bot.frame(skip_pings=False))
    state = await (await http.get(API + "state")).json()
    reasons = [m["reason"] for m in state["malformedAcks"]]
    assert reasons == ["not JSON", "headers.messageId missing", "ack for an unknown messageId",
                       "data is not a JSON string"]


async def test_ping_is_echoed_by_the_sdk_handler(make_sandbox: SandboxFactory) -> None:
    sandbox = await make_sandbox(ping_interval=0.05)
    async with aiohttp.ClientSession(base_url=sandbox.url) as http:
        bot = StreamClient(http, [("CALLBACK", BOT_TOPIC)])
        await bot.connect()
        ping = await bot.frame(skip_pings=False)
        assert ping["type"] == "SYSTEM" and ping["headers"]["topic"] == "ping"
        opaque = json.loads(ping["data"])["opaque"]
        await bot.echo_system(ping)
        await http.post(API + "wait-ack", json={"messageId": ping["headers"]["messageId"]})
        state = await (await http.get(API + "state")).json()
        pings = state["connections"][0]["pings"]
        echoed = [p for p in pings if p["messageId"] == ping["headers"]["messageId"]]
        assert echoed[0]["ok"] is True and echoed[0]["echo"] == {"opaque": opaque}
        await bot.close()


async def test_disconnect_stops_routing_then_closes(http: aiohttp.ClientSession, bot: StreamClient) -> None:
    await http.post(API + "connections/disconnect", json={"reason": "connection is expired"})
    frame = await bot.frame(skip_pings=False)
    assert frame["type"] == "SYSTEM" and frame["headers"]["topic"] == "disconnect"
    assert json.loads(frame["data"]) == {"reason": "connection is expired"}
    injected = await _say(http)
    assert injected["queued"] is True  # no longer routed to the departing connection
    assert await bot.ended() is aiohttp.WSMsgType.CLOSE  # closed by the server after the grace period
    replacement = StreamClient(http, [("CALLBACK", BOT_TOPIC)])
    await replacement.connect()
    assert (await replacement.frame())["headers"]["messageId"] == injected["messageId"]
    await replacement.close()


async def test_drop_cuts_the_connection(http: aiohttp.ClientSession, bot: StreamClient) -> None:
    await http.post(API + "connections/drop")
    assert await bot.ended() in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR, aiohttp.WSMsgType.CLOSE)
    state = await (await http.get(API + "state")).json()
    assert state["liveConnections"] == 0


async def test_manual_redeliver_and_raw_frames(http: aiohttp.ClientSession, bot: StreamClient) -> None:
    injected = await _say(http)
    await bot.ack(await bot.frame())
    await http.post(API + "redeliver", json={"messageId": injected["messageId"]})
    assert (await bot.frame())["headers"]["messageId"] == injected["messageId"]
    response = await http.post(API + "frames", json={"raw": "{broken"})
    assert (await response.json())["messageId"] is None
    assert await bot.ws.receive_str(timeout=2) == "{broken"  # type: ignore[union-attr]
