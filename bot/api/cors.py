"""CORS for the H5 micro-app: only the origins in API_CORS_ORIGINS, and never with cookies.

DingTalk mini-programs call through `dd.httpRequest` and need no CORS; an H5 micro-app runs in a browser
view on its own origin and does. Tokens travel in the Authorization header, so credentials stay off.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

from aiohttp import web
from aiohttp.typedefs import Middleware

from bot.api.endpoint import RequestHandler

ALLOWED_HEADERS: Final = "Authorization, Content-Type"
EXPOSED_HEADERS: Final = "Retry-After, WWW-Authenticate"
PREFLIGHT_MAX_AGE: Final = "600"


def cors_middleware(origins: Collection[str]) -> Middleware:
    """Adds CORS headers to answers for an allowed Origin; answers preflights for the API's own routes."""
    allowed = frozenset(origin.rstrip("/") for origin in origins)

    @web.middleware
    async def cors(request: web.Request, handler: RequestHandler) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if request.method == "OPTIONS" and origin and "Access-Control-Request-Method" in request.headers:
            return _preflight(request, origin, allowed)
        response = await handler(request)
        if origin and origin in allowed:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        response.headers.add("Vary", "Origin")
        return response

    return cors


def _preflight(request: web.Request, origin: str, allowed: frozenset[str]) -> web.Response:
    methods = _methods_of(request)
    wanted = request.headers["Access-Control-Request-Method"].upper()
    if origin not in allowed or wanted not in methods:
        # No CORS headers: the browser then refuses the real request.
        return web.Response(status=403, headers={"Vary": "Origin"})
    return web.Response(status=204, headers={
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": ", ".join(sorted(methods)),
        "Access-Control-Allow-Headers": ALLOWED_HEADERS,
        "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
        "Vary": "Origin",
    })


def _methods_of(request: web.Request) -> set[str]:
    """The methods the router has for this path: an OPTIONS request resolves to a 405 that lists them."""
    exception = getattr(request.match_info, "http_exception", None)
    if isinstance(exception, web.HTTPMethodNotAllowed):
        return {method.upper() for method in exception.allowed_methods} - {"HEAD"}
    return set()
