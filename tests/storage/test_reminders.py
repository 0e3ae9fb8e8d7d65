from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.assessments import create_assessment
from storage.db import dialect_name
from storage.models import Reminder
from storage.reminders import (
    claim_due_reminders,
    count_by_status,
    due_between,
    mark_acted,
    mark_reminder_failed,
    mark_reminder_retry,
    mark_reminder_sent,
    plan_reminder,
    reminders_for_assessment,
    skip_reminders,
    skip_unsent_for_assessment,
)

T0 = datetime(2027, 1, 4, 1, 0, tzinfo=UTC)
LEASE = timedelta(minutes=10)
MINUTE = timedelta(minutes=1)


async def _assessment_id(session: AsyncSession, owner: str = "m1") -> int:
    assessment = await create_assessment(
        session, at=T0, title="Notify the GPDP", type="notification", owner=owner, due_at=T0 + timedelta(days=8),
        source="admin", created_by="admin1",
    )
    return assessment.id


async def _plan(
    session: AsyncSession, assessment_id: int, n: int, *, send_at: datetime = T0, to: str = "m1", kind: str = "lead:7"
) -> int:
    """Plan one reminder and return its id."""
    key = f"assessment:{assessment_id}|rule:{kind}|due:{send_at.isoformat()}|to:{to}|n:{n}"
    assert await plan_reminder(
        session, idempotency_key=key, assessment_id=assessment_id, kind=kind, recipient=to, send_at=send_at,
        reason=f"due in 7 days ({n})",
    )
    ids = [r.id for r in await reminders_for_assessment(session, assessment_id) if r.idempotency_key == key]
    return ids[0]


async def _claim(session: AsyncSession, now: datetime, *, limit: int = 10) -> list[Reminder]:
    return await claim_due_reminders(session, now=now, limit=limit, lease=LEASE)


async def _statuses(session: AsyncSession, assessment_id: int) -> dict[int, str]:
    return {r.id: r.status for r in await reminders_for_assessment(session, assessment_id)}


async def test_planning_the_same_key_twice_keeps_one_row(session_factory: async_sessionmaker[AsyncSession]) -> None:
    key = f"assessment:1|rule:lead:30|due:{T0.isoformat()}|to:m1"
    planned = {"kind": "lead:30", "recipient": "m1", "send_at": T0, "reason": "due in 30 days"}
    async with session_factory.begin() as session:
        assessment_id = await _assessment_id(session)
        assert await plan_reminder(session, idempotency_key=key, assessment_id=assessment_id, **planned)
        assert not await plan_reminder(session, idempotency_key=key, assessment_id=assessment_id, **planned)
        # The transaction is still usable after the skipped conflict:
        assert await plan_reminder(session, idempotency_key=key + "|x", assessment_id=assessment_id, **planned)
    async with session_factory.begin() as session:
        assert not await plan_reminder(session, idempotency_key=key, assessment_id=assessment_id, **planned)
        rows = await reminders_for_assessment(session, assessment_id)
    assert [r.idempotency_key for r in rows] == [key, key + "|x"]
    first = rows[0]
    assert (first.status, first.attempts, first.next_attempt_at, first.send_at) == ("planned", 0, T0, T0)
    assert (first.kind, first.recipient, first.reason, first.claimed_until) == ("lead:30", "m1", "due in 30 days", None)


