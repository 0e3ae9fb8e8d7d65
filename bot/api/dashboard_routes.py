"""Routes of the mini-program API: the dashboard."""

from __future__ import annotations

from bot.api.registry import ApiCall
from bot.api.routes import API
from handlers.api.dashboard import Dashboard, dashboard
from handlers.api.models import NoBody, NoPath, NoQuery


@API.route("GET", "/dashboard", access="employee", query=NoQuery, body=NoBody, response=Dashboard,
           summary="Counts for the caller's home page: questions, recent classifications, assessments, sign-offs",
           tags=("dashboard",))
async def get_dashboard(call: ApiCall[NoQuery, NoBody, NoPath]) -> Dashboard:
    """Scoped like the lists: employees their own, managers their team's, admins everyone's. Sign-off campaigns:
    admins see draft and active ones with their signers' progress, others the active ones awaiting their decision."""
    return await dashboard(call.session, call.user, call.now)
