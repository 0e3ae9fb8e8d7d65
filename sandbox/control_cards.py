"""Control API, part 4: looking at cards, clicking their buttons (wire reference 4.5) and forwarding them."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from sandbox import frames
from sandbox.bodies import control_body, fail, reply
from sandbox.cardstore import SPACE_MODEL, Card, Space
from sandbox.control import PREFIX
from sandbox.errors import ApiError
from sandbox.state import STATE, SandboxState
from sandbox.timeline import user_key


def _card(state: SandboxState, out_track_id: str) -> Card:
    card = state.cards.cards.get(out_track_id)
    if card is None:
        fail(404, f"unknown card {out_track_id!r}")
    return card


async def card_view(request: web.Request) -> web.Response:
    state = request.app[STATE]
    card = _card(state, request.match_info["outTrackId"])
    return reply(state.cards.view(card, request.query.get("as")))


def _callback_data(state: SandboxState, card: Card, user_id: str, space: Space,
                   body: dict[str, Any]) -> dict[str, Any]:
    action = {"actionIds": list(body.get("actionIds") or []), "params": dict(body.get("params") or {})}
    return {
        "type": "actionCallback",
        "outTrackId": card.out_track_id,
        "corpId": state.config.corp_id,
        "userId": state.cards.wire_user_id(card, user_id),
        "userIdType": card.user_id_type,
        "spaceType": space.type,
        "spaceId": state.cards.wire_user_id(card, space.id) if space.type == "IM_ROBOT" else space.id,
        "extension": json.dumps(body.get("extension") or {}),
        "content": json.dumps({"cardPrivateData": action}, ensure_ascii=False),
    }


async def click(request: web.Request) -> web.Response:
    """A user clicks a card button: DingTalk sends a callback and waits a short budget for the ack."""
    state = request.app[STATE]
    card = _card(state, request.match_info["outTrackId"])
    body = await control_body(request)
    if card.callback_type != "STREAM":
        fail(409, "the card was not created with callbackType STREAM, so DingTalk sends no stream callback")
    user_id = str(body.get("userId"))
    if user_id not in state.org.users:
        fail(404, f"unknown user {user_id!r}")
    space = state.cards.space_for(card, user_id)
    if space is None:
        fail(403, f"{user_id} cannot see card {card.out_track_id}")
    data = _callback_data(state, card, user_id, space, body)
    frame = frames.data_frame("CALLBACK", frames.CARD_CALLBACK_TOPIC, data, state.app_id, state.clock.now_ms())
    loop = asyncio.get_running_loop()
    started = loop.time()
    delivery = state.hub.publish(frame, redeliver=False, queue_offline=False)
    budget = state.config.card_callback_budget
    in_time = delivery.state != "undelivered" and await state.changes.wait_for(lambda: bool(delivery.acks), budget)
    result: dict[str, Any] = {"messageId": delivery.message_id, "delivered": delivery.state != "undelivered",
                              "acked": in_time, "ack": delivery.acks[0] if in_time else None,
                              "elapsed": round(loop.time() - started, 4)}
    result.update(_apply(state, card, user_id, result["ack"]))
    state.feed.publish({"type": "card", "outTrackId": card.out_track_id, "version": card.version})
    return reply({**result, "card": state.cards.view(card, user_id)})


async def forward(request: web.Request) -> web.Response:
    """A recipient forwards the card to a colleague, who then sees it in their chat and can click it."""
    state = request.app[STATE]
    card = _card(state, request.match_info["outTrackId"])
    body = await control_body(request)
    from_user, to_user = str(body.get("fromUserId")), str(body.get("toUserId"))
    for user_id in (from_user, to_user):
        if user_id not in state.org.users:
            fail(404, f"unknown user {user_id!r}")
    if from_user == to_user:
        fail(400, "fromUserId and toUserId are the same person")
    seen = state.cards.seen_through(card, from_user)
    if seen is None:
        fail(403, f"{from_user} cannot see card {card.out_track_id}")
    if not state.cards.forwardable(card, seen[1]):
        model = SPACE_MODEL[seen[1].type]
        fail(409, f"the card was delivered with {model}.supportForward not true, so it cannot be forwarded")
    copy = state.cards.forward(card, from_user, to_user, seen[1])
    state.timeline.add(user_key(to_user), {"kind": "card", "outTrackId": card.out_track_id,
                                          "forwardedBy": from_user})
    state.feed.publish({"type": "card", "outTrackId": card.out_track_id, "version": card.version})
    return reply({**copy.public(), "outTrackId": card.out_track_id, "card": state.cards.view(card, to_user)})


def _apply(state: SandboxState, card: Card, user_id: str, ack: dict[str, Any] | None) -> dict[str, Any]:
    """Apply the ack's ``response`` for the clicker; report what was ignored or refused."""
    if ack is None or ack["code"] != 200:
        return {"applied": False, "problem": None if ack is None else f"ack code {ack['code']}"}
    data = ack["data"]
    response = data.get("response") if isinstance(data, dict) else None
    if not isinstance(response, dict):
        return {"applied": False, "problem": None}
    warnings = []
    if "privateData" in response:
        warnings.append("privateData is not read from a callback response; use userPrivateData")
    try:
        state.cards.apply_callback(card, user_id, response)
    except ApiError as exc:
        return {"applied": False, "problem": f"{exc.code}: {exc.message}", "warnings": warnings}
    return {"applied": True, "problem": None, "warnings": warnings}


def routes() -> list[web.RouteDef]:
    return [
        web.get(PREFIX + "cards/{outTrackId}", card_view),
        web.post(PREFIX + "cards/{outTrackId}/click", click),
        web.post(PREFIX + "cards/{outTrackId}/forward", forward),
    ]
