"""What an API use case answers when it turns a request down: the HTTP status, a message, and the fields at fault.

Handlers cannot import the transport's problem documents (`bot.api.problems`), so they raise `Refused` and
the route layer turns it into one; the admin pages, which call the same functions, show `detail` instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

RefusalStatus = Literal[400, 403, 404, 409]


class Refused(Exception):
    """A request turned down: 400 bad input (`fields` names each bad one), 403 not allowed, 404 not found (or
    not visible to the caller), 409 in conflict with the current state."""

    def __init__(self, status: RefusalStatus, detail: str, *, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status: RefusalStatus = status
        self.detail = detail
        self.fields = dict(fields or {})


def bad_input(fields: Mapping[str, str]) -> Refused:
    """A 400 naming every bad body member (by wire name) and what is wrong with it."""
    detail = "; ".join(f"body member {name}: {message}" for name, message in fields.items())
    return Refused(400, detail, fields=fields)
