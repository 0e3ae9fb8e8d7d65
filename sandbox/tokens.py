"""Access tokens, stream tickets and free-login codes: all single-purpose secrets with an expiry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox import ids
from sandbox.clock import SandboxClock


class TokenStore:
    """App access tokens. Asking again inside the lifetime returns the same token with its life extended."""

    def __init__(self, clock: SandboxClock, ttl: int) -> None:
        self._clock = clock
        self.ttl = ttl
        self._expiry: dict[str, float] = {}
        self._current: str | None = None

    def issue(self) -> str:
        now = self._clock.now()
        token = self._current
        if token is None or self._expiry.get(token, 0) <= now:
            token = ids.hex_token(16)
            self._current = token
        self._expiry[token] = now + self.ttl
        return token

    def valid(self, token: str) -> bool:
        return self._expiry.get(token, 0) > self._clock.now()

    def revoke_all(self) -> int:
        count = len(self._expiry)
        self._expiry.clear()
        self._current = None
        return count

    def count_live(self) -> int:
        now = self._clock.now()
        return sum(1 for e in self._expiry.values() if e > now)


@dataclass
class Ticket:
    value: str
    expires: float
    subscriptions: list[dict[str, str]]
    ua: str = ""
    local_ip: str = ""
    used: bool = False


@dataclass
class TicketOffice:
    """Stream tickets: valid for one connection and a limited time."""

    clock: SandboxClock
    ttl: float
    tickets: dict[str, Ticket] = field(default_factory=dict)

    def issue(self, subscriptions: list[dict[str, str]], ua: str, local_ip: str) -> Ticket:
        ticket = Ticket(ids.ticket(), self.clock.now() + self.ttl, subscriptions, ua, local_ip)
        self.tickets[ticket.value] = ticket
        return ticket

    def redeem(self, value: str) -> tuple[Ticket | None, str]:
        """The ticket and "" if usable, else None and why not."""
        ticket = self.tickets.get(value)
        if ticket is None:
            return None, "unknown ticket"
        if ticket.used:
            return None, "ticket already used"
        if ticket.expires <= self.clock.now():
            return None, "ticket expired"
        ticket.used = True
        return ticket, ""


@dataclass
class AuthCodes:
    """Free-login (免登) codes for the mini-program: single use, valid for a few minutes."""

    clock: SandboxClock
    ttl: float
    codes: dict[str, tuple[str, float]] = field(default_factory=dict)

    def issue(self, userid: str) -> str:
        code = ids.hex_token(16)
        self.codes[code] = (userid, self.clock.now() + self.ttl)
        return code

    def redeem(self, code: str) -> str | None:
        entry = self.codes.pop(code, None)
        if entry is None or entry[1] <= self.clock.now():
            return None
        return entry[0]

    def public(self) -> dict[str, Any]:
        return {"outstanding": len(self.codes)}
