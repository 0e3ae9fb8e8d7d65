"""Classifications: own for employees, the team's for managers, everyone's for admins; filters and paging."""

from __future__ import annotations

from aiohttp import web

from bot.admin.forms import FormErrors, next_page_url, parse, with_query
from bot.admin.registry import PAGES, PageCall
from handlers.api.classifications import list_classifications
from handlers.api.models import LEVELS, ClassificationPage, ClassificationQuery
from storage.models import PROMPT_STATUSES


@PAGES.page("GET", "/classifications", access="employee", nav="nav.classifications")
async def classifications(call: PageCall) -> web.Response:
    params = call.params()
    errors: dict[str, str] = {}
    try:
        query = parse(ClassificationQuery, params)
    except FormErrors as exc:
        errors, query = exc.fields, ClassificationQuery()
    found: ClassificationPage = await list_classifications(call.session, call.caller, query)
    exports = [{"url": with_query(f"/app/exports/classifications.{kind}", params), "label": call.t(label)}
               for kind, label in (("csv", "common.export_csv"), ("xlsx", "common.export_xlsx"))]
    return call.render("classifications.html", status=400 if errors else 200, page=found, errors=errors,
                       params=params, levels=LEVELS, statuses=PROMPT_STATUSES, exports=exports,
                       next_url=next_page_url(call.request.path, params, found.next_cursor))
