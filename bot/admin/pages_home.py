"""The dashboard at /app/: unclassified files, assessments, campaigns; scoped like the lists (own, team, all)."""

from __future__ import annotations

from aiohttp import web

from bot.admin.registry import PAGES, PageCall
from handlers.api.dashboard import dashboard as dashboard_figures


@PAGES.page("GET", "/", access="employee", nav="nav.dashboard")
async def dashboard(call: PageCall) -> web.Response:
    figures = await dashboard_figures(call.session, call.caller, call.now)
    return call.render("dashboard.html", d=figures)
