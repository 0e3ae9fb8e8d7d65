"""Queries over assessments and the reminder rule saved for each assessment type."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, Final

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_insert
from storage.models import Assessment, ReminderRuleRow

ACTIVE_STATUSES: Final = ("open", "in_progress")
CLOSED_STATUSES: Final = ("done", "waived")
# Kept by the functions below, never changed by a caller's **changes.
_MANAGED_FIELDS: Final = frozenset({"id", "version", "created_at", "updated_at", "closed_at"})


async def create_assessment(session: AsyncSession, *, at: datetime, **fields: Any) -> Assessment:
    """Add an assessment at version 1, created and updated at `at`; status defaults to open."""
    fields.setdefault("status", "open")
    fields.setdefault("data_flow", {})
    closed_at = at if fields["status"] in CLOSED_STATUSES else None
    assessment = Assessment(version=1, created_at=at, updated_at=at, closed_at=closed_at, **fields)
    session.add(assessment)
    await session.flush()
    return assessment


async def get_assessment(session: AsyncSession, id: int, *, for_update: bool = False) -> Assessment | None:
    """The assessment with `id`, read afresh; locked until commit when `for_update` (a card click, say)."""
    stmt = select(Assessment).where(Assessment.id == id).execution_options(populate_existing=True)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def list_assessments(
    session: AsyncSession,
    *,
    owner: str | None = None,
    status: str | Collection[str] | None = None,
    type: str | None = None,
    overdue_at: datetime | None = None,
    limit: int = 100,
    after_id: int = 0,
) -> list[Assessment]:
    """Assessments matching every filter given, by id, one page after `after_id`.

    With `overdue_at`, only those overdue at that instant: open or in progress and due before it.
    """
    stmt = select(Assessment).where(Assessment.id > after_id)
    if owner is not None:
        stmt = stmt.where(Assessment.owner == owner)
    if isinstance(status, str):
        stmt = stmt.where(Assessment.status == status)
    elif status is not None:
        stmt = stmt.where(Assessment.status.in_(tuple(status)))
    if type is not None:
        stmt = stmt.where(Assessment.type == type)
    if overdue_at is not None:
        stmt = stmt.where(Assessment.status.in_(ACTIVE_STATUSES), Assessment.due_at < overdue_at)
    stmt = stmt.order_by(Assessment.id).limit(limit)
    return list(await session.scalars(stmt))


async def open_assessments(session: AsyncSession) -> list[Assessment]:
    """Every assessment still open or in progress, soonest due first: what the reminder planner works on."""
    stmt = (
        select(Assessment)
        .where(Assessment.status.in_(ACTIVE_STATUSES))
        .order_by(Assessment.due_at, Assessment.id)
    )
    return list(await session.scalars(stmt))


async def update_assessment(
    session: AsyncSession, assessment: Assessment, *, at: datetime, **changes: Any
) -> Assessment:
    """Apply `changes`, bump the version and updated_at; closed_at follows the status (set when done or waived).

    Callers that check a card's version should load the row with `get_assessment(..., for_update=True)` first.
    """
    columns = set(inspect(Assessment).columns.keys())
    unknown = set(changes) - columns
    if unknown:
        raise TypeError(f"assessments have no column(s) {sorted(unknown)}")
    managed = set(changes) & _MANAGED_FIELDS
    if managed:
        raise TypeError(f"{sorted(managed)} are kept by update_assessment itself")
    was_closed = assessment.status in CLOSED_STATUSES
    for name, value in changes.items():
        setattr(assessment, name, value)
    closed = assessment.status in CLOSED_STATUSES
    if closed and not was_closed:
        assessment.closed_at = at
    elif was_closed and not closed:
        assessment.closed_at = None
    assessment.version += 1
    assessment.updated_at = at
    await session.flush()
    return assessment


async def assessment_for_obligation(session: AsyncSession, pending_obligation_id: int) -> Assessment | None:
    """The assessment a pending obligation became, if it became one yet."""
    stmt = select(Assessment).where(Assessment.pending_obligation_id == pending_obligation_id)
    return await session.scalar(stmt)


async def get_rule(session: AsyncSession, assessment_type: str) -> dict[str, Any] | None:
    """The saved rule's settings for `assessment_type`; None when admins never saved one (defaults apply)."""
    stmt = select(ReminderRuleRow.settings).where(ReminderRuleRow.assessment_type == assessment_type)
    return await session.scalar(stmt)


async def save_rule(
    session: AsyncSession, assessment_type: str, settings: dict[str, Any], *, by: str, at: datetime
) -> None:
    """Insert or replace the rule for `assessment_type`; `settings` must already be validated."""
    insert = dialect_insert(session, ReminderRuleRow).values(
        assessment_type=assessment_type, settings=settings, updated_by=by, updated_at=at
    )
    stmt = insert.on_conflict_do_update(
        index_elements=[ReminderRuleRow.assessment_type],
        set_={
            "settings": insert.excluded.settings,
            "updated_by": insert.excluded.updated_by,
            "updated_at": insert.excluded.updated_at,
        },
    )
    await session.execute(stmt)


async def all_rules(session: AsyncSession) -> dict[str, dict[str, Any]]:
    """Every saved rule's settings by assessment type."""
    rows = await session.execute(select(ReminderRuleRow.assessment_type, ReminderRuleRow.settings))
    return {assessment_type: settings for assessment_type, settings in rows.all()}
