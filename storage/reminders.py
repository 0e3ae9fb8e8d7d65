"""Reminder rows: planned under an idempotency key, leased by the dispatcher, and their outcomes."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Update, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_insert
from storage.models import REMINDER_STATUSES, Reminder


async def plan_reminder(
    session: AsyncSession,
    *,
    idempotency_key: str,
    assessment_id: int,
    kind: str,
    recipient: str,
    send_at: datetime,
    reason: str,
) -> bool:
    """Plan a reminder; False when one with the same key is already planned, sending, sent or failed.

    A *skipped* row with the same key is planned again: the work it was skipped for (done, delegated,
    a rule change) has been undone, e.g. the assessment was reopened. The conflict is resolved inside
    the INSERT, so re-planning never duplicates a row and the caller's transaction stays usable.
    """
    insert = dialect_insert(session, Reminder).values(
        idempotency_key=idempotency_key,
        assessment_id=assessment_id,
        kind=kind,
        recipient=recipient,
        send_at=send_at,
        status="planned",
        attempts=0,
        next_attempt_at=send_at,
        reason=reason,
    )
    stmt = insert.on_conflict_do_update(
        index_elements=[Reminder.idempotency_key],
        set_={"status": "planned", "attempts": 0, "send_at": send_at, "next_attempt_at": send_at, "reason": reason,
              "claimed_until": None, "delivery": None, "last_error": None},
        where=Reminder.status == "skipped",
    ).returning(Reminder.id)
    return (await session.scalars(stmt)).one_or_none() is not None


async def claim_due_reminders(
    session: AsyncSession, *, now: datetime, limit: int, lease: timedelta
) -> list[Reminder]:
    """Lease up to `limit` due reminders to this dispatcher until now + lease, counting an attempt on each.

    Due means planned with next_attempt_at <= now, or sending with an expired lease (its dispatcher died).
    On PostgreSQL rows another open claim holds are skipped; SQLite's single writer serialises claims.
    """
    due = or_(
        and_(Reminder.status == "planned", Reminder.next_attempt_at <= now),
        and_(Reminder.status == "sending", Reminder.claimed_until <= now),
    )
    stmt = (
        select(Reminder)
        .where(due)
        .order_by(Reminder.next_attempt_at, Reminder.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    reminders = list(await session.scalars(stmt))
    for reminder in reminders:
        reminder.status = "sending"
        reminder.claimed_until = now + lease
        reminder.attempts += 1
    await session.flush()
    return reminders


async def _fenced(session: AsyncSession, id: int, claimed_until: datetime | None) -> Reminder | None:
    """The row, unless another dispatcher has claimed it since (a lease that ran out is not ours any more)."""
    reminder = await _get(session, id)
    if claimed_until is not None and (reminder.status != "sending" or reminder.claimed_until != claimed_until):
        return None
    return reminder


async def mark_reminder_sent(session: AsyncSession, id: int, *, at: datetime, delivery: dict[str, Any] | None,
                             claimed_until: datetime | None = None) -> bool:
    """Record a delivered reminder and what DingTalk returned for it (card id, processQueryKey, ...)."""
    reminder = await _fenced(session, id, claimed_until)
    if reminder is None:
        return False
    reminder.status = "sent"
    reminder.sent_at = at
    reminder.delivery = delivery
    reminder.claimed_until = None
    await session.flush()
    return True


async def mark_reminder_retry(session: AsyncSession, id: int, *, error: str, next_attempt_at: datetime,
                              claimed_until: datetime | None = None) -> bool:
    """Record a failed attempt and make the reminder claimable again at `next_attempt_at`."""
    reminder = await _fenced(session, id, claimed_until)
    if reminder is None:
        return False
    reminder.status = "planned"
    reminder.last_error = error
    reminder.next_attempt_at = next_attempt_at
    reminder.claimed_until = None
    await session.flush()
    return True


async def mark_reminder_failed(session: AsyncSession, id: int, *, error: str,
                               claimed_until: datetime | None = None) -> bool:
    """Give up on the reminder for good."""
    reminder = await _fenced(session, id, claimed_until)
    if reminder is None:
        return False
    reminder.status = "failed"
    reminder.last_error = error
    reminder.claimed_until = None
    await session.flush()
    return True


async def claim_card_group(session: AsyncSession, out_track_id: str, *, now: datetime,
                           claimed_until: datetime) -> list[Reminder]:
    """Claim the other unsent rows already promised to one card, so a retried card is never sent in part."""
    stmt = (
        select(Reminder)
        .where(Reminder.status == "planned", Reminder.delivery["outTrackId"].as_string() == out_track_id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    rows = list(await session.scalars(stmt))
    for row in rows:
        row.status, row.claimed_until, row.attempts = "sending", claimed_until, row.attempts + 1
    await session.flush()
    return rows


async def skip_reminders(session: AsyncSession, ids: Collection[int], *, reason: str) -> int:
    """Skip the given reminders not yet sent (planned, or claimed by this dispatcher); returns how many.

    `reason` replaces the planned reason: a skipped row's kind and send_at still say what it would have been.
    """
    if not ids:
        return 0
    return await _skip(session, and_(Reminder.id.in_(tuple(ids)), Reminder.status.in_(("planned", "sending"))), reason)


async def skip_unsent_for_assessment(
    session: AsyncSession, assessment_id: int, *, reason: str, recipient: str | None = None
) -> int:
    """Skip the assessment's planned reminders (only `recipient`'s, when given); returns how many.

    Rows being sent are left to the dispatcher, which re-checks the assessment before sending.
    """
    where = and_(Reminder.assessment_id == assessment_id, Reminder.status == "planned")
    if recipient is not None:
        where = and_(where, Reminder.recipient == recipient)
    return await _skip(session, where, reason)


async def reminders_for_assessment(session: AsyncSession, assessment_id: int) -> list[Reminder]:
    """Every reminder of an assessment, in the order they are (or were) to go out."""
    stmt = (
        select(Reminder)
        .where(Reminder.assessment_id == assessment_id)
        .order_by(Reminder.send_at, Reminder.id)
        .execution_options(populate_existing=True)
    )
    return list(await session.scalars(stmt))


async def due_between(session: AsyncSession, start: datetime, end: datetime) -> list[Reminder]:
    """Planned reminders with send_at in [start, end), by instant and recipient: what a preview shows."""
    stmt = (
        select(Reminder)
        .where(Reminder.status == "planned", Reminder.send_at >= start, Reminder.send_at < end)
        .order_by(Reminder.send_at, Reminder.recipient, Reminder.id)
    )
    return list(await session.scalars(stmt))


async def count_by_status(session: AsyncSession) -> dict[str, int]:
    """How many reminders are in each status, every status present (0 when none)."""
    counts = dict.fromkeys(REMINDER_STATUSES, 0)
    rows = await session.execute(select(Reminder.status, func.count()).group_by(Reminder.status))
    for status, count in rows.all():
        counts[status] = count
    return counts


async def mark_acted(session: AsyncSession, assessment_id: int, recipient: str, at: datetime) -> int:
    """Note that `recipient` acted on the assessment: their sent reminders not yet marked get acted_at."""
    stmt = (
        update(Reminder)
        .where(
            Reminder.assessment_id == assessment_id,
            Reminder.recipient == recipient,
            Reminder.status == "sent",
            Reminder.acted_at.is_(None),
        )
        .values(acted_at=at)
    )
    return await _execute_update(session, stmt)


async def _skip(session: AsyncSession, where: ColumnElement[bool], reason: str) -> int:
    stmt = (
        update(Reminder)
        .where(where)
        .values(status="skipped", reason=reason, claimed_until=None)
    )
    return await _execute_update(session, stmt)


async def _execute_update(session: AsyncSession, stmt: Update) -> int:
    """Run a bulk UPDATE, refreshing rows this session holds, and return how many rows it changed."""
    result = await session.execute(stmt.execution_options(synchronize_session="fetch"))
    return cast(CursorResult[Any], result).rowcount


async def _get(session: AsyncSession, id: int) -> Reminder:
    reminder = await session.get(Reminder, id, populate_existing=True)
    if reminder is None:
        raise LookupError(f"reminder {id} does not exist")
    return reminder


async def release_to_new_card(session: AsyncSession, id: int, *, next_attempt_at: datetime,
                              claimed_until: datetime | None = None) -> bool:
    """Give a claimed row back, free of the card it was meant for (that card had no room for it)."""
    reminder = await _fenced(session, id, claimed_until)
    if reminder is None:
        return False
    reminder.status, reminder.delivery, reminder.claimed_until = "planned", None, None
    reminder.next_attempt_at = next_attempt_at
    reminder.attempts = max(reminder.attempts - 1, 0)  # not a failed attempt
    await session.flush()
    return True
