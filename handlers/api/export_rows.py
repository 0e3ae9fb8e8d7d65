"""The rows of each export, read in keyset chunks so that a million rows never sit in memory at once.

The session's identity map holds unchanged objects weakly, so each chunk's rows are freed once written.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.api.caller import Caller
from handlers.api.classifications import list_classifications
from handlers.api.data_flows import DataFlowQuery, list_data_flows
from handlers.api.export_sheets import Row
from handlers.api.models import ClassificationQuery
from handlers.signoff.snapshot import linked_classification
from storage.assessments import ACTIVE_STATUSES
from storage.audit import audit_timestamp, canonical_json, list_audit
from storage.directory import names_of
from storage.models import Assessment

CHUNK: Final = 5000
Chunks = AsyncIterator[list[Row]]

DATA_FLOW_HEADERS: Final = (
    "Destination", "Destination (id)", "Leaves Macau", "Personal data", "Personal data (id)", "Files",
    "Classifications", "First seen", "Last seen", "Transfer routes", "Citations", "Route options",
    "Assessments", "Assessment statuses",
)
CLASSIFICATION_HEADERS: Final = (
    "Question id", "Status", "Person (userId)", "Person", "File id", "File name", "Channel", "Shared at",
    "Asked at", "Level", "Personal data", "Destination", "Reason", "Classified at", "Rules version",
)
ASSESSMENT_HEADERS: Final = (
    "Assessment id", "Title", "Type", "Status", "Owner (userId)", "Owner", "Due at", "Overdue", "Source",
    "Obligation", "Classification id", "File", "Destination", "Evidence", "Waived reason", "Created by (userId)",
    "Created by", "Created at", "Updated at", "Closed at",
)
AUDIT_HEADERS: Final = (
    "Seq", "At", "At (UTC, as hashed)", "Actor (userId)", "Actor", "Action", "Subject", "Details",
    "Previous hash", "Hash",
)


async def data_flow_rows(session: AsyncSession, caller: Caller, query: DataFlowQuery) -> Chunks:
    """The register is small (one row per destination x personal data kind), so it is one chunk."""
    register = await list_data_flows(session, caller, query)
    yield [
        (item.destination_label, item.destination, item.leaves_macau, item.personal_data_label, item.personal_data,
         item.files, item.classifications, item.first_seen, item.last_seen,
         "; ".join(route.id for route in item.routes), "; ".join(route.cite for route in item.routes),
         "; ".join(" / ".join(route.options) for route in item.routes),
         "; ".join(f"#{a.id} {a.title} ({a.owner_name})" for a in item.assessments),
         "; ".join(a.status for a in item.assessments))
        for item in register.items
    ]


async def classification_rows(session: AsyncSession, caller: Caller, query: ClassificationQuery, *,
                              chunk: int = CHUNK) -> Chunks:
    """GET /classifications' rows, visibility and filters, oldest first, a chunk per page."""
    # Pages larger than the route allows are fine here: this is our own loop, not a client's request.
    page_query = query.model_copy(update={"order": "oldest", "limit": chunk, "cursor": None})
    while True:
        page = await list_classifications(session, caller, page_query)
        yield [
            (item.id, item.status, item.person.user_id, item.person.name, item.file.id, item.file.name,
             item.file.channel, item.file.shared_at, item.asked_at, item.level, item.personal_data,
             item.destination, item.reason, item.classified_at, item.rules_version)
            for item in page.items
        ]
        if page.next_cursor is None:
            return
        page_query = page_query.model_copy(update={"cursor": page.next_cursor})


async def assessment_rows(
    session: AsyncSession, owners: Collection[str] | None, *, status: str | None, now: datetime, chunk: int = CHUNK
) -> Chunks:
    """Assessments whose owner is in `owners` (everyone's for None), by id."""
    if owners is not None and not owners:
        return
    after = 0
    while True:
        stmt = select(Assessment).where(Assessment.id > after)
        if owners is not None:
            stmt = stmt.where(Assessment.owner.in_(sorted(owners)))
        if status is not None:
            stmt = stmt.where(Assessment.status == status)
        rows = list(await session.scalars(stmt.order_by(Assessment.id).limit(chunk)))
        names = await names_of(session, {a.owner for a in rows} | {a.created_by for a in rows})
        yield [_assessment_row(a, names, now) for a in rows]
        if len(rows) < chunk:
            return
        after = rows[-1].id


def _assessment_row(a: Assessment, names: dict[str, str], now: datetime) -> Row:
    flow: dict[str, Any] = a.data_flow
    return (
        a.id, a.title, a.type, a.status, a.owner, names.get(a.owner, a.owner), a.due_at,
        a.status in ACTIVE_STATUSES and a.due_at < now, a.source, a.obligation_id, linked_classification(flow),
        _text(flow.get("file")), _text(flow.get("destination")), a.evidence, a.waived_reason,
        a.created_by, names.get(a.created_by, a.created_by), a.created_at, a.updated_at, a.closed_at,
    )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


async def audit_rows(session: AsyncSession, *, action: str | None, actor: str | None,
                     chunk: int = CHUNK) -> Chunks:
    """The audit log in chain order; `At (UTC, as hashed)` is the spelling its hash covers."""
    after = 0
    while True:
        rows = await list_audit(session, limit=chunk, after_seq=after, action=action, actor=actor)
        names = await names_of(session, {row.actor for row in rows})
        yield [
            (row.seq, row.at, audit_timestamp(row.at), row.actor, names.get(row.actor, row.actor), row.action,
             row.subject, canonical_json(row.details), row.prev_hash, row.hash)
            for row in rows
        ]
        if len(rows) < chunk:
            return
        after = rows[-1].seq
