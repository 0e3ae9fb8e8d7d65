"""Injected faults and per-path rate limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox import errors

FAULT_KINDS = ("server_error", "throttle", "invalid_token", "raw")


@dataclass
class Fault:
    method: str | None
    path: str
    kind: str
    remaining: int
    status: int = 500
    body: Any = None

    def error(self) -> errors.SandboxHttpError:
        if self.kind == "server_error":
            return errors.server_busy(self.path)
        if self.kind == "throttle":
            return errors.throttled(self.path)
        if self.kind == "invalid_token":
            return errors.bad_token(self.path)
        return errors.RawResponse(self.status, self.body)

    def public(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "kind": self.kind, "remaining": self.remaining,
                "status": self.status, "body": self.body}


class FaultQueue:
    """Faults fire in the order queued, each for its next ``count`` matching calls."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self.faults.append(fault)

    def clear(self) -> None:
        self.faults.clear()

    def take(self, method: str, path: str) -> errors.SandboxHttpError | None:
        for fault in self.faults:
            if fault.path == path and fault.method in (None, method):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
                return fault.error()
        return None


class RateLimiter:
    """A token bucket per path: ``rate`` calls a second, bursts of up to ``max(1, rate)``."""

    def __init__(self, limits: dict[str, float]) -> None:
        self._limits = dict(limits)
        self._buckets: dict[str, tuple[float, float]] = {}  # path -> (tokens, last refill, loop time)

    def allow(self, path: str, now: float) -> bool:
        rate = self._limits.get(path)
        if rate is None:
            return True
        capacity = max(1.0, rate)
        tokens, last = self._buckets.get(path, (capacity, now))
        tokens = min(capacity, tokens + (now - last) * rate)
        if tokens < 1.0:
            self._buckets[path] = (tokens, now)
            return False
        self._buckets[path] = (tokens - 1.0, now)
        return True
