"""Frame parsing and acks, as a table of what DingTalk may push (dingtalk-wire.md 1.3-1.5)."""

from __future__ import annotations

import json

import pytest

from bot.frames import FrameError, build_ack, fallback_message_id, parse_frame


def frame(type_: str = "CALLBACK", topic: str = "/v1.0/im/bot/messages/get", data: object = None,
          **headers: str) -> str:
    body = json.dumps(data if data is not None else {"msgtype": "text"})
    head = {"topic": topic, "messageId": "m_1", "contentType": "application/json", "time": "1690362102194"}
    head.update(headers)
    return json.dumps({"specVersion": "1.0", "type": type_, "headers": head, "data": body})


def test_callback_frame_is_decoded_twice() -> None:
    parsed = parse_frame(frame(data={"msgtype": "text", "text": {"content": "help"}}))
    assert (parsed.type, parsed.topic, parsed.message_id) == ("CALLBACK", "/v1.0/im/bot/messages/get", "m_1")
    assert parsed.data["text"] == {"content": "help"}


def test_event_type_comes_from_headers() -> None:
    parsed = parse_frame(frame("EVENT", "*", {"spaceId": "1"}, eventType="storage_dentry_create",
                               eventBornTime="1683533823336"))
    assert parsed.event_type == "storage_dentry_create"


@pytest.mark.parametrize(
    ("raw", "reason", "message_id"),
    [
        ("not json", "frame is not JSON", ""),
        ("[1, 2]", "not a JSON object", ""),
        (json.dumps({"type": "CALLBACK", "data": "{}"}), "no headers", ""),
        (json.dumps({"type": "WHAT", "headers": {"topic": "x", "messageId": "m_9"}, "data": "{}"}),
         "unknown frame type", "m_9"),
        (json.dumps({"type": "CALLBACK", "headers": {"topic": "x", "messageId": "m_2"}, "data": "{oops"}),
         "data is not JSON", "m_2"),
        (json.dumps({"type": "CALLBACK", "headers": {"topic": "x", "messageId": "m_3"}, "data": "[1]"}),
         "not a JSON object", "m_3"),
        (json.dumps({"type": "CALLBACK", "headers": {"topic": "x", "messageId": "m_4", "time": "soon"},
                     "data": "{}"}), "headers are malformed", "m_4"),
        (json.dumps({"type": "CALLBACK", "headers": {"messageId": "m_5"}, "data": "{}"}), "no topic", "m_5"),
        (json.dumps({"type": "CALLBACK", "headers": {"topic": "x"}, "data": "{}"}), "no messageId", ""),
    ],
)
def test_malformed_frames_say_what_is_wrong(raw: str, reason: str, message_id: str) -> None:
    with pytest.raises(FrameError, match=reason) as caught:
        parse_frame(raw)
    assert caught.value.message_id == message_id
    assert caught.value.code == 400


def test_ack_has_the_documented_shape() -> None:
    ack = json.loads(build_ack("m_1", 200, "OK", {"response": None}))
    assert ack == {"code": 200, "headers": {"contentType": "application/json", "messageId": "m_1"},
                   "message": "OK", "data": '{"response": null}'}


def test_fallback_id_is_stable() -> None:
    assert fallback_message_id("x") == fallback_message_id(b"x") != fallback_message_id("y")
