"""The mini-program's HTTP API under /api/v1: free-login sign-in, signed session tokens, role-checked routes.

`add_api(app, deps)` mounts it. Routes are declared in `bot.api.routes` on one `ApiRegistry`; the wrapper in
`bot.api.endpoint` enforces each route's role and models, and `bot.api.openapi` describes the same
declarations at GET /api/v1/openapi.json.

- Sign-in: POST /api/v1/auth/dingtalk {"authCode"} exchanges a DingTalk free-login code (single use) for a
  bearer token (`bot.api.tokens`), rate limited per client address (`bot.api.limits`).
- Roles: employee < manager < admin, looked up in the cached directory on every request
  (`handlers.api.caller`), so a change in DingTalk applies at the next directory refresh, not at token expiry.
- Key rotation: put the old key in API_PREVIOUS_SIGNING_KEYS and a new one in API_SIGNING_KEY on every
  replica; drop the old key once API_TOKEN_TTL has passed. Removing a key signs everyone out who holds it.
- Errors are RFC 9457 problem documents; a 400 names every bad field (`bot.api.problems`).
- CORS only for API_CORS_ORIGINS (`bot.api.cors`).
"""

from __future__ import annotations

from aiohttp import web

# Each area declares its routes on API when imported, so all are in before `add_api` describes them.
from bot.api import (  # noqa: F401
    assessment_routes,
    dashboard_routes,
    register_routes,
    reminder_rule_routes,
    rules_pack_routes,
    signoff_routes,
)
from bot.api.config import ApiConfigError, ApiSettings, api_deps, check_origin, check_signing_key, token_signer
from bot.api.cors import cors_middleware
from bot.api.deps import ApiDeps, LoginSource
from bot.api.endpoint import endpoint, problems
from bot.api.limits import RateLimit, SignInLimiter
from bot.api.openapi import openapi_document
from bot.api.registry import ApiRegistry, Route
from bot.api.routes import API, API_PREFIX, API_STATE, ApiState
from bot.api.tokens import TokenSigner

__all__ = ["API", "API_PREFIX", "ApiConfigError", "ApiDeps", "ApiRegistry", "ApiSettings", "LoginSource", "RateLimit",
           "Route", "TokenSigner", "add_api", "api_deps", "check_origin", "check_signing_key", "token_signer"]


def add_api(app: web.Application, deps: ApiDeps, registry: ApiRegistry = API) -> None:
    """Mount every route of `registry` under its prefix on `app`, with CORS and problem-detail errors."""
    api = web.Application(middlewares=[cors_middleware(deps.cors_origins), problems])
    api[API_STATE] = ApiState(limiter=SignInLimiter(deps.sign_in_limit), openapi=openapi_document(registry))
    for route in registry.routes:
        api.router.add_route(route.method, route.path, endpoint(route, deps, api[API_STATE].limiter))
    app.add_subapp(registry.prefix, api)
