"""Card instances: validation per wire reference 4.2-4.5 and 13, delivery targets, data and per-user views."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sandbox import ids
from sandbox.clock import SandboxClock
from sandbox.errors import ApiError
from sandbox.org import Org

SPACE_TYPES = ("IM_GROUP", "IM_SINGLE", "IM_ROBOT", "ONE_BOX")
_SPACE = re.compile(r"^dtv1\.card//([A-Za-z_]+)\.(.+)$")
SPACE_MODEL = {"IM_ROBOT": "imRobotOpenSpaceModel", "IM_GROUP": "imGroupOpenSpaceModel",
               "IM_SINGLE": "imSingleOpenSpaceModel", "ONE_BOX": "topOpenSpaceModel"}
DELIVER_MODEL = {"IM_ROBOT": "imRobotOpenDeliverModel", "IM_GROUP": "imGroupOpenDeliverModel",
                 "IM_SINGLE": "imSingleOpenDeliverModel", "ONE_BOX": "topOpenDeliverModel"}


def card_error(code: str, message: str) -> ApiError:
    return ApiError(400, code, message)


@dataclass(frozen=True)
class Space:
    type: str  # upper case
    id: str  # userId for IM_ROBOT (after unionId mapping), openConversationId for groups

    @property
    def open_space_id(self) -> str:
        return f"dtv1.card//{self.type}.{self.id}"


@dataclass(frozen=True)
class Forward:
    """A copy of a card that ``from_user`` forwarded to ``to_user``."""

    from_user: str
    to_user: str
    space: Space  # the chat the copy sits in (README: "Where the sandbox guesses")
    origin: Space  # the delivered space the forwarded card came from
    at: int

    def public(self) -> dict[str, Any]:
        return {"fromUserId": self.from_user, "toUserId": self.to_user, "spaceType": self.space.type,
                "spaceId": self.space.id, "at": self.at}


@dataclass
class Card:
    out_track_id: str
    template_id: str
    callback_type: str | None
    user_id_type: int
    public: dict[str, str]
    private: dict[str, dict[str, str]]
    space_models: dict[str, Any]
    created_at: int
    updated_at: int
    spaces: list[Space] = field(default_factory=list)
    recipients: dict[str, list[str]] = field(default_factory=dict)  # group cid -> who may see it
    overlays: dict[str, tuple[bool, dict[str, str]]] = field(default_factory=dict)  # clicker -> (replace, data)
    forwards: list[Forward] = field(default_factory=list)
    version: int = 1


def param_map(obj: Any, what: str) -> dict[str, str]:
    """``{"cardParamMap": {...}}`` whose values must all be strings."""
    if not isinstance(obj, dict) or not isinstance(obj.get("cardParamMap", {}), dict):
        raise card_error("param.invalid", f"{what} must be an object with a cardParamMap object")
    params = obj.get("cardParamMap", {})
    for key, value in params.items():
        if not isinstance(value, str):
            raise card_error("param.invalid", f"{what}.cardParamMap.{key} must be a string, got {type(value).__name__}")
    return dict(params)


def merge(base: dict[str, str], new: dict[str, str], by_key: bool) -> dict[str, str]:
    return {**base, **new} if by_key else dict(new)


class CardStore:
    def __init__(self, org: Org, clock: SandboxClock) -> None:
        self._org = org
        self._clock = clock
        self.cards: dict[str, Card] = {}

    def clear(self) -> None:
        self.cards.clear()

    def user_id(self, raw: str, user_id_type: int) -> str:
        """userIdType 2 means unionIds on the wire; cards are kept by userId."""
        if user_id_type == 2 and raw in self._org.by_union:
            return self._org.by_union[raw].userid
        return raw

    def wire_user_id(self, card: Card, user_id: str) -> str:
        user = self._org.users.get(user_id)
        return user.unionid if card.user_id_type == 2 and user else user_id

    def create(self, body: dict[str, Any]) -> Card:
        out_track_id = body.get("outTrackId")
        if not out_track_id or not isinstance(out_track_id, str):
            raise card_error("param.outTrackIdEmpty", "outTrackId is empty")
        if not body.get("cardTemplateId"):
            raise card_error("param.cardTemplateIdEmpty", "cardTemplateId is empty")
        if "cardData" not in body:
            raise card_error("param.cardPublicDataEmpty", "cardData is empty")
        callback_type = body.get("callbackType")
        if callback_type is not None and callback_type not in ("STREAM", "HTTP"):
            raise card_error("param.invalid", "callbackType must be STREAM or HTTP")
        user_id_type = body.get("userIdType", 1)
        if user_id_type not in (1, 2):
            raise card_error("param.invalid", "userIdType must be 1 or 2")
        public = param_map(body["cardData"], "cardData")
        private = self._private(body.get("privateData"), user_id_type)
        models = {k: body[k] for k in SPACE_MODEL.values() if k in body}
        for name, model in models.items():
            if not isinstance(model, dict) or "supportForward" not in model:
                raise card_error("param.openSpaceModelInvalid", f"{name} needs supportForward")
        if out_track_id in self.cards:
            raise card_error("param.cardAlreadyExist", f"card {out_track_id} already exists")
        now = self._clock.now_ms()
        card = Card(out_track_id, str(body["cardTemplateId"]), callback_type, user_id_type, public, private,
                    models, now, now)
        self.cards[out_track_id] = card
        return card

    def _private(self, raw: Any, user_id_type: int) -> dict[str, dict[str, str]]:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            raise card_error("param.invalid", "privateData must be an object keyed by user id")
        return {self.user_id(k, user_id_type): param_map(v, f"privateData.{k}") for k, v in raw.items()}

    def get(self, out_track_id: Any) -> Card:
        if not out_track_id:
            raise card_error("param.outTrackIdEmpty", "outTrackId is empty")
        card = self.cards.get(str(out_track_id))
        if card is None:
            raise card_error("param.cardNotExist", f"card {out_track_id} does not exist")
        return card

    def parse_spaces(self, card: Card, raw: Any) -> list[Space]:
        if not raw:
            raise card_error("param.openSpaceIdEmpty", "openSpaceId is empty")
        spaces = []
        for part in str(raw).split(";"):
            match = _SPACE.match(part.strip())
            if match is None or match.group(1).upper() not in SPACE_TYPES:
                raise card_error("param.openSpaceIdInvalid", f"bad openSpaceId part {part!r}")
            kind = match.group(1).upper()
            space_id = self.user_id(match.group(2), card.user_id_type) if kind == "IM_ROBOT" else match.group(2)
            spaces.append(Space(kind, space_id))
        return spaces

    def deliver(self, card: Card, spaces: list[Space], body: dict[str, Any], robot_code: str) -> list[dict[str, Any]]:
        """Deliver to each space; a space that cannot take the card fails on its own, as DingTalk reports it."""
        for space in spaces:
            if SPACE_MODEL[space.type] not in card.space_models:
                raise card_error("param.openSpaceModelInvalid", f"{SPACE_MODEL[space.type]} is required")
            if not isinstance(body.get(DELIVER_MODEL[space.type]), dict):
                raise card_error("param.openDeliverModelEmpty", f"{DELIVER_MODEL[space.type]} is required")
        results = []
        for space in spaces:
            problem = self._problem(space, body[DELIVER_MODEL[space.type]], robot_code)
            if not problem and space not in card.spaces:
                card.spaces.append(space)
                if space.type == "IM_GROUP" and body[DELIVER_MODEL["IM_GROUP"]].get("recipients"):
                    card.recipients[space.id] = [
                        self.user_id(r, card.user_id_type) for r in body[DELIVER_MODEL["IM_GROUP"]]["recipients"]
                    ]
            results.append({
                "spaceType": space.type,
                "spaceId": self.wire_user_id(card, space.id) if space.type == "IM_ROBOT" else space.id,
                "success": not problem,
                "carrierId": "" if problem else ids.process_query_key(),
                "errorMsg": problem,
            })
        return results

    def _problem(self, space: Space, model: dict[str, Any], robot_code: str) -> str:
        if model.get("robotCode") not in (None, robot_code):
            return "robotCode does not belong to this app"
        if space.type == "IM_ROBOT":
            if str(model.get("spaceType", "")).upper() != "IM_ROBOT":
                return "imRobotOpenDeliverModel.spaceType must be IM_ROBOT"
            if space.id not in self._org.users:
                return f"user {space.id} not found"
        if space.type == "IM_GROUP":
            if not model.get("robotCode"):
                return "imGroupOpenDeliverModel.robotCode is required"
            if space.id not in self._org.groups:
                return f"conversation {space.id} not found"
        return ""

    def update(self, body: dict[str, Any]) -> Card:
        card = self.get(body.get("outTrackId"))
        if body.get("cardData") is None and body.get("privateData") is None:
            raise card_error("param.cardDataAndPrivateDataBothEmpty", "cardData and privateData are both empty")
        options = body.get("cardUpdateOptions") or {}
        if body.get("cardData") is not None:
            by_key = bool(options.get("updateCardDataByKey"))
            new = param_map(body["cardData"], "cardData")
            card.public = merge(card.public, new, by_key)
            card.overlays.clear()  # an update is pushed to everyone, replacing what a callback showed the clicker
        private = self._private(body.get("privateData"), card.user_id_type)
        by_key = bool(options.get("updatePrivateDataByKey"))
        for user_id, new in private.items():
            card.private[user_id] = merge(card.private.get(user_id, {}), new, by_key)
        self._touch(card)
        return card

    def apply_callback(self, card: Card, user_id: str, response: dict[str, Any]) -> None:
        """A callback ack's card update reaches only the user who clicked (4.5)."""
        options = response.get("cardUpdateOptions") or {}
        if response.get("cardData") is not None:
            new = param_map(response["cardData"], "response.cardData")
            by_key = bool(options.get("updateCardDataByKey"))
            _, before = card.overlays.get(user_id, (False, {}))
            card.overlays[user_id] = (not by_key, {**before, **new} if by_key else new)
        if response.get("userPrivateData") is not None:
            new = param_map(response["userPrivateData"], "response.userPrivateData")
            by_key = bool(options.get("updatePrivateDataByKey"))
            card.private[user_id] = merge(card.private.get(user_id, {}), new, by_key)
        self._touch(card)

    def _touch(self, card: Card) -> None:
        card.version += 1
        card.updated_at = self._clock.now_ms()

    def space_for(self, card: Card, user_id: str) -> Space | None:
        """Where ``user_id`` sees the card: their bot chat, a group they belong to, else a forwarded copy."""
        seen = self.seen_through(card, user_id)
        return seen[0] if seen else None

    def seen_through(self, card: Card, user_id: str) -> tuple[Space, Space] | None:
        """(where ``user_id`` sees the card, the delivered space behind it: for a forwarded copy, its origin)."""
        delivered = self._delivered_space(card, user_id)
        if delivered is not None:
            return delivered, delivered
        # A click on a forwarded copy comes from the chat of the first copy that reached the user.
        forward = next((f for f in card.forwards if f.to_user == user_id), None)
        return (forward.space, forward.origin) if forward else None

    def forwardable(self, card: Card, origin: Space) -> bool:
        """Whether the space model of the space the card was delivered to allowed forwarding."""
        model = card.space_models.get(SPACE_MODEL[origin.type])
        return isinstance(model, dict) and model.get("supportForward") is True

    def forward(self, card: Card, from_user: str, to_user: str, origin: Space) -> Forward:
        """Record a forwarded copy; the caller has checked that ``from_user`` may forward it."""
        pair = "|".join(sorted((from_user, to_user)))
        forward = Forward(from_user, to_user, Space("IM_SINGLE", ids.stable_cid("im-single:" + pair)), origin,
                          self._clock.now_ms())
        card.forwards.append(forward)
        return forward

    def _delivered_space(self, card: Card, user_id: str) -> Space | None:
        for space in card.spaces:
            if space.type == "IM_ROBOT" and space.id == user_id:
                return space
        for space in card.spaces:
            group = self._org.groups.get(space.id) if space.type == "IM_GROUP" else None
            allowed = card.recipients.get(space.id)
            if group and user_id in group.members and (not allowed or user_id in allowed):
                return space
        return None

    def view(self, card: Card, user_id: str | None) -> dict[str, Any]:
        """The card as ``user_id`` sees it (public data, then what a callback showed them, then private data)."""
        data = dict(card.public)
        if user_id is not None:
            replace, overlay = card.overlays.get(user_id, (False, {}))
            data = dict(overlay) if replace else {**data, **overlay}
            data.update(card.private.get(user_id, {}))
        return {
            "outTrackId": card.out_track_id,
            "cardTemplateId": card.template_id,
            "callbackType": card.callback_type,
            "userIdType": card.user_id_type,
            "data": data,
            "public": card.public,
            "private": card.private.get(user_id, {}) if user_id else {},
            "spaces": [s.open_space_id for s in card.spaces],
            "forwards": [f.public() for f in card.forwards],
            "forwardable": self._forwardable_by(card, user_id),
            "version": card.version,
            "createdAt": card.created_at,
            "updatedAt": card.updated_at,
        }

    def _forwardable_by(self, card: Card, user_id: str | None) -> bool:
        """Whether ``user_id`` (anyone, without one) sees the card through a space that allows forwarding."""
        if user_id is None:
            return any(self.forwardable(card, space) for space in card.spaces)
        seen = self.seen_through(card, user_id)
        return seen is not None and self.forwardable(card, seen[1])
