"""Classifications: own for employees, the team's for managers, everyone's for admins; filters and paging."""

from __future__ import annotations

from aiohttp import web

from bot.admin.forms import next_page_url, parse_filters
from bot.admin.pages_register import export_links
from bot.admin.registry import PAGES, PageCall
from handlers.api.classifications import list_classifications
from handlers.api.models import LEVELS, ClassificationPage, ClassificationQuery
from storage.models import PROMPT_STATUSES


@PAGES.page("GET", "/classifications", access="employee", nav="nav.classifications")
async def classifications(call: PageCall) -> web.Response:
    params = call.params()
    query, errors = parse_filters(ClassificationQuery, params, call.t)
    found: ClassificationPage = await list_classifications(call.session, call.caller, query)
    exports = export_links(call, "classifications", params)
    return call.render("classifications.html", status=400 if errors else 200, page=found, errors=errors,
                       params=params, levels=LEVELS, statuses=PROMPT_STATUSES, exports=exports,
                       next_url=next_page_url(call.request.path, params, found))
