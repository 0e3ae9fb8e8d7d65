"""In-process guards of the sign-in route: a rate limit per client address, and the codes already exchanged.

Both live in memory, per replica. That is enough: DingTalk itself refuses a code twice (so does the
sandbox), and the set only makes sure this API never hands out two tokens for one code even when DingTalk
is slow to notice; a table would add a migration and a write to every sign-in for no more safety.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

Clock = Callable[[], float]
MAX_TRACKED: Final = 10_000


@dataclass(frozen=True)
class RateLimit:
    """`burst` requests at once, then `per_minute` a minute, per client address."""

    burst: int = 20
    per_minute: float = 60.0


class SignInLimiter:
    """Token buckets keyed by client address; the least recently seen are forgotten beyond MAX_TRACKED."""

    def __init__(self, limit: RateLimit, clock: Clock = time.monotonic) -> None:
        self._limit = limit
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # client -> (tokens, at)

    def take(self, client: str) -> float:
        """0 if `client` may go ahead now, else the seconds until it may."""
        now, rate = self._clock(), self._limit.per_minute / 60
        tokens, at = self._buckets.pop(client, (float(self._limit.burst), now))
        tokens = min(float(self._limit.burst), tokens + (now - at) * rate)
        wait = 0.0 if tokens >= 1 else (1 - tokens) / rate
        self._buckets[client] = (tokens - 1 if wait == 0 else tokens, now)
        while len(self._buckets) > MAX_TRACKED:
            self._buckets.popitem(last=False)
        return wait


class SpentCodes:
    """Free-login codes this process has exchanged (hashed), each kept a little longer than DingTalk's 5 minutes."""

    def __init__(self, keep_for: float = 10 * 60, clock: Clock = time.monotonic) -> None:
        self._keep_for = keep_for
        self._clock = clock
        self._until: OrderedDict[str, float] = OrderedDict()

    def claim(self, code: str) -> bool:
        """True the first time a code is seen; False when it was exchanged (or tried) before."""
        now = self._clock()
        while self._until and (next(iter(self._until.values())) <= now or len(self._until) >= MAX_TRACKED * 10):
            self._until.popitem(last=False)
        digest = hashlib.sha256(code.encode()).hexdigest()
        if digest in self._until:
            return False
        self._until[digest] = now + self._keep_for
        return True
