"""Interactive cards on the new card platform (dingtalk-wire.md 4.1, 4.2, 4.4)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field

from bot.dingtalk.core import ClientCore
from bot.dingtalk.errors import DingTalkDeliveryError
from bot.dingtalk.models import CardDeliverResult, WireModel
from bot.dingtalk.transport import ApiRequest

CREATE_AND_DELIVER_ROUTE = "/v1.0/card/instances/createAndDeliver"
UPDATE_ROUTE = "/v1.0/card/instances"
OUT_TRACK_ID_MAX = 64  # longer ids are reported to fail
USER_ID_TYPE_USERID = 1


def robot_space_id(user_id: str) -> str:
    """The openSpaceId of the robot's 1:1 chat with `user_id`."""
    return f"dtv1.card//IM_ROBOT.{user_id}"


def group_space_id(open_conversation_id: str) -> str:
    """The openSpaceId of a group chat."""
    return f"dtv1.card//IM_GROUP.{open_conversation_id}"


@dataclass(frozen=True)
class RobotChat:
    """Deliver into the robot's 1:1 chat with one user."""

    user_id: str


@dataclass(frozen=True)
class GroupChat:
    """Deliver into a group; `recipients` limits who sees it, `at_user_ids` maps userId to name to @ them."""

    open_conversation_id: str
    recipients: tuple[str, ...] | None = None
    at_user_ids: Mapping[str, str] | None = None


CardSpace = RobotChat | GroupChat


@dataclass(frozen=True)
class CardDelivery:
    """One card instance to create and deliver; every parameter value must already be a string."""

    card_template_id: str
    out_track_id: str
    space: CardSpace
    card_param_map: Mapping[str, str]
    private_data: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    callback_type: Literal["STREAM", "HTTP"] = "STREAM"
    support_forward: bool = True
    last_message_i18n: Mapping[str, str] | None = None  # chat-list preview, e.g. {"ZH_CN": "..."}


def string_map(where: str, values: Mapping[str, object]) -> dict[str, str]:
    """A cardParamMap as DingTalk wants it, or `ValueError` naming the first non-string key or value."""
    checked: dict[str, str] = {}
    for key, value in values.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ValueError(f"{where}[{key!r}] must map str to str, got {type(value).__name__}; "
                             "encode numbers, booleans and JSON as strings")
        checked[key] = value
    return checked


def private_data_body(private_data: Mapping[str, Mapping[str, object]]) -> dict[str, Any]:
    """Per-user card data, keyed by userId."""
    return {user: {"cardParamMap": string_map(f"private_data[{user!r}]", params)}
            for user, params in private_data.items()}


def create_and_deliver_body(delivery: CardDelivery, robot_code: str) -> dict[str, Any]:
    """The createAndDeliver request for one space."""
    if not delivery.out_track_id or len(delivery.out_track_id) > OUT_TRACK_ID_MAX:
        raise ValueError(f"out_track_id must have 1 to {OUT_TRACK_ID_MAX} characters")
    body: dict[str, Any] = {
        "cardTemplateId": delivery.card_template_id,
        "outTrackId": delivery.out_track_id,
        "callbackType": delivery.callback_type,
        "cardData": {"cardParamMap": string_map("card_param_map", delivery.card_param_map)},
        "userIdType": USER_ID_TYPE_USERID,
    }
    if delivery.private_data:
        body["privateData"] = private_data_body(delivery.private_data)
    space_model: dict[str, Any] = {"supportForward": delivery.support_forward}
    if delivery.last_message_i18n:
        space_model["lastMessageI18n"] = dict(delivery.last_message_i18n)
    if isinstance(delivery.space, RobotChat):
        body["openSpaceId"] = robot_space_id(delivery.space.user_id)
        body["imRobotOpenSpaceModel"] = space_model
        body["imRobotOpenDeliverModel"] = {"spaceType": "IM_ROBOT", "robotCode": robot_code}
    else:
        body["openSpaceId"] = group_space_id(delivery.space.open_conversation_id)
        body["imGroupOpenSpaceModel"] = space_model
        deliver: dict[str, Any] = {"robotCode": robot_code}
        if delivery.space.recipients is not None:
            deliver["recipients"] = list(delivery.space.recipients)
        if delivery.space.at_user_ids:
            deliver["atUserIds"] = dict(delivery.space.at_user_ids)
        body["imGroupOpenDeliverModel"] = deliver
    return body


def update_body(out_track_id: str, card_param_map: Mapping[str, object] | None,
                private_data: Mapping[str, Mapping[str, object]] | None, *, by_key: bool) -> dict[str, Any]:
    """The card update request; `by_key` merges into the card instead of replacing all of its data."""
    if card_param_map is None and private_data is None:
        raise ValueError("update_card needs card_param_map or private_data")
    body: dict[str, Any] = {
        "outTrackId": out_track_id,
        "cardUpdateOptions": {"updateCardDataByKey": by_key, "updatePrivateDataByKey": by_key},
        "userIdType": USER_ID_TYPE_USERID,
    }
    if card_param_map is not None:
        body["cardData"] = {"cardParamMap": string_map("card_param_map", card_param_map)}
    if private_data is not None:
        body["privateData"] = private_data_body(private_data)
    return body


class _DeliverResults(WireModel):
    deliver_results: tuple[CardDeliverResult, ...] = Field(default=(), alias="deliverResults")


class _CreateAndDeliverAnswer(WireModel):
    result: _DeliverResults


class _UpdateAnswer(WireModel):
    success: bool = True
    result: bool = True


class CardApi(ClientCore):
    """Card instances: create and deliver, then update for everyone."""

    async def create_and_deliver_card(self, delivery: CardDelivery) -> list[CardDeliverResult]:
        """Create a card and deliver it; raises `DingTalkDeliveryError` unless some space got it."""
        req = ApiRequest(host="api", method="POST", route=CREATE_AND_DELIVER_ROUTE,
                         body=create_and_deliver_body(delivery, self.robot_code))
        results = list(self._parse(_CreateAndDeliverAnswer, await self._call(req), req).result.deliver_results)
        if not any(result.success for result in results):
            reasons = "; ".join(f"{r.space_type} {r.space_id}: {r.error_msg or 'no reason given'}" for r in results)
            raise DingTalkDeliveryError(f"card not delivered: {reasons or 'no deliverResults'}", host="api",
                                        method="POST", path=CREATE_AND_DELIVER_ROUTE,
                                        failures=tuple(r.space_id for r in results))
        return results

    async def update_card(self, out_track_id: str, card_param_map: Mapping[str, object] | None = None,
                          private_data: Mapping[str, Mapping[str, object]] | None = None, *,
                          by_key: bool = True) -> None:
        """Update a card for everyone who has it; values must be strings (`ValueError` otherwise)."""
        req = ApiRequest(host="api", method="PUT", route=UPDATE_ROUTE,
                         body=update_body(out_track_id, card_param_map, private_data, by_key=by_key))
        answer = self._parse(_UpdateAnswer, await self._call(req), req)
        if not (answer.success and answer.result):
            raise DingTalkDeliveryError("card update not applied", host="api", method="PUT", path=UPDATE_ROUTE,
                                        failures=(out_track_id,))
