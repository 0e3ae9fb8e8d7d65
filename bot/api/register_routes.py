"""Routes of the mini-program API: the register of data flows and the exports for inspectors."""

from __future__ import annotations

from bot.api.refusals import refusals_as_problems
from bot.api.registry import ApiCall
from bot.api.routes import API
from handlers.api.data_flows import DataFlowQuery, DataFlowRegister, list_data_flows
from handlers.api.export_sheets import MEDIA_TYPES
from handlers.api.exports import ExportPath, ExportQuery, export_dataset
from handlers.api.models import Download, NoBody, NoPath


@API.route("GET", "/data-flows", access="manager", query=DataFlowQuery, body=NoBody, response=DataFlowRegister,
           summary="The register of data flows: destinations, personal data, transfer routes, assessments",
           tags=("register",))
async def get_data_flows(call: ApiCall[DataFlowQuery, NoBody, NoPath]) -> DataFlowRegister:
    """One row per (destination, personal data kind) answered in classifications, with the transfer routes the
    rules pack requires and the assessments covering it. Managers see the flows of their team's
    classifications, admins all. Never paged: the register has at most one row per pair."""
    return await list_data_flows(call.session, call.user, call.query)


@API.route("GET", "/exports/{dataset}", access="employee", query=ExportQuery, body=NoBody, response=Download,
           path_params=ExportPath, summary="Download a register, the classifications, assessments or the audit log",
           tags=("register",), statuses=(403,), media_types=(MEDIA_TYPES["csv"].split(";")[0], MEDIA_TYPES["xlsx"]))
async def get_export(call: ApiCall[ExportQuery, NoBody, ExportPath]) -> Download:
    """`format` csv (UTF-8 with BOM, the default) or xlsx. Each dataset needs its own role, refused with 403
    naming it: data-flows manager, classifications and assessments employee, audit-events admin. Rows are what
    the caller's list shows: own for employees, their team's for managers, all for admins. Filters:
    classifications level, status, person, from, to; assessments assessmentStatus, person (the owner);
    data-flows destination, assessmentStatus; audit-events action, actor. Any other filter is a 400."""
    with refusals_as_problems():
        return await export_dataset(call.session, call.user, call.path.dataset, call.query, now=call.now,
                                    timezone=call.deps.policy().calendar.timezone)
