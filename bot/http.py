"""The bot's own HTTP server: health and readiness, the mini-program API, the admin pages under /app/."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.admin import AdminConfig, AdminDeps, add_admin_pages
from bot.api import ApiDeps, add_api
from bot.pages import add_pages

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Readiness:
    """What `/readyz` asks: is the stream up, and is the schema at the head revision?"""

    stream_connected: Callable[[], bool]
    schema_current: Callable[[], Awaitable[bool]]


READINESS = web.AppKey("readiness", Readiness)


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def readyz(request: web.Request) -> web.Response:
    readiness = request.app[READINESS]
    try:
        schema = await asyncio.wait_for(readiness.schema_current(), 5)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a database that does not answer means not ready, not a 500
        log.warning("readiness: database check failed: %s", exc)
        schema = False
    stream = readiness.stream_connected()
    body = {"stream": "connected" if stream else "disconnected", "schema": "current" if schema else "behind"}
    return web.json_response(body, status=200 if stream and schema else 503)


@web.middleware
async def security_headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def create_http_app(readiness: Readiness, sessions: async_sessionmaker[AsyncSession],
                    link_key: bytes, api: ApiDeps | None = None, admin: AdminConfig | None = None) -> web.Application:
    """The aiohttp application the bot serves on HTTP_HOST:HTTP_PORT; the admin pages come with the API."""
    app = web.Application(middlewares=[security_headers])
    app[READINESS] = readiness
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    add_pages(app, sessions, link_key)
    if api is not None:
        add_api(app, api)
        add_admin_pages(app, AdminDeps(api=api, link_key=link_key, config=admin or AdminConfig()))
    return app
