"""What an API use case answers when it turns a request down: the HTTP status, a message, and the fields at fault.

Handlers cannot import the transport's problem documents (`bot.api.problems`), so they raise `Refused` and
the route layer turns it into one; the admin pages, which call the same functions, show `detail` instead, or
the page's own words for a `Message` they know the type of.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

RefusalStatus = Literal[400, 403, 404, 409]
FieldLocation = Literal["body", "query"]
_WHERE: dict[FieldLocation, str] = {"body": "body member", "query": "query parameter"}


@dataclass(frozen=True)
class Message:
    """A message in the API's English (`text`) with a short stable `type` and the values it names (`ctx`), as
    pydantic's errors carry theirs, so the admin pages can say it in their own language."""

    text: str
    type: str
    ctx: Mapping[str, Any] = field(default_factory=dict)


def english(message: str | Message) -> str:
    return message.text if isinstance(message, Message) else message


class Refused(Exception):
    """A request turned down: 400 bad input (`fields` names each bad one), 403 not allowed, 404 not found (or
    not visible to the caller), 409 in conflict with the current state.

    `detail` and `fields` are English, for the API; `message` and `messages` keep any `Message` given;
    `location` says whether the fields are body members or query parameters."""

    def __init__(self, status: RefusalStatus, detail: str | Message, *,
                 fields: Mapping[str, str | Message] | None = None, location: FieldLocation = "body") -> None:
        super().__init__(english(detail))
        self.status: RefusalStatus = status
        self.detail = english(detail)
        self.message = detail
        self.messages = dict(fields or {})
        self.fields = {name: english(message) for name, message in self.messages.items()}
        self.location: FieldLocation = location


def bad_input(fields: Mapping[str, str | Message], location: FieldLocation = "body") -> Refused:
    """A 400 naming every bad body member (or query parameter) by wire name and what is wrong with it."""
    detail = "; ".join(f"{_WHERE[location]} {name}: {english(message)}" for name, message in fields.items())
    return Refused(400, detail, fields=fields, location=location)
