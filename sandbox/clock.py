"""Wall-clock time that tests can move forward (tickets, codes, tokens and webhooks expire by it)."""

from __future__ import annotations

import time


class SandboxClock:
    """Real time plus an offset that the control API can advance."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def now_ms(self) -> int:
        return int(self.now() * 1000)

    def advance(self, seconds: float) -> None:
        self.offset += seconds
