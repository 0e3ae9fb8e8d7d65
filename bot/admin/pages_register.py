"""The register of data flows (managers: their team's, admins: all) and the export downloads for inspectors."""

from __future__ import annotations

from typing import Final, cast, get_args

from aiohttp import web

from bot.admin.forms import FormErrors, parse, parse_filters, with_query
from bot.admin.registry import PAGES, PageCall, PageNotFound
from bot.downloads import download_response
from handlers.api.data_flows import DESTINATIONS, CoverageFilter, DataFlowQuery, list_data_flows
from handlers.api.export_sheets import ExportFormat
from handlers.api.exports import Dataset, ExportQuery, export_dataset
from handlers.api.refusals import Refused

DATASETS: Final = frozenset(get_args(Dataset))
FORMATS: Final = frozenset(get_args(ExportFormat))


def export_links(call: PageCall, dataset: str, params: dict[str, str]) -> list[dict[str, str]]:
    """CSV and Excel links for `dataset` with the list's filters (not its order or page)."""
    return [{"url": with_query(f"/app/exports/{dataset}.{kind}", params, drop=("cursor", "limit", "order")),
             "label": call.t(label)} for kind, label in (("csv", "common.export_csv"), ("xlsx", "common.export_xlsx"))]


@PAGES.page("GET", "/register", access="manager", nav="nav.register")
async def register(call: PageCall) -> web.Response:
    params = call.params()
    query, errors = parse_filters(DataFlowQuery, params, call.t)
    found = await list_data_flows(call.session, call.caller, query)
    return call.render("register.html", status=400 if errors else 200, register=found, errors=errors,
                       params=params, destinations=DESTINATIONS, coverage=get_args(CoverageFilter),
                       exports=export_links(call, "data-flows", params))


@PAGES.page("GET", "/exports/{dataset:[a-z-]+}.{format:[a-z]+}", access="employee")
async def export(call: PageCall) -> web.StreamResponse:
    """The same file GET /api/v1/exports/{dataset} gives, with the page session's caller and the list's filters."""
    dataset, file_format = call.request.match_info["dataset"], call.request.match_info["format"]
    if dataset not in DATASETS or file_format not in FORMATS:
        raise PageNotFound()
    try:
        query = parse(ExportQuery, {**call.params(), "format": file_format}, call.t)
        file = await export_dataset(call.session, call.caller, cast(Dataset, dataset), query, now=call.now,
                                    timezone=call.deps.api.policy().calendar.timezone)
    except FormErrors as exc:
        return call.render("error.html", status=400, message=str(exc))
    except Refused as refused:
        if refused.status == 403:
            return call.render("forbidden.html", status=403, needed=call.t("role.admin" if dataset == "audit-events"
                                                                            else "role.manager"))
        if refused.status != 400:
            raise
        return call.render("error.html", status=400, message="; ".join(refused.fields.values()))
    return download_response(file)
