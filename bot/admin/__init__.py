"""The admin pages under /app/: server-rendered (Jinja2) pages for DingTalk's in-app browser.

`add_admin_pages(app, deps)` mounts them. Each page is declared once on `bot.admin.registry.PAGES` with the
role it needs; `bot.admin.guard` enforces roles, sessions and CSRF in one place. Pages call the same handler
functions (handlers/api/*) the API routes call. Sign-in is DingTalk's free-login: the shell page loads the
DingTalk JSAPI (DINGTALK_JSAPI_URL; in sandbox mode the sandbox's stand-in) and calls dd.requestAuthCode.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

from aiohttp import web

# Each page group declares its pages on PAGES when imported, so all are in before `add_admin_pages` mounts them.
import bot.admin.pages_assessments
import bot.admin.pages_audit
import bot.admin.pages_campaigns
import bot.admin.pages_classifications
import bot.admin.pages_home
import bot.admin.pages_register
import bot.admin.pages_reminder_rules
import bot.admin.pages_rules_pack  # noqa: F401
from bot.admin.auth import DEPS, signed_out, start_session, static
from bot.admin.deps import DEFAULT_JSAPI_URL, AdminConfig, AdminDeps
from bot.admin.guard import error_pages, page_handler
from bot.admin.registry import PAGES, PREFIX, Page, PageRegistry

__all__ = ["DEFAULT_JSAPI_URL", "PAGES", "PREFIX", "AdminConfig", "AdminDeps", "Page", "PageRegistry",
           "add_admin_pages", "content_security_policy"]

_FIXED_CSP: Final = ("default-src 'self'", "style-src 'self'", "img-src 'self' data:", "frame-ancestors 'none'",
                     "form-action 'self'", "base-uri 'none'", "object-src 'none'")


def content_security_policy(config: AdminConfig) -> str:
    """Scripts from us and the DingTalk JSAPI's origin only, never inline; styles from us only."""
    extra = f" {config.jsapi_origin}" if config.jsapi_origin else ""
    return "; ".join((*_FIXED_CSP, f"script-src 'self'{extra}", f"connect-src 'self'{extra}"))


def _csp_middleware(policy: str) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def csp(request: web.Request,
                  handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        response = await handler(request)
        response.headers.setdefault("Content-Security-Policy", policy)  # files bring a stricter one
        return response

    return csp


async def _to_slash(_request: web.Request) -> web.StreamResponse:
    raise web.HTTPPermanentRedirect(PREFIX + "/")


def add_admin_pages(app: web.Application, deps: AdminDeps, registry: PageRegistry = PAGES) -> None:
    """Mount every page of `registry` under /app/ on `app`. The app's own middleware adds the other headers."""
    pages = web.Application(middlewares=[_csp_middleware(content_security_policy(deps.config)), error_pages])
    pages[DEPS] = deps
    for page in registry.pages:
        pages.router.add_route(page.method, page.path, page_handler(page, deps))
    pages.router.add_post("/session", start_session)
    pages.router.add_get("/signed-out", signed_out)
    pages.router.add_get("/static/{name}", static)
    app.router.add_get(PREFIX, _to_slash)
    app.add_subapp(PREFIX, pages)
