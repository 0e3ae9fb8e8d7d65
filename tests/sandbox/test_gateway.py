"""Registration, tickets, subscriptions and routing to connections."""

from __future__ import annotations

import aiohttp

from sandbox import Sandbox
from tests.sandbox.conftest import SandboxFactory
from tests.sandbox.streamclient import BOT_TOPIC, CARD_TOPIC, CREDENTIALS, StreamClient, data_of

OPEN = "/v1.0/gateway/connections/open"
JSON = {"Accept": "application/json"}


async def test_bad_credentials_get_the_documented_error(http: aiohttp.ClientSession) -> None:
    response = await http.post(OPEN, json={"clientId": "x", "clientSecret": "y", "subscriptions": []}, headers=JSON)
    assert response.status == 400
    body = await response.json()
    assert body["code"] == "invalidClientIdOrSecret"
    assert set(body) == {"code", "message", "requestid"}


async def test_open_without_accept_json_is_refused(http: aiohttp.ClientSession) -> None:
    response = await http.post(OPEN, json={**CREDENTIALS, "subscriptions": []}, headers={"Accept": "*/*"})
    assert response.status == 406


async def test_ticket_is_single_use(http: aiohttp.ClientSession) -> None:
    client = StreamClient(http, [("CALLBACK", BOT_TOPIC)])
    ticket = await client.register()
    assert ticket["endpoint"].startswith("ws://127.0.0.1:") and ticket["endpoint"].endswith("/connect")
    url = f"{ticket['endpoint']}?ticket={ticket['ticket']}"
    first = await http.ws_connect(url)
    try:
        upgrade = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
                   "Sec-WebSocket-Key": "x3JJHMbDL1EzLkh9GBhXDw=="}
        response = await http.get(url, headers=upgrade)
        assert response.status == 401
    finally:
        await first.close()


async def test_unknown_and_expired_tickets_are_refused(http: aiohttp.ClientSession) -> None:
    client = StreamClient(http, [("CALLBACK", BOT_TOPIC)])
    ticket = await client.register()
    await http.post("/_sandbox/api/clock/advance", json={"seconds": 91})
    for value in (ticket["ticket"], "no-such-ticket"):
        try:
            await http.ws_connect(f"{ticket['endpoint']}?ticket={value}")
        except aiohttp.WSServerHandshakeError as exc:
            assert exc.status == 401
        else:
            raise AssertionError("handshake should have failed")


async def test_frames_follow_the_wire_format(http: aiohttp.ClientSession, bot: StreamClient) -> None:
    injected = await (await http.post("/_sandbox/api/messages", json={"userId": "lei.mei", "text": "你好"})).json()
    frame = await bot.frame()
    assert frame["specVersion"] == "1.0" and frame["type"] == "CALLBACK"
    headers = frame["headers"]
    assert all(isinstance(v, str) for v in headers.values())
    assert {"topic", "messageId", "contentType", "time", "appId", "connectionId"} <= set(headers)
    assert headers["messageId"] == injected["messageId"] and len(headers["messageId"].split("_")) == 4
    data = data_of(frame)
    assert data["conversationType"] == "1" and data["senderStaffId"] == "lei.mei"
    assert data["senderUnionId"] == "union-lei-mei" and data["robotCode"] == "sandbox-client-id"
    assert data["text"] == {"content": "你好"} and data["msgId"] == injected["msgId"]
    assert data["sessionWebhookExpiredTime"] == data["createAt"] + 90 * 60 * 1000
    assert "atUsers" not in data and "conversationTitle" not in data


async def test_only_subscribed_topics_are_pushed_and_others_wait(http: aiohttp.ClientSession) -> None:
    cards_only = StreamClient(http, [("CALLBACK", CARD_TOPIC)])
    await cards_only.connect()
    injected = await (await http.post("/_sandbox/api/messages", json={"userId": "lei.mei", "text": "hi"})).json()
    assert injected["queued"] is True and injected["delivered"] is False
    messages = StreamClient(http, [("CALLBACK", BOT_TOPIC)])
    await messages.connect()
    frame = await messages.frame()
    assert frame["headers"]["messageId"] == injected["messageId"]
    state = await (await http.get("/_sandbox/api/state")).json()
    by_id = {c["id"]: c for c in state["connections"]}
    assert by_id[frame["headers"]["connectionId"]]["subscriptions"] == [{"type": "CALLBACK", "topic": BOT_TOPIC}]
    await cards_only.close()
    await messages.close()


async def test_each_frame_goes_to_exactly_one_connection(make_sandbox: SandboxFactory) -> None:
    sandbox: Sandbox = await make_sandbox()
    async with aiohttp.ClientSession(base_url=sandbox.url) as http:
        clients = [StreamClient(http, [("CALLBACK", BOT_TOPIC)]) for _ in range(2)]
        for client in clients:
            await client.connect()
        await http.post("/_sandbox/api/wait-connected", json={"count": 2, "timeout": 2})
        for i in range(6):
            await http.post("/_sandbox/api/messages", json={"userId": "lei.mei", "text": f"m{i}"})
        state = await (await http.get("/_sandbox/api/state")).json()
        assert sum(c["framesSent"] for c in state["connections"]) == 6
        for client in clients:
            await client.close()
