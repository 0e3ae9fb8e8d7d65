"""Turn frame data into the typed inputs handlers take, using the SDK's message classes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from dingtalk_stream.card_callback import CardCallbackMessage
from dingtalk_stream.chatbot import ChatbotMessage

from bot.frames import Frame, FrameError
from cards.card import decode_action_id
from handlers.inbound import CardAction, CardId, ChatMessage, ConversationId, SharedFile, StreamEvent, UserId


def _require(value: object, name: str, frame: Frame) -> str:
    if not isinstance(value, str) or not value.strip():
        raise FrameError(f"bot message has no {name}", message_id=frame.message_id, topic=frame.topic)
    return value


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _shared_file(content: object) -> SharedFile | None:
    if not isinstance(content, dict) or not content.get("downloadCode"):
        return None
    return SharedFile(
        file_name=str(content.get("fileName") or ""),
        download_code=str(content["downloadCode"]),
        file_id=str(content.get("fileId") or ""),
        space_id=str(content.get("spaceId") or ""),
    )


def _created_at(value: object) -> datetime:
    try:
        return datetime.fromtimestamp(int(str(value)) / 1000, UTC)
    except (TypeError, ValueError, OverflowError):
        return datetime.now(UTC)


def chat_message(frame: Frame) -> ChatMessage:
    """A bot message (dingtalk-wire.md 2.2-2.3), validated; FrameError names the missing field."""
    data = frame.data
    sender = _require(data.get("senderStaffId"), "senderStaffId", frame)
    conversation = _require(data.get("conversationId"), "conversationId", frame)
    msgtype = _require(data.get("msgtype"), "msgtype", frame)
    if msgtype == "text" and not isinstance(data.get("text"), dict):
        # Over quota, DingTalk pushes messages with neither text nor content (wire 1.7, 9.14).
        raise FrameError("text message has no text (DingTalk omits it when the org's quota is used up)",
                         message_id=frame.message_id, topic=frame.topic)
    try:
        sdk = ChatbotMessage.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise FrameError(f"bot message is malformed: {exc!r}", message_id=frame.message_id,
                         topic=frame.topic) from None
    text_body = _dict(data.get("text"))
    content = _dict(data.get("content"))
    replied = _dict(text_body.get("repliedMsg"))
    return ChatMessage(
        msg_id=str(sdk.message_id or frame.message_id),
        conversation_id=ConversationId(conversation),
        is_group=str(sdk.conversation_type) == "2",
        sender=UserId(sender),
        sender_union_id=str(data.get("senderUnionId") or ""),
        sender_nick=str(sdk.sender_nick or ""),
        msgtype=msgtype,
        text=str(text_body.get("content") or "").strip(),
        created_at=_created_at(sdk.create_at),
        conversation_title=str(sdk.conversation_title or ""),
        file=_shared_file(content) if msgtype == "file" else None,
        quoted_file=_shared_file(replied.get("content")),
        quotes_unreadable_file=bool(replied) and _shared_file(replied.get("content")) is None
        and str(replied.get("msgType")) in ("file", "unknownMsgType"),
        content=content,
    )


def _json_object(value: object) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value:
        decoded = json.loads(value)
        if isinstance(decoded, dict):
            return decoded
    return {}


def card_action(frame: Frame) -> CardAction:
    """A card callback (dingtalk-wire.md 4.5); reads `content`, the older `value`, or a top-level object."""
    data = frame.data
    try:
        sdk = CardCallbackMessage.from_dict({k: v for k, v in data.items() if k in ("corpId", "userId",
                                                                                  "outTrackId")})
        content = _json_object(data.get("content")) or _json_object(data.get("value"))
    except json.JSONDecodeError:
        raise FrameError("card callback content is not JSON", message_id=frame.message_id,
                         topic=frame.topic) from None
    private = content.get("cardPrivateData") or data.get("cardPrivateData") or {}
    if not isinstance(private, dict):
        raise FrameError("card callback has no cardPrivateData", message_id=frame.message_id, topic=frame.topic)
    params = dict(_dict(private.get("params")))
    action_ids = private.get("actionIds")
    action_ids = action_ids if isinstance(action_ids, list) else []
    if not params and action_ids:
        params = decode_action_id(str(action_ids[0]))  # the public template's buttons send only an id
    form = params.pop("form", None)
    if isinstance(form, dict):  # form components deliver their fields under `form`
        params = {**{str(k): v for k, v in form.items()}, **params}
    if not sdk.user_id or not sdk.card_instance_id:
        raise FrameError("card callback has no userId or outTrackId", message_id=frame.message_id,
                         topic=frame.topic)
    return CardAction(
        card_id=CardId(str(sdk.card_instance_id)),
        user=UserId(str(sdk.user_id)),
        params=params,
        action_ids=tuple(str(a) for a in action_ids),
        space_type=str(data.get("spaceType") or ""),
        space_id=str(data.get("spaceId") or ""),
    )


def stream_event(frame: Frame) -> StreamEvent:
    """An EVENT frame's type (from the headers) and body."""
    return StreamEvent(
        event_type=frame.event_type,
        event_id=frame.message_id,
        corp_id=str(frame.data.get("corpId") or ""),
        body=frame.data,
    )