async def test_claim_takes_due_rows_in_order_and_leases_them(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_factory.begin() as session:
        aid = await _assessment_id(session)
        ids = [await _plan(session, aid, n, send_at=T0 + n * MINUTE) for n in (2, 0, 1)]
        later = await _plan(session, aid, 9, send_at=T0 + timedelta(hours=1))
    async with session_factory.begin() as session:
        claimed = await claim_due_reminders(session, now=T0 + MINUTE, limit=10, lease=LEASE)
    assert [r.id for r in claimed] == [ids[1], ids[2]]
    assert {(r.status, r.attempts, r.claimed_until) for r in claimed} == {("sending", 1, T0 + MINUTE + LEASE)}
    async with session_factory.begin() as session:
        assert [r.id for r in await _claim(session, T0 + 2 * MINUTE, limit=1)] == [ids[0]]
        assert await _claim(session, T0 + 2 * MINUTE) == []
        # Both earlier leases ran out at once; the row due first comes first.
        assert [r.id for r in await _claim(session, T0 + MINUTE + LEASE, limit=1)] == [ids[1]]
    async with session_factory.begin() as session:
        assert [r.id for r in await _claim(session, T0 + MINUTE + LEASE)] == [ids[2]]
        assert [r.id for r in await _claim(session, T0 + timedelta(hours=1))] == [ids[1], ids[2], ids[0], later]


async def test_expired_lease_makes_a_row_claimable_again(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_factory.begin() as session:
        rid = await _plan(session, await _assessment_id(session), 0)
        await claim_due_reminders(session, now=T0, limit=1, lease=LEASE)
    async with session_factory.begin() as session:
        assert await _claim(session, T0 + LEASE - timedelta(microseconds=1)) == []
        again = await claim_due_reminders(session, now=T0 + LEASE, limit=1, lease=LEASE)
    assert [(r.id, r.attempts, r.claimed_until) for r in again] == [(rid, 2, T0 + 2 * LEASE)]


async def test_sent_retry_and_failed_outcomes(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_factory.begin() as session:
        aid = await _assessment_id(session)
        sent, retry, failed = [await _plan(session, aid, n) for n in range(3)]
        await claim_due_reminders(session, now=T0, limit=3, lease=LEASE)
    async with session_factory.begin() as session:
        await mark_reminder_sent(session, sent, at=T0 + MINUTE, delivery={"outTrackId": "card-1"})
        await mark_reminder_retry(session, retry, error="HTTP 503", next_attempt_at=T0 + 5 * MINUTE)
        await mark_reminder_failed(session, failed, error="HTTP 400: bad payload")
    async with session_factory() as session:
        rows = {r.id: r for r in await reminders_for_assessment(session, aid)}
    assert (rows[sent].status, rows[sent].sent_at, rows[sent].delivery, rows[sent].claimed_until) == (
        "sent", T0 + MINUTE, {"outTrackId": "card-1"}, None,
    )
    assert (rows[retry].status, rows[retry].last_error, rows[retry].next_attempt_at) == (
        "planned", "HTTP 503", T0 + 5 * MINUTE,
    )
    assert (rows[retry].send_at, rows[retry].claimed_until) == (T0, None)
    assert (rows[failed].status, rows[failed].last_error, rows[failed].claimed_until) == (
        "failed", "HTTP 400: bad payload", None,
    )
    async with session_factory.begin() as session:
        assert await claim_due_reminders(session, now=T0 + 4 * MINUTE, limit=10, lease=LEASE) == []
        again = await claim_due_reminders(session, now=T0 + 5 * MINUTE, limit=10, lease=LEASE)
        assert [(r.id, r.attempts) for r in again] == [(retry, 2)]
        assert await count_by_status(session) == {"planned": 0, "sending": 1, "sent": 1, "skipped": 0, "failed": 1}


async def test_marking_an_unknown_reminder_raises(session: AsyncSession) -> None:
    with pytest.raises(LookupError):
        await mark_reminder_sent(session, 12345, at=T0, delivery=None)


async def test_two_concurrent_claimers_never_get_the_same_row(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory.begin() as session:
        aid = await _assessment_id(session)
        planned = {await _plan(session, aid, n, send_at=T0 + n * timedelta(seconds=1)) for n in range(200)}

    async def claimer() -> list[int]:
        ids: list[int] = []
        while True:
            async with session_factory.begin() as session:
                batch = await claim_due_reminders(session, now=T0 + timedelta(hours=1), limit=50, lease=LEASE)
            if not batch:
                return ids
            ids.extend(r.id for r in batch)

    first, second = await asyncio.gather(claimer(), claimer())
    claimed = first + second
    assert len(claimed) == len(set(claimed)) == 200
    assert set(claimed) == planned


async def test_an_uncommitted_claim_is_skipped_by_a_second_claimer(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory.begin() as session:
        aid = await _assessment_id(session)
        for n in range(6):
            await _plan(session, aid, n)
    async with session_factory() as first:
        held = await claim_due_reminders(first, now=T0, limit=4, lease=LEASE)
        if dialect_name(first) != "postgresql":
            # SQLite's single writer: the second claim waits for this one, so let it commit first.
            await first.commit()
        async with session_factory.begin() as second:
            rest = await claim_due_reminders(second, now=T0, limit=10, lease=LEASE)
        await first.commit()
    assert len(held) == 4 and len(rest) == 2
    assert not {r.id for r in held} & {r.id for r in rest}


async def test_skip_unsent_for_assessment_leaves_sent_rows_alone(session: AsyncSession) -> None:
    aid, other = await _assessment_id(session), await _assessment_id(session)
    sent, failed, sending = [await _plan(session, aid, n) for n in range(3)]
    await claim_due_reminders(session, now=T0, limit=3, lease=LEASE)
    await mark_reminder_sent(session, sent, at=T0, delivery={"processQueryKey": "k"})
    await mark_reminder_failed(session, failed, error="HTTP 400")
    planned = await _plan(session, aid, 3, send_at=T0 + MINUTE)
    manager = await _plan(session, aid, 4, send_at=T0 + MINUTE, to="boss", kind="escalate:manager")
    elsewhere = await _plan(session, other, 5, send_at=T0 + MINUTE)

    assert await skip_unsent_for_assessment(session, aid, reason="reassigned", recipient="m1") == 1
    assert await _statuses(session, aid) == {
        sent: "sent", failed: "failed", sending: "sending", planned: "skipped", manager: "planned",
    }
    assert await skip_unsent_for_assessment(session, aid, reason="done") == 1
    assert (await _statuses(session, aid))[manager] == "skipped"
    assert await _statuses(session, other) == {elsewhere: "planned"}
    reasons = {r.id: r.reason for r in await reminders_for_assessment(session, aid)}
    assert (reasons[planned], reasons[manager], reasons[sent]) == ("reassigned", "done", "due in 7 days (0)")
    assert [r.id for r in await claim_due_reminders(session, now=T0 + MINUTE, limit=10, lease=LEASE)] == [elsewhere]


async def test_skip_reminders_takes_planned_and_claimed_rows_only(session: AsyncSession) -> None:
    aid = await _assessment_id(session)
    sending, sent, planned = [await _plan(session, aid, n) for n in range(3)]
    await claim_due_reminders(session, now=T0, limit=2, lease=LEASE)
    await mark_reminder_sent(session, sent, at=T0, delivery=None)
    assert await skip_reminders(session, [], reason="nothing") == 0
    assert await skip_reminders(session, [sending, sent, planned], reason="assessment done") == 2
    assert await _statuses(session, aid) == {sending: "skipped", sent: "sent", planned: "skipped"}
    skipped = await session.get(Reminder, sending)
    assert skipped is not None and (skipped.claimed_until, skipped.reason) == (None, "assessment done")


async def test_due_between_is_the_planned_rows_in_a_half_open_window(session: AsyncSession) -> None:
    aid = await _assessment_id(session)
    before = await _plan(session, aid, 0, send_at=T0 - timedelta(microseconds=1))
    at_start_b = await _plan(session, aid, 1, send_at=T0, to="b")
    at_start_a = await _plan(session, aid, 2, send_at=T0, to="a")
    inside = await _plan(session, aid, 3, send_at=T0 + 59 * MINUTE)
    await _plan(session, aid, 4, send_at=T0 + 60 * MINUTE)
    skipped = await _plan(session, aid, 5, send_at=T0 + MINUTE)
    await skip_reminders(session, [skipped], reason="done")
    window = await due_between(session, T0, T0 + 60 * MINUTE)
    assert [r.id for r in window] == [at_start_a, at_start_b, inside]
    assert before not in {r.id for r in window}


async def test_counts_and_acted(session: AsyncSession) -> None:
    aid = await _assessment_id(session)
    assert await count_by_status(session) == {"planned": 0, "sending": 0, "sent": 0, "skipped": 0, "failed": 0}
    mine, boss, unsent = await _plan(session, aid, 0), await _plan(session, aid, 1, to="boss"), await _plan(
        session, aid, 2, send_at=T0 + MINUTE
    )
    await claim_due_reminders(session, now=T0, limit=2, lease=LEASE)
    for rid in (mine, boss):
        await mark_reminder_sent(session, rid, at=T0, delivery=None)
    assert await count_by_status(session) == {"planned": 1, "sending": 0, "sent": 2, "skipped": 0, "failed": 0}
    assert await mark_acted(session, aid, "m1", T0 + MINUTE) == 1
    assert await mark_acted(session, aid, "m1", T0 + 2 * MINUTE) == 0  # the first action is what counts
    acted = {r.id: r.acted_at for r in await reminders_for_assessment(session, aid)}
    assert acted == {mine: T0 + MINUTE, boss: None, unsent: None}
