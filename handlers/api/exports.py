"""GET /exports/{dataset}: the register of data flows, classifications, assessments or the audit log, as CSV or
XLSX for inspectors.

Each dataset needs its own role and shows what its list shows the caller: classifications as GET
/classifications (own, team, all), assessments by owner (own, team, all), data flows as GET /data-flows, the
audit log to admins only. Rows are read in keyset chunks; each chunk is written into the file in a worker
thread (`asyncio.to_thread`), so a large XLSX, which is CPU-bound to build, never blocks the event loop for
long. Every export is recorded in the audit log, since it takes personal data out of the system.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, tzinfo
from typing import Final, Literal

from pydantic import Field, ValidationInfo, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.api import export_rows
from handlers.api.caller import Access, Caller
from handlers.api.classifications import visible_people
from handlers.api.data_flows import CoverageFilter, DataFlowQuery, DestinationName
from handlers.api.export_sheets import MEDIA_TYPES, ExportFormat, cell_value, new_sheet
from handlers.api.models import (
    ApiDatetime,
    ClassificationQuery,
    Download,
    LevelName,
    PathModel,
    PromptStatus,
    QueryModel,
    not_later,
)
from handlers.api.refusals import Refused, bad_input
from storage.audit import append_audit

Dataset = Literal["data-flows", "classifications", "assessments", "audit-events"]
NEEDS: Final[dict[Dataset, Access]] = {
    "data-flows": "manager", "classifications": "employee", "assessments": "employee", "audit-events": "admin",
}
# Which query parameters (by field name) each dataset reads; any other filter is refused, never ignored.
FILTERS: Final[dict[Dataset, frozenset[str]]] = {
    "data-flows": frozenset({"destination", "assessment_status"}),
    "classifications": frozenset({"level", "status", "person", "since", "until"}),
    "assessments": frozenset({"assessment_status", "person"}),
    "audit-events": frozenset({"action", "actor"}),
}


class ExportPath(PathModel):
    dataset: Dataset


class ExportQuery(QueryModel):
    """`format` and the filters; each dataset takes only the filters its list takes (see FILTERS)."""

    format: ExportFormat = "csv"
    level: LevelName | None = Field(default=None, description="classifications")
    status: PromptStatus | None = Field(default=None, description="classifications: the question's status")
    person: str | None = Field(default=None, min_length=1, max_length=64,
                               description="classifications: the sharer's userId; assessments: the owner's")
    since: ApiDatetime | None = Field(default=None, alias="from", description="classifications: asked at or after")
    until: ApiDatetime | None = Field(default=None, alias="to", description="classifications: asked before")
    destination: DestinationName | None = Field(default=None, description="data-flows")
    assessment_status: CoverageFilter | None = Field(
        default=None, description="assessments: their status; data-flows: a covering assessment's (or `none`)")
    action: str | None = Field(default=None, min_length=1, max_length=64, description="audit-events")
    actor: str | None = Field(default=None, min_length=1, max_length=128, description="audit-events")

    @field_validator("until")
    @classmethod
    def _after_since(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        since = info.data.get("since")
        if value is not None and since is not None and value <= since:
            raise not_later("from")
        return value


def export_filename(dataset: Dataset, file_format: ExportFormat, now: datetime, timezone: tzinfo) -> str:
    """e.g. classifications-2026-11-29.csv, dated in the org's timezone."""
    return f"{dataset}-{now.astimezone(timezone).date().isoformat()}.{file_format}"


def check_export(caller: Caller, dataset: Dataset, query: ExportQuery) -> None:
    """Refuse a caller below the dataset's role (403), then any filter the dataset does not take (400 naming
    the query parameter)."""
    needed = NEEDS[dataset]
    if not caller.may(needed):
        raise Refused(403, f"exporting {dataset} needs the {needed} role; you are signed in as {caller.role}")
    stray = sorted(name for name in query.model_fields_set if name != "format" and name not in FILTERS[dataset])
    if stray:
        raise bad_input({_wire_name(stray[0]): f"does not apply to {dataset}; it filters by "
                                               f"{_filter_names(dataset)}"}, location="query")
    if dataset == "assessments" and query.assessment_status == "none":
        raise bad_input({"assessmentStatus": "`none` applies to data-flows only; for assessments give open, "
                                             "in_progress, done or waived"}, location="query")


async def export_dataset(
    session: AsyncSession, caller: Caller, dataset: Dataset, query: ExportQuery, *, now: datetime, timezone: tzinfo,
    chunk: int = export_rows.CHUNK,
) -> Download:
    """The file of `dataset` as `caller` may see it, read `chunk` rows at a time; Refused (403, 400) as
    `check_export` refuses."""
    check_export(caller, dataset, query)
    sheet = new_sheet(query.format, dataset, _headers(dataset))
    written = 0
    try:
        async for rows in await _rows(session, caller, dataset, query, now, chunk):
            cells = [[cell_value(value, timezone) for value in row] for row in rows]
            await asyncio.to_thread(sheet.write, cells)
            written += len(cells)
        content = await asyncio.to_thread(sheet.finish)
    except BaseException:
        sheet.close()
        raise
    filters = {_wire_name(name): str(getattr(query, name)) for name in sorted(query.model_fields_set)}
    try:
        await append_audit(session, actor=caller.user_id, action="export.downloaded", subject=f"export:{dataset}",
                           details={"rows": written, **filters}, at=now)
    except BaseException:
        content.close()
        raise
    return Download(filename=export_filename(dataset, query.format, now, timezone),
                    media_type=MEDIA_TYPES[query.format], content=content)


def _headers(dataset: Dataset) -> tuple[str, ...]:
    return {"data-flows": export_rows.DATA_FLOW_HEADERS, "classifications": export_rows.CLASSIFICATION_HEADERS,
            "assessments": export_rows.ASSESSMENT_HEADERS, "audit-events": export_rows.AUDIT_HEADERS}[dataset]


async def _rows(
    session: AsyncSession, caller: Caller, dataset: Dataset, query: ExportQuery, now: datetime, chunk: int
) -> export_rows.Chunks:
    if dataset == "data-flows":
        flows = DataFlowQuery.model_construct(destination=query.destination,
                                              assessment_status=query.assessment_status)
        return export_rows.data_flow_rows(session, caller, flows)
    if dataset == "classifications":
        listing = ClassificationQuery.model_construct(  # from values already validated above
            level=query.level, status=query.status, person=query.person, since=query.since, until=query.until)
        return export_rows.classification_rows(session, caller, listing, chunk=chunk)
    if dataset == "assessments":
        owners = await visible_people(session, caller, query.person)
        return export_rows.assessment_rows(session, owners, status=query.assessment_status, now=now, chunk=chunk)
    return export_rows.audit_rows(session, action=query.action, actor=query.actor, chunk=chunk)


def _wire_name(field: str) -> str:
    return ExportQuery.model_fields[field].alias or field


def _filter_names(dataset: Dataset) -> str:
    return ", ".join(sorted(_wire_name(name) for name in FILTERS[dataset]))
