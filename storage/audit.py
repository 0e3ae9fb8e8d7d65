"""The append-only, hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Row, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_name
from storage.models import AuditEvent

GENESIS_HASH: Final = "0" * 64
# Any fixed 64-bit key works; this one spells "auditlog" so it is recognisable in pg_locks.
AUDIT_LOCK_KEY: Final = 0x61756469746C6F67
VERIFY_BATCH_SIZE: Final = 1000


@dataclass(frozen=True, slots=True)
class ChainReport:
    ok: bool
    checked: int
    first_broken_seq: int | None
    reason: str | None


def canonical_json(value: Any) -> str:
    """The one JSON spelling the audit hash is computed over."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def audit_timestamp(at: datetime) -> str:
    """`at` as ISO 8601 UTC with microseconds, e.g. 2025-01-02T03:04:05.000006+00:00."""
    return _as_utc(at).isoformat(timespec="microseconds")


def _as_utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at.isoformat()} given; pass an aware UTC datetime")
    return at.astimezone(UTC)


def audit_hash(*, seq: int, at: datetime, actor: str, action: str, subject: str, details: Any, prev_hash: str) -> str:
    """sha256 hex of the canonical JSON of the entry's fields."""
    body = {
        "seq": seq,
        "at": audit_timestamp(at),
        "actor": actor,
        "action": action,
        "subject": subject,
        "details": details,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


async def append_audit(
    session: AsyncSession, *, actor: str, action: str, subject: str, details: dict[str, Any], at: datetime
) -> AuditEvent:
    """Append an entry at the chain head (flushed, not committed); serialised across sessions."""
    # Store what the JSON round trip gives back (e.g. int keys become strings), so verification
    # recomputes the very hash we compute here.
    stored_details: dict[str, Any] = json.loads(canonical_json(details))
    await _lock_chain(session)
    head = (
        await session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1))
    ).first()
    seq, prev_hash = (head.seq + 1, head.hash) if head is not None else (1, GENESIS_HASH)
    fields: dict[str, Any] = {
        "seq": seq,
        "at": _as_utc(at),
        "actor": actor,
        "action": action,
        "subject": subject,
        "details": stored_details,
        "prev_hash": prev_hash,
    }
    event = AuditEvent(**fields, hash=audit_hash(**fields))
    session.add(event)
    await session.flush()
    return event


async def _lock_chain(session: AsyncSession) -> None:
    if dialect_name(session) == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})
    else:
        # A write statement takes SQLite's write lock before we read the head, even on an engine that
        # begins transactions deferred; storage.db's engines already begin IMMEDIATE.
        await session.execute(text("UPDATE audit_events SET seq = seq WHERE 0 = 1"))


async def verify_chain(session: AsyncSession, *, batch_size: int = VERIFY_BATCH_SIZE) -> ChainReport:
    """Walk the log in seq order, a batch at a time, and report the first entry that breaks the chain."""
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    last_seq: int | None = None
    while True:
        rows = await _entry_batch(session, after_seq=last_seq, limit=batch_size)
        for row in rows:
            problem = _entry_problem(row, expected_seq, prev_hash)
            if problem is not None:
                return ChainReport(ok=False, checked=checked, first_broken_seq=expected_seq, reason=problem)
            checked += 1
            expected_seq, prev_hash, last_seq = row.seq + 1, row.hash, row.seq
        if len(rows) < batch_size:
            return ChainReport(ok=True, checked=checked, first_broken_seq=None, reason=None)


async def _entry_batch(session: AsyncSession, *, after_seq: int | None, limit: int) -> list[Row[Any]]:
    # Plain columns, not entities: a long walk must not fill the session's identity map.
    stmt = select(
        AuditEvent.seq,
        AuditEvent.at,
        AuditEvent.actor,
        AuditEvent.action,
        AuditEvent.subject,
        AuditEvent.details,
        AuditEvent.prev_hash,
        AuditEvent.hash,
    )
    if after_seq is not None:
        stmt = stmt.where(AuditEvent.seq > after_seq)
    return list((await session.execute(stmt.order_by(AuditEvent.seq).limit(limit))).all())


def _entry_problem(row: Row[Any], expected_seq: int, prev_hash: str) -> str | None:
    if row.seq != expected_seq:
        return f"expected seq {expected_seq}, found seq {row.seq}: entries are missing"
    if row.prev_hash != prev_hash:
        return f"seq {row.seq}: prev_hash does not match the hash of the entry before it"
    recomputed = audit_hash(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        subject=row.subject,
        details=row.details,
        prev_hash=row.prev_hash,
    )
    if row.hash != recomputed:
        return f"seq {row.seq}: hash does not match the entry's contents"
    return None


async def list_audit(
    session: AsyncSession,
    *,
    limit: int,
    after_seq: int = 0,
    action: str | None = None,
    actor: str | None = None,
) -> list[AuditEvent]:
    """Entries with seq > after_seq in seq order, optionally filtered by action and actor."""
    stmt = select(AuditEvent).where(AuditEvent.seq > after_seq)
    if action is not None:
        stmt = stmt.where(AuditEvent.action == action)
    if actor is not None:
        stmt = stmt.where(AuditEvent.actor == actor)
    return list(await session.scalars(stmt.order_by(AuditEvent.seq).limit(limit)))
