"""GET /audit-events and /audit-events/verify: the hash-chained audit log, for admins."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.api.models import AuditEventOut, AuditPage, AuditQuery, ChainCheck
from storage.audit import list_audit, verify_chain


async def list_audit_events(session: AsyncSession, query: AuditQuery) -> AuditPage:
    """Entries in chain order after the cursor's seq, filtered by action and actor."""
    rows = await list_audit(session, limit=query.limit + 1, after_seq=query.cursor or 0, action=query.action,
                            actor=query.actor)
    more = len(rows) > query.limit
    items = [
        AuditEventOut(seq=row.seq, at=row.at, actor=row.actor, action=row.action, subject=row.subject,
                      details=row.details, prev_hash=row.prev_hash, hash=row.hash)
        for row in rows[: query.limit]
    ]
    return AuditPage(items=items, next_cursor=items[-1].seq if more else None)


async def check_audit_chain(session: AsyncSession) -> ChainCheck:
    """Walk the whole chain and name the first broken entry, as `compliance-bot audit verify` does."""
    report = await verify_chain(session)
    return ChainCheck(ok=report.ok, checked=report.checked, first_broken_seq=report.first_broken_seq,
                      reason=report.reason)
