"""Sign-off reports and certificates as pages, behind signed links (handlers.links) that only the people
the bot sent them to have: a signer opens the report from the card, in whatever browser DingTalk uses, without
signing in. Signed-in people reach the same files through the admin pages and the API."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.links import valid
from storage import signoff
from storage.models import SignoffCampaign

SESSIONS = web.AppKey("sessions", async_sessionmaker[AsyncSession])
LINK_KEY = web.AppKey("link_key", bytes)
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"


def _page(html: str) -> web.Response:
    response = web.Response(text=html, content_type="text/html", charset="utf-8")
    response.headers["Content-Security-Policy"] = _CSP
    return response


def _number(request: web.Request, name: str) -> int:
    try:
        return int(request.match_info[name])
    except ValueError:
        raise web.HTTPNotFound(text="not found") from None


async def report(request: web.Request) -> web.Response:
    snapshot_id, language = _number(request, "snapshot"), request.match_info["language"]
    if not valid(request.app[LINK_KEY], f"report:{snapshot_id}", request.match_info["token"]):
        raise web.HTTPNotFound(text="not found")
    async with request.app[SESSIONS]() as session:
        found = await signoff.report_of(session, snapshot_id, language)
    if found is None:
        raise web.HTTPNotFound(text="not found")
    return _page(found.html)


async def certificate(request: web.Request) -> web.Response:
    campaign_id = _number(request, "campaign")
    async with request.app[SESSIONS]() as session:
        campaign = await session.get(SignoffCampaign, campaign_id)
    if campaign is None or not campaign.certificate_html or not valid(
            request.app[LINK_KEY], f"certificate:{campaign.id}:{campaign.certificate_sha256}",
            request.match_info["token"]):
        raise web.HTTPNotFound(text="not found")
    return _page(campaign.certificate_html)


def add_pages(app: web.Application, sessions: async_sessionmaker[AsyncSession], link_key: bytes) -> None:
    app[SESSIONS] = sessions
    app[LINK_KEY] = link_key
    app.router.add_get("/signoff/reports/{snapshot}/{language}/{token}", report)
    app.router.add_get("/signoff/certificates/{campaign}/{token}", certificate)
