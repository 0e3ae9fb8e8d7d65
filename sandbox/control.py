"""Control API, part 1: inspection and knobs (org, state, reset, tokens, faults, codes, clock, connections)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox.bodies import control_body, fail, reply
from sandbox.faults import FAULT_KINDS, Fault
from sandbox.state import STATE, SandboxState

PREFIX = "/_sandbox/api/"


async def org(request: web.Request) -> web.Response:
    return reply(request.app[STATE].org.public())


async def state_view(request: web.Request) -> web.Response:
    state = request.app[STATE]
    hub = state.hub
    return reply({
        "connections": [c.public() for c in hub.connections.values()],
        "liveConnections": len(hub.live()),
        "queuedFrames": list(hub.queued),
        "malformedAcks": hub.malformed[-50:],
        "faults": [f.public() for f in state.faults.faults],
        "counts": _counts(state),
        "clockOffset": state.clock.offset,
        "clientId": state.config.client_id,
    })


def _counts(state: SandboxState) -> dict[str, int]:
    deliveries = state.hub.deliveries.values()
    return {
        "calls": state.calls.next_index,
        "frames": len(state.hub.deliveries),
        "acked": sum(1 for d in deliveries if d.state == "acked"),
        "unacked": sum(1 for d in deliveries if d.state in ("sent", "nacked")),
        "expired": sum(1 for d in deliveries if d.state == "expired"),
        "malformedAcks": len(state.hub.malformed),
        "cards": len(state.cards.cards),
        "liveTokens": state.tokens.count_live(),
    }


async def reset(request: web.Request) -> web.Response:
    request.app[STATE].reset()
    return reply({"ok": True})


async def revoke_tokens(request: web.Request) -> web.Response:
    return reply({"revoked": request.app[STATE].tokens.revoke_all()})


async def add_fault(request: web.Request) -> web.Response:
    body = await control_body(request)
    path, kind = body.get("path"), body.get("kind", "raw" if "status" in body else None)
    if not isinstance(path, str) or not path.startswith("/"):
        fail(400, "path must be an absolute path such as /v1.0/robot/oToMessages/batchSend")
    if kind not in FAULT_KINDS:
        fail(400, f"kind must be one of {', '.join(FAULT_KINDS)} (or give status and body)")
    method = body.get("method")
    fault = Fault(method.upper() if isinstance(method, str) else None, path, str(kind),
                  integer(body, "count", 1), integer(body, "status", 500), body.get("body"))
    request.app[STATE].faults.add(fault)
    return reply({"fault": fault.public()})


async def clear_faults(request: web.Request) -> web.Response:
    request.app[STATE].faults.clear()
    return reply({"ok": True})


async def auth_code(request: web.Request) -> web.Response:
    state = request.app[STATE]
    body = await control_body(request)
    user_id = body.get("userId")
    if user_id not in state.org.users:
        fail(404, f"unknown user {user_id!r}")
    return reply({"authCode": state.auth_codes.issue(str(user_id)), "expiresIn": state.config.auth_code_ttl})


async def advance_clock(request: web.Request) -> web.Response:
    state = request.app[STATE]
    body = await control_body(request)
    seconds = body.get("seconds")
    if not isinstance(seconds, int | float) or seconds < 0:
        fail(400, "seconds must be a non-negative number")
    state.clock.advance(float(seconds))
    return reply({"offset": state.clock.offset})


async def disconnect(request: web.Request) -> web.Response:
    state = request.app[STATE]
    body = await control_body(request)
    reason = str(body.get("reason", "connection is expired"))
    sent = [state.hub.disconnect(c, reason) for c in state.hub.live()]
    return reply({"disconnected": [d.sends[-1]["connectionId"] for d in sent],
                  "messageIds": [d.message_id for d in sent]})


async def drop(request: web.Request) -> web.Response:
    state = request.app[STATE]
    dropped = list(state.hub.connections.values())
    for conn in dropped:
        state.hub.drop(conn)
    return reply({"dropped": [c.id for c in dropped]})


async def ping(request: web.Request) -> web.Response:
    state = request.app[STATE]
    return reply({"messageIds": [state.hub.ping(c).message_id for c in state.hub.live()]})


def routes() -> list[web.RouteDef]:
    p = PREFIX
    return [
        web.get(p + "org", org),
        web.get(p + "state", state_view),
        web.post(p + "reset", reset),
        web.post(p + "tokens/revoke", revoke_tokens),
        web.post(p + "faults", add_fault),
        web.delete(p + "faults", clear_faults),
        web.post(p + "auth-codes", auth_code),
        web.post(p + "clock/advance", advance_clock),
        web.post(p + "connections/disconnect", disconnect),
        web.post(p + "connections/drop", drop),
        web.post(p + "connections/ping", ping),
    ]


def number(body: dict[str, Any], key: str, default: float) -> float:
    value = body.get(key, default)
    if not isinstance(value, int | float) or isinstance(value, bool):
        fail(400, f"{key} must be a number")
    return float(value)


def integer(source: Any, key: str, default: int) -> int:
    """An integer field of a JSON body or a query string, or a 400."""
    try:
        return int(source.get(key, default))
    except (TypeError, ValueError):
        fail(400, f"{key} must be an integer")
