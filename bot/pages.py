"""Sign-off reports and certificates as pages. Their URLs hold the document's SHA-256, which only the
people the bot sent them to know; the mini-program's signed-in views come with the admin API."""

from __future__ import annotations

import re

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import signoff
from storage.models import SignoffCampaign, SignoffSnapshot

SESSIONS = web.AppKey("sessions", async_sessionmaker[AsyncSession])
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"


def _page(html: str) -> web.Response:
    response = web.Response(text=html, content_type="text/html", charset="utf-8")
    response.headers["Content-Security-Policy"] = _CSP
    return response


async def report(request: web.Request) -> web.Response:
    sha256, language = request.match_info["sha256"], request.match_info["language"]
    if not _HEX64.match(sha256):
        raise web.HTTPNotFound(text="no such report")
    async with request.app[SESSIONS]() as session:
        snapshot = await session.scalar(select(SignoffSnapshot).where(SignoffSnapshot.sha256 == sha256).limit(1))
        found = await signoff.report_of(session, snapshot.id, language) if snapshot else None
    if found is None:
        raise web.HTTPNotFound(text="no such report")
    return _page(found.html)


async def certificate(request: web.Request) -> web.Response:
    sha256 = request.match_info["sha256"]
    try:
        campaign_id = int(request.match_info["campaign"])
    except ValueError:
        raise web.HTTPNotFound(text="no such certificate") from None
    async with request.app[SESSIONS]() as session:
        campaign = await session.get(SignoffCampaign, campaign_id)
    if campaign is None or not campaign.certificate_html or campaign.certificate_sha256 != sha256:
        raise web.HTTPNotFound(text="no such certificate")
    return _page(campaign.certificate_html)


def add_pages(app: web.Application, sessions: async_sessionmaker[AsyncSession]) -> None:
    app[SESSIONS] = sessions
    app.router.add_get("/signoff/reports/{sha256}/{language}", report)
    app.router.add_get("/signoff/certificates/{campaign}/{sha256}", certificate)
