"""What each chat looks like: user messages, bot messages and cards, in order."""

from __future__ import annotations

from typing import Any

from sandbox.clock import SandboxClock
from sandbox.notify import Changes, EventFeed

MSG_KEYS = frozenset({
    "sampleText", "sampleMarkdown", "sampleImageMsg", "sampleLink", "sampleActionCard", "sampleActionCard2",
    "sampleActionCard3", "sampleActionCard4", "sampleActionCard5", "sampleActionCard6", "sampleAudio",
    "sampleFile", "sampleVideo",
})


def user_key(user_id: str) -> str:
    return "user:" + user_id


def group_key(conversation_id: str) -> str:
    return "group:" + conversation_id


class Timeline:
    def __init__(self, clock: SandboxClock, feed: EventFeed, changes: Changes) -> None:
        self._clock = clock
        self._feed = feed
        self._changes = changes
        self._seq = 0
        self.chats: dict[str, list[dict[str, Any]]] = {}

    def add(self, key: str, entry: dict[str, Any]) -> dict[str, Any]:
        self._seq += 1
        stored = {"seq": self._seq, "at": self._clock.now_ms(), **entry}
        self.chats.setdefault(key, []).append(stored)
        self._feed.publish({"type": "chat", "chat": key, "seq": self._seq, "kind": entry.get("kind")})
        self._changes.bump()
        return stored

    def entries(self, key: str) -> list[dict[str, Any]]:
        return list(self.chats.get(key, []))

    def clear(self) -> None:
        self.chats.clear()


def display_of_msg(msg_key: str, param: dict[str, Any]) -> dict[str, Any]:
    """A robot-API message (msgKey + msgParam) in the page's uniform shape."""
    if msg_key == "sampleText":
        return {"type": "text", "text": str(param.get("content", ""))}
    if msg_key == "sampleMarkdown":
        return {"type": "markdown", "title": param.get("title", ""), "text": str(param.get("text", ""))}
    if msg_key.startswith("sampleActionCard"):
        return {"type": "actionCard", "title": param.get("title", ""), "text": str(param.get("text", "")),
                "buttons": _action_buttons(param)}
    if msg_key == "sampleLink":
        return {"type": "link", "title": param.get("title", ""), "text": param.get("text", ""),
                "url": param.get("messageUrl", ""), "picUrl": param.get("picUrl", "")}
    if msg_key == "sampleImageMsg":
        return {"type": "image", "url": param.get("photoURL", "")}
    if msg_key == "sampleFile":
        return {"type": "file", "fileName": param.get("fileName", ""), "fileType": param.get("fileType", "")}
    return {"type": "other", "msgKey": msg_key, "raw": param}


def _action_buttons(param: dict[str, Any]) -> list[dict[str, str]]:
    if "singleTitle" in param:
        return [{"title": str(param["singleTitle"]), "url": str(param.get("singleURL", ""))}]
    buttons = []
    for i in range(1, 6):
        title = param.get(f"actionTitle{i}") or param.get(f"buttonTitle{i}")
        if title:
            url = param.get(f"actionURL{i}") or param.get(f"buttonUrl{i}") or ""
            buttons.append({"title": str(title), "url": str(url)})
    return buttons


def display_of_webhook(body: dict[str, Any]) -> dict[str, Any]:
    """A sessionWebhook body (custom-robot format) in the page's uniform shape."""
    msgtype = body.get("msgtype")
    part = body.get(str(msgtype), {}) if isinstance(msgtype, str) else {}
    part = part if isinstance(part, dict) else {}
    if msgtype == "text":
        return {"type": "text", "text": str(part.get("content", ""))}
    if msgtype == "markdown":
        return {"type": "markdown", "title": part.get("title", ""), "text": str(part.get("text", ""))}
    if msgtype == "actionCard":
        buttons = [{"title": str(b.get("title", "")), "url": str(b.get("actionURL", ""))}
                   for b in part.get("btns", []) if isinstance(b, dict)]
        if part.get("singleTitle"):
            buttons = [{"title": str(part["singleTitle"]), "url": str(part.get("singleURL", ""))}]
        return {"type": "actionCard", "title": part.get("title", ""), "text": str(part.get("text", "")),
                "buttons": buttons}
    if msgtype == "link":
        return {"type": "link", "title": part.get("title", ""), "text": part.get("text", ""),
                "url": part.get("messageUrl", ""), "picUrl": part.get("picUrl", "")}
    return {"type": "other", "msgtype": msgtype, "raw": body}
