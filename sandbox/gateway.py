"""Stream registration (wire reference 1.1) and the websocket endpoint (1.2)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from aiohttp import WSMsgType, web

from sandbox import errors
from sandbox.bodies import json_body
from sandbox.connection import Connection
from sandbox.frames import FRAME_TYPES
from sandbox.state import STATE, SandboxState

_NOT_ACCEPTABLE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NotAcceptable</Code>'
    "<Message>send Accept: application/json</Message></Error>"
)


async def open_connection(request: web.Request) -> web.Response:
    """``POST /v1.0/gateway/connections/open``: check the app's credentials and hand out a ticket."""
    state = request.app[STATE]
    if "application/json" not in request.headers.get("Accept", ""):
        # DingTalk falls back to XML here; the 406 makes a missing Accept header obvious.
        return web.Response(status=406, text=_NOT_ACCEPTABLE, content_type="application/xml")
    body = await json_body(request)
    if body.get("clientId") != state.config.client_id or body.get("clientSecret") != state.config.client_secret:
        raise errors.ApiError(400, "invalidClientIdOrSecret", "无效的clientId或者clientSecret")
    subscriptions = _subscriptions(request.path, body.get("subscriptions"))
    ticket = state.tickets.issue(subscriptions, str(body.get("ua", "")), str(body.get("localIp", "")))
    endpoint = state.base_url.replace("http://", "ws://", 1) + "/connect"
    return web.json_response({"endpoint": endpoint, "ticket": ticket.value})


def _subscriptions(path: str, raw: Any) -> list[dict[str, str]]:
    if not isinstance(raw, list):
        raise errors.bad_parameter(path, "subscriptions must be a list")
    subscriptions = []
    for item in raw:
        if not isinstance(item, dict) or item.get("type") not in FRAME_TYPES or not item.get("topic"):
            raise errors.bad_parameter(path, f"bad subscription {item!r}")
        if item["type"] == "EVENT" and item["topic"] != "*":
            raise errors.bad_parameter(path, "EVENT subscriptions only support topic '*'")
        subscriptions.append({"type": str(item["type"]), "topic": str(item["topic"])})
    return subscriptions


async def connect(request: web.Request) -> web.StreamResponse:
    """``GET /connect?ticket=``: the stream websocket."""
    state = request.app[STATE]
    ticket, problem = state.tickets.redeem(request.query.get("ticket", ""))
    if ticket is None:
        _record(state, request, 401, {"error": problem})
        raise web.HTTPUnauthorized(text=problem)
    ws = web.WebSocketResponse(autoping=True, max_msg_size=4 * 1024 * 1024)
    await ws.prepare(request)
    _record(state, request, 101, None)
    conn = Connection(str(uuid.uuid4()), ticket.subscriptions, ws, request.transport, state.clock.now_ms())
    await _serve(state, conn)
    return ws


async def _serve(state: SandboxState, conn: Connection) -> None:
    writer = state.tasks.spawn(conn.run_writer(), f"ws-writer-{conn.id}")
    pinger = state.tasks.spawn(state.hub.run_pings(conn), f"ws-pinger-{conn.id}")
    state.hub.register(conn)
    try:
        async for msg in conn.ws:
            if msg.type is WSMsgType.TEXT:
                state.hub.on_text(conn, msg.data)
            elif msg.type is WSMsgType.BINARY:
                state.hub.on_text(conn, msg.data.decode("utf-8", "replace"))
    finally:
        state.hub.unregister(conn)
        writer.cancel()
        pinger.cancel()
        await asyncio.gather(writer, pinger, return_exceptions=True)


def _record(state: SandboxState, request: web.Request, status: int, response: Any) -> None:
    state.calls.record(at=state.clock.now_ms(), method="GET", path="/connect", query=dict(request.query),
                       body=None, status=status, response=response)
    state.changes.bump()
