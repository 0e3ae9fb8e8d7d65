"""Control API, part 3: timelines, the call log, long-poll waits and the live event stream."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from sandbox.bodies import control_body, fail, reply
from sandbox.control import PREFIX, integer, number
from sandbox.hub import Delivery
from sandbox.inbound import conversation_of
from sandbox.state import STATE, SandboxState
from sandbox.timeline import group_key, user_key

KEEPALIVE_SECONDS = 15.0


def _resolve(state: SandboxState, entries: list[dict[str, Any]], viewer: str | None) -> list[dict[str, Any]]:
    resolved = []
    for entry in entries:
        card = state.cards.cards.get(entry.get("outTrackId", "")) if entry["kind"] == "card" else None
        resolved.append({**entry, "card": state.cards.view(card, viewer)} if card else entry)
    return resolved


async def chat(request: web.Request) -> web.Response:
    state = request.app[STATE]
    user = state.org.users.get(request.match_info["userId"])
    if user is None:
        fail(404, "unknown user")
    entries = _resolve(state, state.timeline.entries(user_key(user.userid)), user.userid)
    return reply({"user": user.public(), "conversationId": conversation_of(user), "entries": entries})


async def group_chat(request: web.Request) -> web.Response:
    state = request.app[STATE]
    group = state.org.groups.get(request.match_info["cid"])
    if group is None:
        fail(404, "unknown group")
    viewer = request.query.get("as")
    entries = _resolve(state, state.timeline.entries(group_key(group.conversation_id)), viewer)
    return reply({"conversationId": group.conversation_id, "title": group.title, "members": group.members,
                  "entries": entries})


async def calls(request: web.Request) -> web.Response:
    state = request.app[STATE]
    query = request.query
    found = state.calls.matching(query.get("path"), query.get("method"), integer(query, "since", 0))
    return reply({"calls": [c.public() for c in found], "next": state.calls.next_index})


async def wait_calls(request: web.Request) -> web.Response:
    """Long-poll until ``count`` calls to ``path`` (and ``method``) exist from index ``since`` on."""
    state = request.app[STATE]
    body = await control_body(request)
    path, method = body.get("path"), body.get("method")
    count, since = integer(body, "count", 1), integer(body, "since", 0)

    def found() -> list[Any]:
        return state.calls.matching(path, method, since)

    ok = await state.changes.wait_for(lambda: len(found()) >= count, number(body, "timeout", 5.0))
    result = {"calls": [c.public() for c in found()], "next": state.calls.next_index}
    return reply(result if ok else {"error": "timeout", **result}, 200 if ok else 408)


def _delivery(state: SandboxState, body: dict[str, Any]) -> Delivery:
    delivery = state.hub.deliveries.get(str(body.get("messageId")))
    if delivery is None:
        fail(404, f"unknown messageId {body.get('messageId')!r}")
    return delivery


async def wait_ack(request: web.Request) -> web.Response:
    """Long-poll until the frame has at least ``count`` acks."""
    state = request.app[STATE]
    body = await control_body(request)
    delivery = _delivery(state, body)
    count = integer(body, "count", 1)
    ok = await state.changes.wait_for(lambda: len(delivery.acks) >= count, number(body, "timeout", 5.0))
    result = {"acks": delivery.acks, "state": delivery.state, "sends": delivery.sends}
    return reply(result if ok else {"error": "timeout", **result}, 200 if ok else 408)


async def wait_frame(request: web.Request) -> web.Response:
    """Long-poll until the frame has been sent ``sends`` times, or reached ``state``."""
    state = request.app[STATE]
    body = await control_body(request)
    delivery = _delivery(state, body)
    sends, wanted = integer(body, "sends", 1), body.get("state")

    def reached() -> bool:
        return delivery.state == wanted if wanted else len(delivery.sends) >= sends

    ok = await state.changes.wait_for(reached, number(body, "timeout", 5.0))
    return reply(delivery.public() if ok else {"error": "timeout", **delivery.public()}, 200 if ok else 408)


async def frame(request: web.Request) -> web.Response:
    return reply(_delivery(request.app[STATE], {"messageId": request.match_info["messageId"]}).public())


async def wait_connected(request: web.Request) -> web.Response:
    state = request.app[STATE]
    body = await control_body(request)
    count = integer(body, "count", 1)
    ok = await state.changes.wait_for(lambda: len(state.hub.live()) >= count, number(body, "timeout", 5.0))
    result = {"connections": [c.public() for c in state.hub.live()]}
    return reply(result if ok else {"error": "timeout", **result}, 200 if ok else 408)


async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events for the page: chats, cards, connections and calls as they change."""
    state = request.app[STATE]
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await response.prepare(request)
    queue = state.feed.subscribe()
    try:
        await _send_event(response, {"type": "connections", "live": len(state.hub.live()),
                                     "total": len(state.hub.connections)})
        while True:
            try:
                async with asyncio.timeout(KEEPALIVE_SECONDS):
                    event = await queue.get()
            except TimeoutError:
                await response.write(b": keepalive\n\n")
                continue
            if event is None:
                break
            await _send_event(response, event)
    except ConnectionResetError:
        pass  # the page went away
    finally:
        state.feed.unsubscribe(queue)
    return response


async def _send_event(response: web.StreamResponse, event: dict[str, Any]) -> None:
    await response.write(f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode())


def routes() -> list[web.RouteDef]:
    p = PREFIX
    return [
        web.get(p + "chats/{userId}", chat),
        web.get(p + "groups/{cid}", group_chat),
        web.get(p + "calls", calls),
        web.post(p + "wait", wait_calls),
        web.post(p + "wait-ack", wait_ack),
        web.post(p + "wait-frame", wait_frame),
        web.post(p + "wait-connected", wait_connected),
        web.get(p + "frames/{messageId}", frame),
        web.get(p + "events", events),
    ]
