"""The app access token: fetched once, shared, refreshed before it expires or when DingTalk refuses it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.dingtalk.ratelimit import Clock

REFRESH_MARGIN = 300.0  # seconds before expiry; the official SDK uses five minutes too


@dataclass(frozen=True)
class AccessToken:
    """A token and its lifetime in seconds, as `/v1.0/oauth2/accessToken` returns them."""

    value: str
    expire_in: float

    def __repr__(self) -> str:
        return f"AccessToken(value=<hidden>, expire_in={self.expire_in})"


class AccessTokenCache:
    """Holds one token; concurrent callers share a single in-flight refresh."""

    def __init__(self, fetch: Callable[[], Awaitable[AccessToken]], *, clock: Clock = time.monotonic,
                 margin: float = REFRESH_MARGIN) -> None:
        self._fetch = fetch
        self._clock = clock
        self._margin = margin
        self._lock = asyncio.Lock()
        self._value: str | None = None
        self._refresh_at = 0.0

    async def get(self) -> str:
        """A token valid for at least a little longer, fetching one if needed."""
        value = self._current()
        if value is not None:
            return value
        async with self._lock:
            # Another caller may have refreshed while we waited for the lock.
            value = self._current()
            if value is not None:
                return value
            token = await self._fetch()
            # Short-lived tokens (tests, odd servers) refresh at half-life instead of going negative.
            margin = min(self._margin, token.expire_in / 2)
            self._value = token.value
            self._refresh_at = self._clock() + token.expire_in - margin
            return token.value

    def invalidate(self, rejected: str) -> None:
        """Forget `rejected` if it is still the cached token, so the next `get()` fetches a new one."""
        if self._value == rejected:
            self._value = None

    def _current(self) -> str | None:
        if self._value is not None and self._clock() < self._refresh_at:
            return self._value
        return None
