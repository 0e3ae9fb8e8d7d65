"""The one wrapper every API route runs in: rate limit, authenticate, check the role, validate, handle.

This is the only place that reads tokens and compares roles; routes only declare what they need.
Order matters: a caller without a valid token learns nothing about the route's parameters (401 before
400), and a caller without the role learns nothing either (403 before 400).
"""

from __future__ import annotations

import json
import logging
import math
import traceback
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from typing import Any, Final

from aiohttp import web
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.api.deps import ApiDeps
from bot.api.limits import SignInLimiter
from bot.api.problems import ApiProblem, FieldProblem, invalid_input
from bot.api.registry import ApiCall, Route
from bot.api.tokens import TokenClaims, TokenError
from bot.downloads import download_response
from handlers.api.caller import Caller, resolve_caller
from handlers.api.models import Download

log = logging.getLogger(__name__)

RequestHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]
REALM: Final = 'Bearer realm="compliance-bot"'
NUL_MESSAGE: Final = "must not contain the NUL character (U+0000)"


def unauthorized(detail: str, *, invalid_token: bool = True) -> ApiProblem:
    challenge = f'{REALM}, error="invalid_token"' if invalid_token else REALM
    return ApiProblem(401, detail, headers={"WWW-Authenticate": challenge})


def endpoint(route: Route[Any, Any, Any, Any], deps: ApiDeps, limiter: SignInLimiter) -> RequestHandler:
    """The aiohttp handler that enforces everything `route` declares."""

    async def handle(request: web.Request) -> web.StreamResponse:
        if route.rate_limited:
            wait = limiter.take(request.remote or "unknown")
            if wait > 0:
                raise ApiProblem(429, "too many sign-in attempts from this address; try again shortly",
                                 headers={"Retry-After": str(math.ceil(wait))})
        now = deps.clock()
        claims = None if route.access == "public" else _authenticate(request, deps, now)
        async with deps.sessions() as session:
            caller = None if claims is None else await _authorise(route, deps, session, claims)
            call = ApiCall(request=request, deps=deps, session=session, caller=caller, query=_query(route, request),
                           body=await _body(route, request), path=_path(route, request), now=now)
            result = await route.handler(call)
            await session.commit()
        deps.on_committed()
        if not isinstance(result, route.response):
            raise TypeError(f"{route.method} {route.path} returned {type(result).__name__}")
        if isinstance(result, Download):
            return download_response(result)
        return web.Response(text=result.model_dump_json(by_alias=True), content_type="application/json")

    return handle


def _authenticate(request: web.Request, deps: ApiDeps, now: datetime) -> TokenClaims:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("sign in first: send Authorization: Bearer <token>", invalid_token=False)
    try:
        return deps.tokens.verify(token.strip(), now)
    except TokenError as exc:
        log.info("api: refused a token (%s)", exc)
        raise unauthorized("the token is invalid or has expired; sign in again") from None


async def _authorise(
    route: Route[Any, Any, Any, Any], deps: ApiDeps, session: AsyncSession, claims: TokenClaims
) -> Caller:
    caller = await resolve_caller(session, claims.user_id, deps.bot_admins)
    if caller is None:
        raise unauthorized("this account is no longer active in the organisation")
    if not caller.may(route.access):
        raise ApiProblem(403, f"this needs the {route.access} role; you are signed in as {caller.role}")
    return caller


def _path(route: Route[Any, Any, Any, Any], request: web.Request) -> BaseModel:
    _refuse_nul(dict(request.match_info), "path")
    try:
        path: BaseModel = route.path_params.model_validate(dict(request.match_info))
        return path
    except ValidationError as exc:
        raise invalid_input(exc, "path") from None


def _query(route: Route[Any, Any, Any, Any], request: web.Request) -> BaseModel:
    params = request.query
    repeated = sorted({name for name in params if len(params.getall(name)) > 1})
    if repeated:
        errors = [FieldProblem(field=name, location="query", message="is given more than once") for name in repeated]
        raise ApiProblem(400, "; ".join(f"query parameter {e.field}: {e.message}" for e in errors), errors=errors)
    _refuse_nul(dict(params), "query")
    try:
        query: BaseModel = route.query.model_validate(dict(params))
        return query
    except ValidationError as exc:
        raise invalid_input(exc, "query") from None


async def _body(route: Route[Any, Any, Any, Any], request: web.Request) -> BaseModel:
    if not route.reads_body:
        body: BaseModel = route.body()
        return body
    if request.content_type != "application/json":
        raise ApiProblem(415, "send the body as application/json")
    raw = await request.read()
    try:
        parsed: BaseModel = route.body.model_validate_json(raw)
    except ValidationError as exc:
        raise invalid_input(exc, "body") from None
    if b"\\u0000" in raw:  # JSON can carry a NUL only escaped (the parser refuses a raw one), so most bodies skip this
        _refuse_nul(json.loads(raw), "body")  # valid JSON by now; walked as sent, so the paths are wire names
    return parsed


def _refuse_nul(values: Any, location: str) -> None:
    """A 400 for text with NUL characters: no database column can hold them (PostgreSQL refuses them outright)."""
    fields = sorted(set(_nul_fields(values, "")))
    if fields:
        errors = [FieldProblem(field=name or location, location=location, message=NUL_MESSAGE) for name in fields]
        where = {"query": "query parameter", "body": "body member", "path": "path parameter"}[location]
        raise ApiProblem(400, "; ".join(f"{where} {e.field}: {e.message}" for e in errors), errors=errors)


def _nul_fields(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, str):
        if "\x00" in value:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            yield from ([name] if "\x00" in str(key) else _nul_fields(item, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_fields(item, f"{path}.{index}" if path else str(index))


@web.middleware
async def problems(request: web.Request, handler: RequestHandler) -> web.StreamResponse:
    """Every failure under the API as a problem document; unexpected ones logged without their message."""
    try:
        return await handler(request)
    except ApiProblem as problem:
        return problem.response()
    except web.HTTPException as exc:
        headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        return ApiProblem(exc.status, exc.reason, headers=headers).response()
    except Exception as exc:
        # The message of a database error can quote parameters (people's ids and names), so only the
        # exception's type and where it happened reach the log.
        # The route's pattern, not the path: a path is the caller's text (a %0A in it could forge a log line).
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "(no route)"
        where = "".join(traceback.format_tb(exc.__traceback__))
        log.error("api: %s %s failed with %s\n%s", request.method, route, type(exc).__name__, where)
        return ApiProblem(500, "something went wrong on our side").response()
