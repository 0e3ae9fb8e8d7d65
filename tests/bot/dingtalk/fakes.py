"""The transport-edge fake: a scripted DingTalk on 127.0.0.1, its wire shapes, and a virtual clock."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import web

if TYPE_CHECKING:
    from bot.dingtalk import DingTalkClient

CLIENT_ID = "ding-app-key-0001"
CLIENT_SECRET = "s3cr3t-APP-SECRET-never-log-me"
ROBOT_CODE = "ding-robot-0001"
TOKEN_ROUTE = "/v1.0/oauth2/accessToken"

Reply = Callable[[web.Request], Awaitable[web.StreamResponse]]


def api_ok(body: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    """A new-API JSON answer."""

    async def reply(_: web.Request) -> web.StreamResponse:
        return web.json_response(body, status=status, headers=headers)

    return reply


def api_error(status: int, code: str, message: str = "error", *, headers: dict[str, str] | None = None) -> Reply:
    """A new-API error: HTTP 4xx/5xx with {code, message, requestid}."""
    return api_ok({"code": code, "message": message, "requestid": "REQ-1"}, status=status, headers=headers)


def oapi_ok(**fields: Any) -> Reply:
    """An oapi success: HTTP 200, errcode 0."""
    return api_ok({"errcode": 0, "errmsg": "ok", "request_id": "oapi-req", **fields})


def oapi_error(errcode: int, errmsg: str = "error", *, sub_code: str | None = None) -> Reply:
    """An oapi failure: still HTTP 200, with errcode."""
    body: dict[str, Any] = {"errcode": errcode, "errmsg": errmsg, "request_id": "oapi-req"}
    if sub_code is not None:
        body.update(sub_code=sub_code, sub_msg=f"sub {sub_code}")
    return api_ok(body)


def raw(body: bytes, *, status: int = 200, content_type: str = "text/html") -> Reply:
    """Anything that is not JSON."""

    async def reply(_: web.Request) -> web.StreamResponse:
        return web.Response(body=body, status=status, content_type=content_type)

    return reply


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    at: float

    @property
    def token(self) -> str | None:
        return self.headers.get("x-acs-dingtalk-access-token") or self.query.get("access_token")


class VirtualClock:
    """Time that moves only when someone sleeps on it (or a test advances it)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@dataclass
class FakeDingTalk:
    """Routes (method, path) to scripted replies; the last reply of a script repeats."""

    clock: VirtualClock
    base_url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    scripts: dict[tuple[str, str], list[Reply]] = field(default_factory=dict)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    issued_tokens: int = 0

    def script(self, method: str, path: str, *replies: Reply) -> None:
        self.scripts[(method, path)] = list(replies)

    def calls(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    def hang(self) -> Reply:
        """A reply that never comes (until teardown)."""

        async def reply(_: web.Request) -> web.StreamResponse:
            await self.release.wait()
            return web.json_response({})

        return reply

    async def handle(self, request: web.Request) -> web.StreamResponse:
        text = await request.text()
        body = json.loads(text) if text else None
        self.requests.append(Recorded(request.method, request.path, dict(request.query),
                                      {k.lower(): v for k, v in request.headers.items()}, body, self.clock()))
        script = self.scripts.get((request.method, request.path))
        if script is None and (request.method, request.path) == ("POST", TOKEN_ROUTE):
            self.issued_tokens += 1
            return web.json_response({"accessToken": f"tok-{self.issued_tokens}", "expireIn": 7200})
        if not script:
            return web.json_response({"code": "NotScripted", "message": request.path, "requestid": "x"}, status=404)
        reply = script.pop(0) if len(script) > 1 else script[0]
        return await reply(request)




class ClientFactory(Protocol):
    """Makes a client pointed at the fake; keyword arguments override the defaults."""

    def __call__(self, **overrides: Any) -> DingTalkClient: ...
