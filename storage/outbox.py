"""The outbox: outbound calls committed with the change that caused them, drained by a job."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_insert
from storage.models import OutboxMessage


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any],
    *,
    dedup_key: str | None = None,
    at: datetime,
) -> OutboxMessage | None:
    """Queue a message due at `at`; None if a message with `dedup_key` was queued before.

    The conflict is skipped inside the INSERT, so the caller's transaction stays usable.
    """
    stmt = (
        dialect_insert(session, OutboxMessage)
        .values(
            created_at=at,
            kind=kind,
            payload=payload,
            dedup_key=dedup_key,
            status="pending",
            attempts=0,
            next_attempt_at=at,
        )
        .on_conflict_do_nothing(index_elements=[OutboxMessage.dedup_key])
        .returning(OutboxMessage)
    )
    return (await session.scalars(stmt)).one_or_none()


async def claim_due(session: AsyncSession, *, now: datetime, limit: int, lease: timedelta) -> list[OutboxMessage]:
    """Lease up to `limit` due messages to this sender until now + lease, counting an attempt on each.

    Due means pending with next_attempt_at <= now, or sending with an expired lease (its sender died).
    On PostgreSQL rows another open claim holds are skipped; SQLite's single writer serialises claims.
    """
    due = or_(
        and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == "sending", OutboxMessage.claimed_until <= now),
    )
    stmt = (
        select(OutboxMessage)
        .where(due)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    messages = list(await session.scalars(stmt))
    for message in messages:
        message.status = "sending"
        message.claimed_until = now + lease
        message.attempts += 1
    await session.flush()
    return messages


async def mark_sent(session: AsyncSession, id: int, result: dict[str, Any] | None, at: datetime) -> None:
    """Record a successful send and its result."""
    message = await _get(session, id)
    message.status = "sent"
    message.result = result
    message.sent_at = at
    message.claimed_until = None
    await session.flush()


async def mark_retry(session: AsyncSession, id: int, error: str, next_attempt_at: datetime) -> None:
    """Record a failed attempt and make the message due again at `next_attempt_at`."""
    message = await _get(session, id)
    message.status = "pending"
    message.last_error = error
    message.next_attempt_at = next_attempt_at
    message.claimed_until = None
    await session.flush()


async def mark_failed(session: AsyncSession, id: int, error: str) -> None:
    """Give up on the message for good."""
    message = await _get(session, id)
    message.status = "failed"
    message.last_error = error
    message.claimed_until = None
    await session.flush()


async def pending_count(session: AsyncSession) -> int:
    """Messages not yet sent nor given up on (pending or leased)."""
    stmt = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status.in_(("pending", "sending")))
    return (await session.scalar(stmt)) or 0


async def _get(session: AsyncSession, id: int) -> OutboxMessage:
    message = await session.get(OutboxMessage, id, populate_existing=True)
    if message is None:
        raise LookupError(f"outbox message {id} does not exist")
    return message


async def newer_card_update(session: AsyncSession, id: int, out_track_id: str) -> bool:
    """Whether a later update of the same card was queued; sending this one after it would undo it."""
    stmt = select(OutboxMessage.id).where(
        OutboxMessage.id > id, OutboxMessage.kind == "card.update",
        OutboxMessage.payload["outTrackId"].as_string() == out_track_id,
    ).limit(1)
    return await session.scalar(stmt) is not None
