"""Server-to-client frames (wire reference 1.3, 1.5) and parsing of the client's acks (1.4)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sandbox import ids

BOT_MESSAGE_TOPIC = "/v1.0/im/bot/messages/get"
CARD_CALLBACK_TOPIC = "/v1.0/card/instances/callback"
FRAME_TYPES = ("SYSTEM", "EVENT", "CALLBACK")


def data_frame(kind: str, topic: str, data: dict[str, Any], app_id: str, now_ms: int,
               extra_headers: dict[str, str] | None = None) -> dict[str, Any]:
    """A frame whose header values are all strings and whose ``data`` is a JSON string."""
    headers = {
        "appId": app_id,
        "contentType": "application/json",
        "messageId": ids.message_id(),
        "time": str(now_ms),
        "topic": topic,
        **(extra_headers or {}),
    }
    return {
        "specVersion": "1.0",
        "type": kind,
        "headers": headers,
        "data": json.dumps(data, ensure_ascii=False, separators=(",", ":")),
    }


def system_frame(topic: str, data: dict[str, Any], now_ms: int) -> dict[str, Any]:
    return {
        "specVersion": "1.0",
        "type": "SYSTEM",
        "headers": {
            "contentType": "application/json",
            "messageId": ids.message_id(),
            "time": str(now_ms),
            "topic": topic,
        },
        "data": json.dumps(data),
    }


@dataclass(frozen=True)
class Ack:
    code: int
    message_id: str
    message: str
    data: Any  # the decoded ``data`` string, or the raw value if it was not JSON
    raw: dict[str, Any]
    problems: tuple[str, ...] = ()  # deviations from 1.4 that still let the ack count

    @property
    def wants_redelivery(self) -> bool:
        """Code 500, or an EVENT ack with ``status: LATER``, asks DingTalk to try again later."""
        later = isinstance(self.data, dict) and self.data.get("status") == "LATER"
        return self.code == 500 or later

    def response(self) -> Any:
        """The ``response`` a callback ack carries (the card update for card callbacks)."""
        return self.data.get("response") if isinstance(self.data, dict) else None


class MalformedAck(ValueError):
    """The client sent something that is not an ack as 1.4 describes it."""


def parse_ack(text: str) -> Ack:
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise MalformedAck("not JSON") from exc
    if not isinstance(raw, dict):
        raise MalformedAck("not a JSON object")
    code = raw.get("code")
    headers = raw.get("headers")
    if not isinstance(code, int) or isinstance(code, bool):
        raise MalformedAck("code missing or not an integer")
    if not isinstance(headers, dict) or not isinstance(headers.get("messageId"), str):
        raise MalformedAck("headers.messageId missing")
    data = raw.get("data")
    if data is not None and not isinstance(data, str):
        raise MalformedAck("data is not a JSON string")
    problems = tuple(f"{key} missing" for key in ("message", "data") if key not in raw)
    return Ack(code, headers["messageId"], str(raw.get("message", "")), _decode(data), raw, problems)


def _decode(data: str | None) -> Any:
    if data is None:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return data
