"""The audit log for admins: filters by action and actor, paging in chain order, and the chain's check."""

from __future__ import annotations

from aiohttp import web

from bot.admin.forms import next_page_url, parse_filters
from bot.admin.pages_register import export_links
from bot.admin.registry import PAGES, PageCall
from handlers.api.audit import check_audit_chain, list_audit_events
from handlers.api.models import AuditQuery
from storage.directory import names_of


@PAGES.page("GET", "/audit", access="admin", nav="nav.audit")
async def audit(call: PageCall) -> web.Response:
    params = call.params()
    query, errors = parse_filters(AuditQuery, params, call.t)
    found = await list_audit_events(call.session, query)
    chain = await check_audit_chain(call.session)
    exports = export_links(call, "audit-events", params)
    names = await names_of(call.session, {event.actor for event in found.items})
    return call.render("audit.html", status=400 if errors else 200, page=found, chain=chain, errors=errors,
                       params=params, exports=exports, names=names,
                       next_url=next_page_url(call.request.path, params, found))
