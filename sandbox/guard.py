"""The middleware in front of every DingTalk route: unknown paths, faults, rate limits, tokens, and the call log."""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.typedefs import Handler

from sandbox import errors
from sandbox.bodies import recordable_body, recordable_response
from sandbox.state import STATE, SandboxState

DINGTALK_PREFIXES = ("/v1.0/", "/topapi/", "/gettoken", "/robot/", "/media/", "/_files/")
NO_TOKEN_PATHS = frozenset({
    "/v1.0/gateway/connections/open",
    "/v1.0/oauth2/accessToken",
    "/gettoken",
    "/robot/sendBySession",
})


def is_dingtalk_path(path: str) -> bool:
    return path.startswith(DINGTALK_PREFIXES)


@web.middleware
async def dingtalk_gate(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not is_dingtalk_path(request.path):
        return await handler(request)
    state = request.app[STATE]
    body = await recordable_body(request)
    try:
        response = await _guarded(request, handler, state)
    except errors.SandboxHttpError as exc:
        response = exc.to_response()
    except web.HTTPException as exc:
        _record(state, request, body, exc)
        raise
    _record(state, request, body, response)
    return response


async def _guarded(request: web.Request, handler: Handler, state: SandboxState) -> web.StreamResponse:
    path = request.path
    if isinstance(request.match_info.http_exception, web.HTTPException):
        raise errors.not_found(path)
    fault = state.faults.take(request.method, path)
    if fault is not None:
        raise fault
    if not state.limiter.allow(path, asyncio.get_running_loop().time()):
        raise errors.throttled(path)
    if path not in NO_TOKEN_PATHS and not path.startswith("/_files/"):
        _check_token(request, state)
    return await handler(request)


def _check_token(request: web.Request, state: SandboxState) -> None:
    path = request.path
    if errors.host_of(path) is errors.Host.API:
        token = request.headers.get("x-acs-dingtalk-access-token", "")
    else:
        token = request.query.get("access_token", "")
    if not token:
        raise errors.missing_token(path)
    if not state.tokens.valid(token):
        raise errors.bad_token(path)


def _record(state: SandboxState, request: web.Request, body: object, response: web.StreamResponse) -> None:
    call = state.calls.record(
        at=state.clock.now_ms(),
        method=request.method,
        path=request.path,
        query=dict(request.query),
        body=body,
        status=response.status,
        response=recordable_response(response),
    )
    state.changes.bump()
    state.feed.publish({"type": "call", "index": call.index, "method": call.method, "path": call.path,
                        "status": call.status})
