"""Typed inputs that handlers receive: a chat message, a card action, a stream event."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NewType

UserId = NewType("UserId", str)
ConversationId = NewType("ConversationId", str)
CardId = NewType("CardId", str)


@dataclass(frozen=True)
class SharedFile:
    """A file the message carries or quotes; DingTalk's ids only, never the content."""

    file_name: str
    download_code: str
    file_id: str = ""
    space_id: str = ""


@dataclass(frozen=True)
class ChatMessage:
    """A message someone sent the bot, 1:1 or with an @ in a group."""

    msg_id: str
    conversation_id: ConversationId
    is_group: bool
    sender: UserId
    sender_union_id: str
    sender_nick: str
    msgtype: str
    text: str
    created_at: datetime
    conversation_title: str = ""
    file: SharedFile | None = None
    quoted_file: SharedFile | None = None
    quotes_unreadable_file: bool = False  # a quoted file DingTalk gave no download code for
    content: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CardAction:
    """A click on one of our cards: who clicked, which card, and the button's params."""

    card_id: CardId
    user: UserId
    params: dict[str, Any]
    action_ids: tuple[str, ...]
    space_type: str
    space_id: str

    @property
    def action(self) -> str:
        """The action name from the button params, else from the clicked component id."""
        named = self.params.get("action")
        if isinstance(named, str) and named:
            return named
        return self.action_ids[0] if self.action_ids else ""


@dataclass(frozen=True)
class StreamEvent:
    """An EVENT frame: its type from the headers and its body."""

    event_type: str
    event_id: str
    corp_id: str
    body: dict[str, Any]


@dataclass(frozen=True)
class CardResponse:
    """What the card-callback ack carries: an update for the clicker only (dingtalk-wire.md 4.5)."""

    card_data: dict[str, str] | None = None
    user_private_data: dict[str, str] | None = None

    def ack_response(self) -> dict[str, Any]:
        response: dict[str, Any] = {
            "cardUpdateOptions": {"updateCardDataByKey": True, "updatePrivateDataByKey": True},
        }
        if self.card_data is not None:
            response["cardData"] = {"cardParamMap": self.card_data}
        if self.user_private_data is not None:
            response["userPrivateData"] = {"cardParamMap": self.user_private_data}
        return response
