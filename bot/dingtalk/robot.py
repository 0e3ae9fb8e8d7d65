"""Robot messages (dingtalk-wire.md 3.2, 3.3): 1:1 in batches of 20, and to a group."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import Field

from bot.dingtalk.core import ClientCore
from bot.dingtalk.errors import DingTalkDeliveryError
from bot.dingtalk.models import OtoSendResult, WireModel
from bot.dingtalk.transport import ApiRequest

BATCH_SEND_ROUTE = "/v1.0/robot/oToMessages/batchSend"
GROUP_SEND_ROUTE = "/v1.0/robot/groupMessages/send"
BATCH_SEND_LIMIT = 20


class _GroupSendAnswer(WireModel):
    process_query_key: str = Field(alias="processQueryKey")


def encode_msg_param(msg_param: Mapping[str, Any]) -> str:
    """msgParam travels as a JSON string, not an object."""
    return json.dumps(dict(msg_param), ensure_ascii=False, separators=(",", ":"))


def unique_ids(ids: Sequence[str]) -> list[str]:
    """Drop repeats, keeping the first order; refuse a bare string, which would be split into letters."""
    if isinstance(ids, str):
        raise TypeError("pass a sequence of user ids, not a single string")
    return list(dict.fromkeys(ids))


class RobotMessagesApi(ClientCore):
    """Messages sent by the app's robot."""

    async def send_to_users(self, user_ids: Sequence[str], msg_key: str,
                            msg_param: Mapping[str, Any]) -> list[OtoSendResult]:
        """Send one 1:1 robot message to each user; returns one result per call of at most 20 users, in order.

        Repeated ids are sent once. Raises `DingTalkDeliveryError` when every recipient came back invalid.
        If a later call fails, its error propagates and the earlier calls have already been delivered.
        """
        recipients = unique_ids(user_ids)
        param = encode_msg_param(msg_param)
        results: list[OtoSendResult] = []
        for start in range(0, len(recipients), BATCH_SEND_LIMIT):
            chunk = recipients[start : start + BATCH_SEND_LIMIT]
            req = ApiRequest(host="api", method="POST", route=BATCH_SEND_ROUTE, body={
                "robotCode": self.robot_code, "userIds": chunk, "msgKey": msg_key, "msgParam": param,
            })
            results.append(self._parse(OtoSendResult, await self._call(req), req))
        invalid = [user for result in results for user in result.invalid_user_ids]
        if recipients and set(invalid) >= set(recipients):
            raise DingTalkDeliveryError(
                f"all {len(recipients)} recipients are invalid", host="api", method="POST",
                path=BATCH_SEND_ROUTE, failures=tuple(invalid),
            )
        return results

    async def send_to_group(self, open_conversation_id: str, msg_key: str, msg_param: Mapping[str, Any]) -> str:
        """Send a robot message to a group; returns its processQueryKey."""
        req = ApiRequest(host="api", method="POST", route=GROUP_SEND_ROUTE, body={
            "robotCode": self.robot_code, "openConversationId": open_conversation_id,
            "msgKey": msg_key, "msgParam": encode_msg_param(msg_param),
        })
        return self._parse(_GroupSendAnswer, await self._call(req), req).process_query_key
