"""The one wrapper every page runs in: session cookie, role, CSRF, language, one transaction, error pages.

A request without a valid session gets the sign-in shell (401); a signed-in caller without the page's role
gets a page naming the role it needs (403); a form without this session's CSRF token gets 403 and changes
nothing. Roles come from the directory on every request (`resolve_caller`), as in the API.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin import render as templates
from bot.admin.deps import AdminDeps
from bot.admin.registry import PAGES, Page, PageCall, PageNotFound
from bot.admin.session import (
    CSRF_FIELD,
    clear_flash,
    clear_session,
    csrf_token,
    csrf_valid,
    flash_of,
    session_claims,
)
from bot.api.problems import ApiProblem
from cards.render import Language
from handlers.api.caller import Caller, resolve_caller
from handlers.api.refusals import Refused
from storage import preferences

log = logging.getLogger(__name__)

RequestHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def page_handler(page: Page, deps: AdminDeps) -> RequestHandler:
    """The aiohttp handler that enforces what `page` declares, then runs it."""

    async def handle(request: web.Request) -> web.StreamResponse:
        now = deps.api.clock()
        claims = session_claims(request, deps, now)
        if claims is None:
            return sign_in_shell(request, deps, status=401)
        async with deps.api.sessions() as session:
            caller = await resolve_caller(session, claims.user_id, deps.api.bot_admins)
            if caller is None:
                response = sign_in_shell(request, deps, status=401)
                clear_session(response, request, deps)
                return response
            language = await page_language(session, request, caller, now)
            call = PageCall(request=request, deps=deps, session=session, caller=caller, now=now, language=language,
                            csrf=csrf_token(deps, claims), nav=PAGES.nav_for(caller, request.path))
            if not caller.may(page.access):
                return call.render("forbidden.html", status=403, needed=call.t(f"role.{page.access}"))
            if page.method == "POST":
                call.form = await request.post()
                if not csrf_valid(deps, claims, call.form.get(CSRF_FIELD)):
                    log.info("admin pages: refused a form without this session's CSRF token on %s", request.path)
                    return call.render("error.html", status=403, message=call.t("error.csrf"))
            answer = await _run(page, call)
            await session.commit()
        deps.api.on_committed()
        return answer

    return handle


async def _run(page: Page, call: PageCall) -> web.StreamResponse:
    call.flash = flash_of(call.request)
    try:
        response = await page.handler(call)
    except PageNotFound:
        return call.render("error.html", status=404, message=call.t("error.not_found"))
    except Refused as refused:
        if refused.status == 404:
            return call.render("error.html", status=404, message=call.t("error.not_found"))
        return call.render("error.html", status=refused.status, message=refused.detail)
    except ApiProblem as problem:
        return call.render("error.html", status=problem.status, message=problem.detail)
    if call.flash is not None:
        clear_flash(response, call.request, call.deps)
    return response


async def page_language(session: AsyncSession, request: web.Request, caller: Caller, now: datetime) -> Language:
    """?lang= switches and stores the caller's language; otherwise their stored one; zh-Hant by default."""
    chosen = templates.coerce(request.query.get("lang"))
    if chosen is not None:
        await preferences.set_language(session, caller.user_id, chosen, now)
        return chosen
    return templates.coerce(await preferences.get_language(session, caller.user_id)) or templates.DEFAULT_LANGUAGE


def anonymous_language(request: web.Request) -> Language:
    """For pages without a caller: ?lang=, else the browser's first language we have, else zh-Hant."""
    chosen = templates.coerce(request.query.get("lang"))
    if chosen is not None:
        return chosen
    for part in request.headers.get("Accept-Language", "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith(("zh-hant", "zh-tw", "zh-hk", "zh-mo")):
            return "zh-Hant"
        if tag.startswith("en"):
            return "en"
        if tag.startswith("pt"):
            return "pt"
    return templates.DEFAULT_LANGUAGE


def anonymous_page(request: web.Request, template: str, status: int, **context: Any) -> web.Response:
    language = anonymous_language(request)
    words = templates.Words(language)
    html = templates.render(template, {"t": words, "lang": language, "caller": None, "nav": [], "csrf": "",
                                       "flash": None, "path": request.path, "switch_base": f"{request.path}?",
                                       **context})
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def sign_in_shell(request: web.Request, deps: AdminDeps, status: int) -> web.Response:
    """The page that signs in through DingTalk's free-login (or the sandbox's picker) and comes back here."""
    config = deps.config
    target = request.path_qs if request.method == "GET" else "/app/"
    corp_id = request.query.get("corpId") or config.corp_id  # DingTalk fills $CORPID$ in the app's URL
    return anonymous_page(request, "signin.html", status, jsapi_url=config.jsapi_url, corp_id=corp_id,
                          client_id=config.client_id, next=target)


@web.middleware
async def error_pages(request: web.Request, handler: RequestHandler) -> web.StreamResponse:
    """Unknown paths and methods under /app as pages; anything unexpected logged without its message."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        message = templates.Words(anonymous_language(request))("error.not_found" if exc.status == 404 else
                                                               "error.generic")
        return anonymous_page(request, "error.html", exc.status, message=message)
    except Exception as exc:
        # A database error's message can quote people's ids and names; only its type and place are logged.
        where = "".join(traceback.format_tb(exc.__traceback__))
        log.error("admin pages: %s %s failed with %s\n%s", request.method, request.path, type(exc).__name__, where)
        message = templates.Words(anonymous_language(request))("error.generic")
        return anonymous_page(request, "error.html", 500, message=message)
