"""The control API's own behaviour: events, reset, waits, the page and the command line."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from sandbox.__main__ import parse_args
from tests.sandbox.streamclient import StreamClient

API = "/_sandbox/api/"


async def _next_event(response: aiohttp.ClientResponse, wanted: str) -> dict[str, Any]:
    async with asyncio.timeout(2):
        while True:
            line = (await response.content.readline()).decode()
            if line.startswith("data: "):
                event: dict[str, Any] = json.loads(line[6:])
                if event["type"] == wanted:
                    return event


async def test_events_stream_reports_connections_and_chats(http: aiohttp.ClientSession) -> None:
    async with http.get(API + "events") as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        assert (await _next_event(stream, "connections"))["live"] == 0
        bot = StreamClient(http, [("CALLBACK", "/v1.0/im/bot/messages/get")])
        await bot.connect()
        assert (await _next_event(stream, "connections"))["live"] == 1
        await http.post(API + "messages", json={"userId": "lei.mei", "text": "hi"})
        assert (await _next_event(stream, "chat"))["chat"] == "user:lei.mei"
        await bot.close()


async def test_reset_forgets_traffic_but_keeps_connections(http: aiohttp.ClientSession, bot: StreamClient) -> None:
    await http.post(API + "messages", json={"userId": "lei.mei", "text": "hi"})
    await bot.frame()
    await http.post(API + "reset")
    chat = await (await http.get(API + "chats/lei.mei")).json()
    state = await (await http.get(API + "state")).json()
    assert chat["entries"] == [] and state["liveConnections"] == 1 and state["counts"]["frames"] == 0


async def test_waits_time_out_with_408(http: aiohttp.ClientSession) -> None:
    response = await http.post(API + "wait-connected", json={"count": 1, "timeout": 0.05})
    assert response.status == 408 and (await response.json())["error"] == "timeout"
    assert (await http.post(API + "wait-ack", json={"messageId": "nope"})).status == 404


async def test_control_errors(http: aiohttp.ClientSession) -> None:
    assert (await http.post(API + "messages", json={"userId": "ghost", "text": "x"})).status == 404
    assert (await http.post(API + "messages", json={"userId": "lei.mei"})).status == 400
    assert (await http.post(API + "faults", json={"path": "/x", "kind": "meteor"})).status == 400
    not_member = await http.post(API + "group-messages", json={"conversationId": "cidHRteamSandbox0001Q==",
                                                                "userId": "lam.siuyin", "text": "hi"})
    assert not_member.status == 403


async def test_org_view(http: aiohttp.ClientSession) -> None:
    org = await (await http.get(API + "org")).json()
    assert len(org["users"]) == 10 and len(org["groups"]) == 2
    assert [u["userId"] for u in org["users"] if u["admin"]] == ["admin.wong"]
    assert [u["userId"] for u in org["users"] if u["boss"]] == ["chan.taiman"]


async def test_page_and_assets_are_served(http: aiohttp.ClientSession) -> None:
    page = await http.get("/")
    assert page.status == 200 and "DingTalk Sandbox" in await page.text()
    for name in ("app.js", "cards.js", "markdown.js", "style.css", "ui.js"):
        assert (await http.get("/static/" + name)).status == 200
    assert (await http.get("/static/../server.py")).status == 404


def test_command_line_defaults() -> None:
    args = parse_args([])
    assert (args.host, args.port) == ("127.0.0.1", 8765)
    assert parse_args(["--port", "0", "--ping-interval", "0"]).ping_interval == 0.0
