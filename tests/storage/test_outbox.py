from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import create_engine, dialect_name, make_session_factory
from storage.models import OutboxMessage
from storage.outbox import claim_due, enqueue, mark_failed, mark_retry, mark_sent, pending_count

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


async def test_enqueue_skips_a_repeated_dedup_key_without_breaking_the_transaction(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory.begin() as session:
        first = await enqueue(session, "robot.oto", {"to": ["u1"]}, dedup_key="remind:u1:2025-06", at=T0)
        again = await enqueue(session, "robot.oto", {"to": ["u1"]}, dedup_key="remind:u1:2025-06", at=T0)
        assert first is not None and again is None
        # Still usable after the conflict:
        assert await enqueue(session, "robot.group", {"chat": "c"}, at=T0) is not None
        assert await enqueue(session, "robot.group", {"chat": "c"}, at=T0) is not None
    async with session_factory.begin() as session:
        assert await enqueue(session, "robot.oto", {}, dedup_key="remind:u1:2025-06", at=T0) is None
        assert await pending_count(session) == 3
    assert (first.status, first.attempts, first.payload, first.next_attempt_at) == ("pending", 0, {"to": ["u1"]}, T0)
    assert first.id > 0


async def test_claim_takes_due_rows_and_leases_them(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_factory.begin() as session:
        for n in range(3):
            await enqueue(session, "card.create", {"n": n}, at=T0 + timedelta(seconds=n))
        await enqueue(session, "card.create", {"n": "later"}, at=T0 + timedelta(hours=1))
    async with session_factory.begin() as session:
        claimed = await claim_due(session, now=T0 + timedelta(seconds=1), limit=10, lease=LEASE)
    assert [message.payload["n"] for message in claimed] == [0, 1]
    assert {(m.status, m.attempts, m.claimed_until) for m in claimed} == {("sending", 1, T0 + timedelta(seconds=61))}
    async with session_factory.begin() as session:
        later = await claim_due(session, now=T0 + timedelta(seconds=30), limit=10, lease=LEASE)
    assert [message.payload["n"] for message in later] == [2]
    async with session_factory.begin() as session:
        assert await claim_due(session, now=T0 + timedelta(seconds=31), limit=10, lease=LEASE) == []


async def test_expired_lease_makes_a_row_claimable_again(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_factory.begin() as session:
        queued = await enqueue(session, "card.update", {"card": "c1"}, at=T0)
        assert queued is not None
        await claim_due(session, now=T0, limit=1, lease=LEASE)
    async with session_factory.begin() as session:
        assert await claim_due(session, now=T0 + LEASE - timedelta(microseconds=1), limit=1, lease=LEASE) == []
        reclaimed = await claim_due(session, now=T0 + LEASE, limit=1, lease=LEASE)
    assert [(m.id, m.attempts, m.claimed_until) for m in reclaimed] == [(queued.id, 2, T0 + 2 * LEASE)]


async def test_limit_and_order(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_factory.begin() as session:
        for n in (3, 1, 2):
            await enqueue(session, "robot.oto", {"n": n}, at=T0 + timedelta(seconds=n))
        claimed = await claim_due(session, now=T0 + timedelta(minutes=1), limit=2, lease=LEASE)
    assert [message.payload["n"] for message in claimed] == [1, 2]


async def test_sent_retry_and_failed_outcomes(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_factory.begin() as session:
        ids = [message.id for message in await _enqueue_many(session, 3)]
        await claim_due(session, now=T0, limit=3, lease=LEASE)
    async with session_factory.begin() as session:
        await mark_sent(session, ids[0], {"processQueryKey": "k"}, T0 + timedelta(seconds=1))
        await mark_retry(session, ids[1], "HTTP 503", T0 + timedelta(minutes=5))
        await mark_failed(session, ids[2], "HTTP 400: bad payload")
        assert await pending_count(session) == 1
    async with session_factory() as session:
        sent, retry, failed = [await session.get(OutboxMessage, id) for id in ids]
    assert sent is not None and retry is not None and failed is not None
    assert (sent.status, sent.result, sent.sent_at, sent.claimed_until) == (
        "sent",
        {"processQueryKey": "k"},
        T0 + timedelta(seconds=1),
        None,
    )
    assert (retry.status, retry.last_error, retry.next_attempt_at) == ("pending", "HTTP 503", T0 + timedelta(minutes=5))
    assert (failed.status, failed.last_error) == ("failed", "HTTP 400: bad payload")
    async with session_factory.begin() as session:
        assert await claim_due(session, now=T0 + timedelta(minutes=4), limit=10, lease=LEASE) == []
        again = await claim_due(session, now=T0 + timedelta(minutes=5), limit=10, lease=LEASE)
    assert [(m.id, m.attempts) for m in again] == [(ids[1], 2)]


async def test_marking_an_unknown_message_raises(session: AsyncSession) -> None:
    with pytest.raises(LookupError):
        await mark_sent(session, 12345, None, T0)


async def test_concurrent_claimers_never_share_a_row(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_factory.begin() as session:
        await _enqueue_many(session, 20)

    async def claimer() -> list[int]:
        async with session_factory.begin() as session:
            return [m.id for m in await claim_due(session, now=T0, limit=3, lease=LEASE)]

    batches = await asyncio.gather(*(claimer() for _ in range(8)))
    claimed = [id for batch in batches for id in batch]
    assert len(claimed) == len(set(claimed)) == 20


async def test_uncommitted_claim_is_never_handed_to_a_second_claimer(
    database_url: str, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with session_factory.begin() as session:
        await _enqueue_many(session, 6)
    async with session_factory() as first:
        held = await claim_due(first, now=T0, limit=4, lease=LEASE)
        if dialect_name(first) == "postgresql":
            # The held rows are still 'pending' on disk, but locked: the second claimer skips them.
            async with session_factory.begin() as second:
                rest = await claim_due(second, now=T0, limit=10, lease=LEASE)
            await first.commit()
        else:
            await _assert_second_writer_is_locked_out(database_url)
            await first.commit()
            async with session_factory.begin() as second:
                rest = await claim_due(second, now=T0, limit=10, lease=LEASE)
    assert len(held) == 4 and len(rest) == 2
    assert not {m.id for m in held} & {m.id for m in rest}


async def _assert_second_writer_is_locked_out(database_url: str) -> None:
    impatient = create_engine(database_url, sqlite_busy_timeout_ms=20)
    try:
        async with make_session_factory(impatient)() as second:
            with pytest.raises(OperationalError, match="locked"):
                await claim_due(second, now=T0, limit=10, lease=LEASE)
    finally:
        await impatient.dispose()


async def _enqueue_many(session: AsyncSession, count: int) -> list[OutboxMessage]:
    messages = [await enqueue(session, "robot.oto", {"n": n}, at=T0) for n in range(count)]
    return [message for message in messages if message is not None]
