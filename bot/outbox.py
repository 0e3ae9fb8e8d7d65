"""Sends what handlers queued in the outbox, after their transaction committed, until DingTalk takes it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.dingtalk import DingTalkClient, DingTalkError
from handlers.context import ROBOT_GROUP, ROBOT_OTO
from storage import outbox

log = logging.getLogger(__name__)

BATCH = 50
LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 12
RETRY_CAP = timedelta(hours=1)


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with jitter: ~5 s, 10 s, 20 s ... capped at an hour."""
    base = min(5.0 * 2 ** max(attempts - 1, 0), RETRY_CAP.total_seconds())
    return timedelta(seconds=base / 2 + random.uniform(0, base / 2))


class OutboxSender:
    """Drains due outbox rows; `kick()` after a commit sends at once, `run()` also retries on a timer."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        client: DingTalkClient,
        clock: Callable[[], datetime],
        interval: float = 5.0,
    ) -> None:
        self._sessions = sessions
        self._client = client
        self._clock = clock
        self._interval = interval
        self._wake = asyncio.Event()
        self._stopping = False

    def kick(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Finish the current drain, drain once more, and return from `run()`."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Drain whenever kicked, and every `interval` seconds for retries, until `stop()`."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
            self._wake.clear()  # before draining, so a kick during the drain is not lost
            stopping = self._stopping
            try:
                await self.drain()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox drain failed; will retry")
            if stopping:
                return

    async def drain(self) -> int:
        """Send every row that is due now; return how many were sent."""
        sent = 0
        while True:
            async with self._sessions() as session, session.begin():
                rows = await outbox.claim_due(session, now=self._clock(), limit=BATCH, lease=LEASE)
                claimed = [(row.id, row.kind, dict(row.payload), row.attempts) for row in rows]
            if not claimed:
                return sent
            results = await asyncio.gather(*(self._send_one(*row) for row in claimed))
            sent += sum(results)

    async def _send_one(self, row_id: int, kind: str, payload: dict[str, Any], attempts: int) -> bool:
        try:
            result = await self._deliver(kind, payload)
        except DingTalkError as exc:
            await self._failed(row_id, exc, attempts)
            return False
        except (KeyError, TypeError, ValueError) as exc:  # a row we can never send: keep it, stop trying
            log.error("outbox row %s is malformed: %r", row_id, exc)
            async with self._sessions() as session, session.begin():
                await outbox.mark_failed(session, row_id, repr(exc))
            return False
        async with self._sessions() as session, session.begin():
            await outbox.mark_sent(session, row_id, result, at=self._clock())
        return True

    async def _deliver(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        if kind == ROBOT_OTO:
            chunks = await self._client.send_to_users(payload["userIds"], payload["msgKey"], payload["msgParam"])
            return {"processQueryKeys": [c.process_query_key for c in chunks],
                    "invalidUserIds": [u for c in chunks for u in c.invalid_user_ids]}
        if kind == ROBOT_GROUP:
            key = await self._client.send_to_group(payload["openConversationId"], payload["msgKey"],
                                                   payload["msgParam"])
            return {"processQueryKey": key}
        raise ValueError(f"unknown outbox kind {kind!r}")

    async def _failed(self, row_id: int, exc: DingTalkError, attempts: int) -> None:
        async with self._sessions() as session, session.begin():
            if exc.retryable and attempts < MAX_ATTEMPTS:
                delay = retry_delay(attempts)
                log.warning("send %s failed (%s); retrying in %.0f s", row_id, exc, delay.total_seconds())
                await outbox.mark_retry(session, row_id, str(exc), self._clock() + delay)
            else:
                log.error("send %s failed for good: %s", row_id, exc)
                await outbox.mark_failed(session, row_id, str(exc))
