"""App access tokens on both hosts (wire reference 5.1)."""

from __future__ import annotations

from aiohttp import web

from sandbox import errors
from sandbox.bodies import json_body
from sandbox.state import STATE


async def access_token(request: web.Request) -> web.Response:
    """``POST /v1.0/oauth2/accessToken``."""
    state = request.app[STATE]
    body = await json_body(request)
    if body.get("appKey") != state.config.client_id or body.get("appSecret") != state.config.client_secret:
        raise errors.ApiError(400, "invalidClientIdOrSecret", "无效的clientId或者clientSecret")
    return web.json_response({"accessToken": state.tokens.issue(), "expireIn": state.tokens.ttl})


async def gettoken(request: web.Request) -> web.Response:
    """``GET /gettoken?appkey=&appsecret=`` on oapi."""
    state = request.app[STATE]
    query = request.query
    if query.get("appkey") != state.config.client_id or query.get("appsecret") != state.config.client_secret:
        raise errors.OapiError(40096, "不合法的appKey或appSecret")
    return web.json_response({"errcode": 0, "errmsg": "ok", "access_token": state.tokens.issue(),
                              "expires_in": state.tokens.ttl})


def routes() -> list[web.RouteDef]:
    return [web.post("/v1.0/oauth2/accessToken", access_token), web.get("/gettoken", gettoken)]
