"""Signing in and out of the pages, and their static files.

The sign-in shell (`guard.sign_in_shell`) asks DingTalk for a free-login code, exchanges it at the API's
POST /api/v1/auth/dingtalk (which checks the code once and rate-limits), then posts the token here; this
sets the session cookie. The page's script never keeps the token.
"""

from __future__ import annotations

import json
import logging
from typing import Final
from urllib.parse import urlsplit

from aiohttp import web

from bot.admin import render as templates
from bot.admin.deps import AdminDeps
from bot.admin.guard import anonymous_page
from bot.admin.registry import PAGES, PREFIX, PageCall
from bot.admin.session import clear_session, set_session
from bot.api.tokens import TokenError
from handlers.api.caller import resolve_caller

log = logging.getLogger(__name__)

DEPS = web.AppKey("admin_deps", AdminDeps)
_TYPES: Final = {".js": "text/javascript", ".css": "text/css"}
MAX_TOKEN: Final = 4096


def safe_next(value: object) -> str:
    """Where to go after signing in: a path under /app/ only, never another site."""
    if isinstance(value, str) and value.startswith(PREFIX + "/") and not value.startswith("//") and "\\" not in value:
        return value
    return PREFIX + "/"


def same_origin(request: web.Request) -> bool:
    """A browser names the page a POST comes from; only our own pages may start a session."""
    origin = request.headers.get("Origin")
    return origin is not None and urlsplit(origin).netloc == request.host


async def start_session(request: web.Request) -> web.Response:
    """POST /app/session {"token", "next"}: the API's token becomes the page session cookie."""
    deps = request.app[DEPS]
    if not same_origin(request):
        return web.json_response({"error": "sign in from the admin pages themselves"}, status=403)
    try:
        body = json.loads(await request.text())
        token, target = body["token"], body.get("next")
        if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN:
            raise ValueError("token")
    except (ValueError, KeyError, TypeError):
        return web.json_response({"error": 'send {"token": "<the API token>"} as JSON'}, status=400)
    now = deps.api.clock()
    try:
        claims = deps.api.tokens.verify(token, now)
    except TokenError as exc:
        log.info("admin pages: refused a token at sign-in (%s)", exc)
        return web.json_response({"error": "the token is invalid or has expired; sign in again"}, status=401)
    async with deps.api.sessions() as session:
        caller = await resolve_caller(session, claims.user_id, deps.api.bot_admins)
    if caller is None:
        return web.json_response({"error": "this account is no longer active in the organisation"}, status=401)
    response = web.json_response({"next": safe_next(target)})
    set_session(response, request, deps, token, max_age=int((claims.expires_at - now).total_seconds()))
    log.info("admin pages: session started for token %s (role %s)", claims.token_id, caller.role)
    return response


@PAGES.page("POST", "/sign-out", access="employee")
async def sign_out(call: PageCall) -> web.Response:
    """Ends the page session; the API token it carried simply runs out."""
    response = call.redirect(f"{PREFIX}/signed-out")
    clear_session(response, call.request, call.deps)
    return response


async def signed_out(request: web.Request) -> web.Response:
    return anonymous_page(request, "signed_out.html", 200)


async def static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in templates.STATIC_FILES:
        raise web.HTTPNotFound()
    text = templates.static_text(name)
    # Addressed by content hash (`static_url`), so a browser may keep them; pages themselves are never cached.
    return web.Response(text=text, content_type=_TYPES[name[name.rindex("."):]], charset="utf-8",
                        headers={"Cache-Control": "public, max-age=86400"})
