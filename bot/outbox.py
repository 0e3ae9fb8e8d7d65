"""Sends what handlers queued in the outbox, after their transaction committed, until DingTalk takes it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.dingtalk import CardDelivery, DingTalkClient, DingTalkError, RobotChat
from handlers.context import CARD_CREATE, CARD_UPDATE, FILE_DIGEST, ROBOT_GROUP, ROBOT_OTO
from storage import classifications, outbox

log = logging.getLogger(__name__)

BATCH = 50
LEASE = timedelta(minutes=10)
# Transient failures are retried for about three days (the delay grows to an hour), then reported.
MAX_ATTEMPTS = 80
RETRY_CAP = timedelta(hours=1)
MAX_FILE_BYTES = 200 * 1024 * 1024
# An update can overtake its card's creation when the creation is waiting for a retry.
RETRYABLE_CODES = frozenset({"param.cardNotExist"})

Row = tuple[int, str, dict[str, Any], int]


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with jitter: ~5 s, 10 s, 20 s ... capped at an hour."""
    base = min(5.0 * 2 ** max(attempts - 1, 0), RETRY_CAP.total_seconds())
    return timedelta(seconds=base / 2 + random.uniform(0, base / 2))


def _order_key(kind: str, payload: dict[str, Any], row_id: int) -> str:
    """Rows with the same key are sent one after the other, in the order they were queued."""
    card = payload.get("outTrackId")
    return f"card:{card}" if kind in (CARD_CREATE, CARD_UPDATE) and card else f"row:{row_id}"


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
        self._sent_by_kind: dict[str, int] = defaultdict(int)
        self._progress = asyncio.Condition()
        # File digests download whole files; they run beside the drain so no one's reply waits for them.
        self._digests: dict[int, asyncio.Task[bool]] = {}
        self._digest_slots = asyncio.Semaphore(4)

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
                if self._digests:
                    await asyncio.wait(set(self._digests.values()))
                return

    async def drain(self) -> int:
        """Send every row that is due now; return how many were sent."""
        sent = 0
        while True:
            async with self._sessions() as session, session.begin():
                rows = await outbox.claim_due(session, now=self._clock(), limit=BATCH, lease=LEASE)
                claimed: list[Row] = [(row.id, row.kind, dict(row.payload), row.attempts) for row in rows]
            if not claimed:
                return sent
            ordered: dict[str, list[Row]] = defaultdict(list)
            for row in sorted(claimed):
                if row[1] == FILE_DIGEST:
                    self._digest_later(row)
                    continue
                ordered[_order_key(row[1], row[2], row[0])].append(row)
            results = await asyncio.gather(*(self._send_in_order(group) for group in ordered.values()))
            sent += sum(results)

    def _digest_later(self, row: Row) -> None:
        if row[0] in self._digests:
            return  # still at work on it here; its lease ran out while it waited for a slot

        async def digest() -> bool:
            async with self._digest_slots:
                return await self._send_one(*row)

        task = asyncio.create_task(digest())
        self._digests[row[0]] = task
        task.add_done_callback(lambda done: self._digest_done(row[0], done))

    def _digest_done(self, row_id: int, task: asyncio.Task[bool]) -> None:
        self._digests.pop(row_id, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("file digest %s failed", row_id, exc_info=task.exception())

    async def _send_in_order(self, rows: list[Row]) -> int:
        for index, row in enumerate(rows):
            if not await self._send_one(*row):
                for later in rows[index + 1:]:  # keep the order: the rest waits for the one that failed
                    await self._retry_later(later[0], "an earlier message to the same card is not sent yet",
                                            later[3])
                return index
        return len(rows)

    async def _send_one(self, row_id: int, kind: str, payload: dict[str, Any], attempts: int) -> bool:
        try:
            result = await self._deliver(row_id, kind, payload)
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
        async with self._progress:
            self._sent_by_kind[kind] += 1
            self._progress.notify_all()
        return True

    async def wait_sent(self, kind: str, count: int) -> None:
        """Wait until this sender has sent `count` rows of `kind` (for tests and operators' tooling)."""
        async with self._progress:
            await self._progress.wait_for(lambda: self._sent_by_kind[kind] >= count)

    async def _deliver(self, row_id: int, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        client = self._client
        if kind == ROBOT_OTO:
            chunks = await client.send_to_users(payload["userIds"], payload["msgKey"], payload["msgParam"])
            return {"processQueryKeys": [c.process_query_key for c in chunks],
                    "invalidUserIds": [u for c in chunks for u in c.invalid_user_ids]}
        if kind == ROBOT_GROUP:
            key = await client.send_to_group(payload["openConversationId"], payload["msgKey"], payload["msgParam"])
            return {"processQueryKey": key}
        if kind == CARD_CREATE:
            delivery = CardDelivery(card_template_id=payload["templateId"], out_track_id=payload["outTrackId"],
                                    space=RobotChat(payload["userId"]), card_param_map=payload["paramMap"])
            delivered = await client.create_and_deliver_card(delivery)
            return {"carrierIds": [d.carrier_id for d in delivered if d.success]}
        if kind == CARD_UPDATE:
            async with self._sessions() as session:
                superseded = await outbox.newer_card_update(session, row_id, payload["outTrackId"])
            if superseded:  # a later state of this card is queued or sent; this one must not overwrite it
                return {"superseded": True}
            await client.update_card(payload["outTrackId"], payload["paramMap"])
            return {}
        if kind == FILE_DIGEST:
            digest = await client.hash_file(payload["downloadCode"], max_bytes=MAX_FILE_BYTES)
            async with self._sessions() as session, session.begin():
                await classifications.set_file_digest(session, int(payload["fileId"]), digest.sha256, digest.size)
            return {"sha256": digest.sha256, "size": digest.size}
        raise ValueError(f"unknown outbox kind {kind!r}")

    async def _failed(self, row_id: int, exc: DingTalkError, attempts: int) -> None:
        retryable = exc.retryable or exc.code in RETRYABLE_CODES
        if retryable and attempts < MAX_ATTEMPTS:
            await self._retry_later(row_id, str(exc), attempts)
            return
        log.error("send %s failed for good: %s", row_id, exc)
        async with self._sessions() as session, session.begin():
            await outbox.mark_failed(session, row_id, str(exc))

    async def _retry_later(self, row_id: int, error: str, attempts: int) -> None:
        delay = retry_delay(attempts)
        log.warning("outbox row %s not sent (%s); retrying in %.0f s", row_id, error, delay.total_seconds())
        async with self._sessions() as session, session.begin():
            await outbox.mark_retry(session, row_id, error, self._clock() + delay)
