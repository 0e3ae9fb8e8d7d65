"""The page session: a cookie that carries the same signed token the API issues, and the forms' CSRF token.

The cookie is HttpOnly, SameSite=Strict, Path=/app and Secure whenever the pages are served over https, so
page scripts never see the token and other sites' forms never send it. Every form also carries a CSRF token,
an HMAC of the session token's id, so a form from anywhere but our own page is refused even if a browser
ignores SameSite.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import datetime
from typing import Final

from aiohttp import web

from bot.admin.deps import AdminDeps
from bot.api.tokens import TokenClaims, TokenError

log = logging.getLogger(__name__)

COOKIE: Final = "cb_session"
FLASH_COOKIE: Final = "cb_flash"
COOKIE_PATH: Final = "/app"
CSRF_FIELD: Final = "csrf"


def session_claims(request: web.Request, deps: AdminDeps, now: datetime) -> TokenClaims | None:
    """The claims of the request's session cookie; None without one or when it is forged or expired."""
    token = request.cookies.get(COOKIE, "")
    if not token:
        return None
    try:
        return deps.api.tokens.verify(token, now)
    except TokenError as exc:
        log.info("admin pages: refused a session cookie (%s)", exc)
        return None


def secure(request: web.Request, deps: AdminDeps) -> bool:
    """Whether cookies get the Secure flag: the request came over https, or the bot's public address is https."""
    return request.secure or deps.api.policy().public_url.startswith("https://")


def set_session(response: web.StreamResponse, request: web.Request, deps: AdminDeps, token: str,
                max_age: int) -> None:
    response.set_cookie(COOKIE, token, max_age=max_age, path=COOKIE_PATH, httponly=True, samesite="Strict",
                        secure=secure(request, deps))


def clear_session(response: web.StreamResponse, request: web.Request, deps: AdminDeps) -> None:
    response.del_cookie(COOKIE, path=COOKIE_PATH, secure=secure(request, deps), httponly=True, samesite="Strict")


def csrf_token(deps: AdminDeps, claims: TokenClaims) -> str:
    """The token every form of this session carries; bound to the session token, useless with any other."""
    return hmac.new(deps.link_key, f"admin-csrf:{claims.token_id}".encode(), hashlib.sha256).hexdigest()


def csrf_valid(deps: AdminDeps, claims: TokenClaims, sent: object) -> bool:
    return isinstance(sent, str) and hmac.compare_digest(csrf_token(deps, claims), sent)


def set_flash(response: web.StreamResponse, request: web.Request, deps: AdminDeps, key: str) -> None:
    """A one-shot message for the page the browser is redirected to (a strings key, never free text)."""
    response.set_cookie(FLASH_COOKIE, key, path=COOKIE_PATH, httponly=True, samesite="Strict",
                        secure=secure(request, deps), max_age=60)


def flash_of(request: web.Request) -> str | None:
    return request.cookies.get(FLASH_COOKIE) or None


def clear_flash(response: web.StreamResponse, request: web.Request, deps: AdminDeps) -> None:
    """Once shown, the message goes, unless this response sets the next one."""
    if FLASH_COOKIE not in response.cookies:
        response.del_cookie(FLASH_COOKIE, path=COOKIE_PATH, secure=secure(request, deps), httponly=True,
                            samesite="Strict")
