"""Per-API rate limits: one async token bucket per route, first come first served."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class TokenBucket:
    """`rate` calls per second with bursts up to `burst`.

    Each caller takes its token at once, possibly going into debt, and then sleeps until that token would
    have existed. Reservations are made in arrival order, so waiters are served FIFO, and nobody polls.
    A cancelled waiter's reservation is not refunded: the limiter errs on the slow side.
    """

    def __init__(self, rate: float, burst: float | None = None, *, clock: Clock = time.monotonic,
                 sleep: Sleep = asyncio.sleep) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate)
        if self.burst < 1:
            raise ValueError("burst must be at least 1")
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.burst
        self._updated = clock()

    def reserve(self) -> float:
        """Take one token now; return how long the caller must wait before using it."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    async def acquire(self) -> None:
        """Wait for this caller's turn."""
        wait = self.reserve()
        if wait > 0:
            await self._sleep(wait)


class RateLimiter:
    """One `TokenBucket` per route; routes without a configured rate use `default_rate` (None: unlimited)."""

    def __init__(self, rates: Mapping[str, float] | None = None, *, default_rate: float | None = None,
                 clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep) -> None:
        self._rates = dict(rates or {})
        self._default = default_rate
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[str, TokenBucket] = {}

    async def acquire(self, route: str) -> None:
        """Wait until `route` may be called again."""
        bucket = self._buckets.get(route)
        if bucket is None:
            rate = self._rates.get(route, self._default)
            if rate is None:
                return
            bucket = self._buckets[route] = TokenBucket(rate, clock=self._clock, sleep=self._sleep)
        await bucket.acquire()
