"""Stream frames: parse what DingTalk pushes and build the acks it expects (dingtalk-wire.md 1.3-1.5)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal

from dingtalk_stream.frames import AckMessage, CallbackMessage, EventMessage, SystemMessage

FrameType = Literal["SYSTEM", "EVENT", "CALLBACK"]
_FRAME_CLASSES: dict[str, Any] = {"SYSTEM": SystemMessage, "EVENT": EventMessage, "CALLBACK": CallbackMessage}

ACK_OK = 200
ACK_BAD_REQUEST = 400
ACK_NOT_FOUND = 404
ACK_ERROR = 500


@dataclass(frozen=True)
class Frame:
    """One frame from the stream, its `data` already decoded from the JSON string it travels as."""

    type: FrameType
    topic: str
    message_id: str
    data: dict[str, Any]
    event_type: str
    raw: str


class FrameError(Exception):
    """A frame we cannot handle; it is acked with `code` and this message, never dropped silently."""

    def __init__(self, message: str, *, code: int = ACK_BAD_REQUEST, message_id: str = "", topic: str = ""):
        super().__init__(message)
        self.code = code
        self.message_id = message_id
        self.topic = topic


def parse_frame(raw: str | bytes) -> Frame:
    """Decode a pushed frame with the SDK's frame classes; raise FrameError saying what is wrong."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    try:
        envelope = json.loads(text)
    except json.JSONDecodeError:
        raise FrameError("frame is not JSON") from None
    if not isinstance(envelope, dict):
        raise FrameError("frame is not a JSON object")
    headers = envelope.get("headers")
    if not isinstance(headers, dict):
        raise FrameError("frame has no headers object")
    message_id = str(headers.get("messageId") or "")
    topic = str(headers.get("topic") or "")
    frame_type = envelope.get("type")
    if frame_type not in _FRAME_CLASSES:
        raise FrameError(f"unknown frame type {frame_type!r}", message_id=message_id, topic=topic)
    if not topic:
        raise FrameError("frame has no topic header", message_id=message_id)
    if not message_id and frame_type != "SYSTEM":
        raise FrameError("frame has no messageId header", topic=topic)
    try:
        message = _FRAME_CLASSES[frame_type].from_dict(envelope)
    except json.JSONDecodeError:
        raise FrameError("frame data is not JSON", message_id=message_id, topic=topic) from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise FrameError(f"frame headers are malformed: {exc}", message_id=message_id, topic=topic) from None
    data = message.data
    if not isinstance(data, dict):
        raise FrameError("frame data is not a JSON object", message_id=message_id, topic=topic)
    return Frame(
        type=frame_type,
        topic=topic,
        message_id=message_id,
        data=data,
        event_type=str(message.headers.event_type or ""),
        raw=text,
    )


def fallback_message_id(raw: str | bytes) -> str:
    """A stable id for a frame that carries none, so a rejected frame can still be recorded once."""
    body = raw if isinstance(raw, bytes) else raw.encode("utf-8", errors="replace")
    return "unidentified:" + hashlib.sha256(body).hexdigest()[:40]


def build_ack(message_id: str, code: int, message: str, data: dict[str, Any] | None) -> str:
    """The ack frame of dingtalk-wire.md 1.4, built with the SDK's AckMessage."""
    ack = AckMessage()
    ack.code = code
    ack.headers.message_id = message_id
    ack.headers.content_type = "application/json"
    ack.message = message
    ack.data = data if data is not None else {"response": None}
    return json.dumps(ack.to_dict(), ensure_ascii=False)
