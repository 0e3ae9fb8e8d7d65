"""Card routes of the new API: create, deliver, update, streaming update."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox.bodies import json_body
from sandbox.cardstore import Card, Space, card_error
from sandbox.errors import SandboxHttpError
from sandbox.state import STATE, SandboxState
from sandbox.timeline import group_key, user_key


async def create_and_deliver(request: web.Request) -> web.Response:
    state = request.app[STATE]
    body = await json_body(request)
    card = state.cards.create(body)
    try:
        spaces = state.cards.parse_spaces(card, body.get("openSpaceId"))
        results = _deliver(state, card, spaces, body)
    except SandboxHttpError:
        del state.cards.cards[card.out_track_id]  # a refused delivery leaves no card behind
        raise
    return web.json_response({"success": True, "result": {"outTrackId": card.out_track_id,
                                                           "deliverResults": results}})


async def create(request: web.Request) -> web.Response:
    state = request.app[STATE]
    card = state.cards.create(await json_body(request))
    _announce(state, card)
    return web.json_response({"success": True, "result": card.out_track_id})


async def deliver(request: web.Request) -> web.Response:
    state = request.app[STATE]
    body = await json_body(request)
    card = state.cards.get(body.get("outTrackId"))
    if body.get("userIdType", card.user_id_type) != card.user_id_type:
        raise card_error("param.invalid", "userIdType differs from the one the card was created with")
    spaces = state.cards.parse_spaces(card, body.get("openSpaceId"))
    return web.json_response({"success": True, "result": _deliver(state, card, spaces, body)})


async def update(request: web.Request) -> web.Response:
    state = request.app[STATE]
    card = state.cards.update(await json_body(request))
    _announce(state, card)
    return web.json_response({"success": True, "result": True})


async def streaming(request: web.Request) -> web.Response:
    """``PUT /v1.0/card/streaming``: append to (or replace) one string variable of the card."""
    state = request.app[STATE]
    body = await json_body(request)
    card = state.cards.get(body.get("outTrackId"))
    key, content = body.get("key"), body.get("content")
    if not isinstance(key, str) or not key or not isinstance(content, str) or not body.get("guid"):
        raise card_error("param.invalid", "guid, key and a string content are required")
    card.public[key] = content if body.get("isFull", False) else card.public.get(key, "") + content
    card.version += 1
    _announce(state, card)
    return web.json_response({"success": True, "result": True})


def _deliver(state: SandboxState, card: Card, spaces: list[Space], body: dict[str, Any]) -> list[dict[str, Any]]:
    before = set(card.spaces)
    results = state.cards.deliver(card, spaces, body, state.config.client_id)
    for space in card.spaces:
        if space in before:
            continue
        entry = {"kind": "card", "outTrackId": card.out_track_id}
        if space.type == "IM_ROBOT":
            state.timeline.add(user_key(space.id), entry)
        elif space.type == "IM_GROUP":
            state.timeline.add(group_key(space.id), entry)
    _announce(state, card)
    return results


def _announce(state: SandboxState, card: Card) -> None:
    state.feed.publish({"type": "card", "outTrackId": card.out_track_id, "version": card.version})
    state.changes.bump()


def routes() -> list[web.RouteDef]:
    return [
        web.post("/v1.0/card/instances/createAndDeliver", create_and_deliver),
        web.post("/v1.0/card/instances", create),
        web.post("/v1.0/card/instances/deliver", deliver),
        web.put("/v1.0/card/instances", update),
        web.put("/v1.0/card/streaming", streaming),
    ]
