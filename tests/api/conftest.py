"""Fixtures: the sandbox, a real DingTalk client pointed at it, the synced directory, and the API app around
`add_api` on real storage (SQLite, and PostgreSQL where it answers)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.api import API, API_PREFIX, ApiDeps, ApiRegistry, TokenSigner, add_api
from bot.api.limits import RateLimit
from bot.dingtalk import DingTalkClient
from handlers.directory import sync_directory
from sandbox import Sandbox, SandboxConfig
from tests.e2e.conftest import SandboxControl

ADMIN, MANAGER, EMPLOYEE = "admin.wong", "lei.mei", "cheang.kawai"  # org admin; head of HR; reports to lei.mei
ORIGIN = "https://h5.example.test"
Sessions = async_sessionmaker[AsyncSession]


@dataclass
class ApiClient:
    """An HTTP client for one API app, with the sandbox behind it."""

    http: aiohttp.ClientSession
    control: SandboxControl
    deps: ApiDeps
    sessions: Sessions

    async def call(self, method: str, path: str, *, token: str | None = None, params: Any = None,
                   json: Any = None, data: Any = None,
                   headers: dict[str, str] | None = None) -> tuple[int, Any, aiohttp.ClientResponse]:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        async with self.http.request(method, API_PREFIX + path, params=params, json=json, data=data,
                                     headers=sent) as response:
            body: Any = None
            if "Content-Disposition" in response.headers:  # a file (a Download) comes back as its bytes
                body = await response.read()
            elif response.content_length != 0:
                body = await response.json(content_type=None)
            return response.status, body, response

    async def auth_code(self, user_id: str) -> str:
        issued = await self.control.call("POST", "auth-codes", {"userId": user_id})
        return str(issued["authCode"])

    async def sign_in(self, user_id: str) -> str:
        status, body, _ = await self.call("POST", "/auth/dingtalk", json={"authCode": await self.auth_code(user_id)})
        assert status == 200, body
        return str(body["token"])


ApiFactory = Callable[..., Awaitable[ApiClient]]


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    sandbox = Sandbox(SandboxConfig(ping_interval=0))
    await sandbox.start()
    yield sandbox
    await sandbox.stop()


@pytest.fixture
async def control(sandbox: Sandbox) -> AsyncIterator[SandboxControl]:
    async with aiohttp.ClientSession(base_url=sandbox.url) as http:
        yield SandboxControl(http)


@pytest.fixture
async def dingtalk(sandbox: Sandbox) -> AsyncIterator[DingTalkClient]:
    config = sandbox.config
    async with DingTalkClient(client_id=config.client_id, client_secret=config.client_secret,
                              robot_code=config.client_id, openapi_endpoint=sandbox.url,
                              oapi_endpoint=sandbox.url) as client:
        yield client


@pytest.fixture
async def synced(session_factory: Sessions, dingtalk: DingTalkClient) -> Sessions:
    """The session factory, once the directory has been synced from the sandbox's org."""
    report = await sync_directory(session_factory, dingtalk, datetime.now(UTC))
    assert report.errors == 0
    return session_factory


@pytest.fixture
def signing_key() -> str:
    return secrets.token_urlsafe(32)


@pytest.fixture
async def make_api(synced: Sessions, dingtalk: DingTalkClient, control: SandboxControl,
                   signing_key: str) -> AsyncIterator[ApiFactory]:
    """Builds API apps of `registry` (default: the real routes); keyword arguments replace fields of the
    default `ApiDeps`."""
    servers: list[TestServer] = []
    clients: list[aiohttp.ClientSession] = []
    default = ApiDeps(sessions=synced, dingtalk=dingtalk, tokens=TokenSigner(signing_key),
                      cors_origins=frozenset({ORIGIN}), sign_in_limit=RateLimit(burst=1000, per_minute=6000))

    async def make(registry: ApiRegistry = API, **changes: Any) -> ApiClient:
        deps = replace(default, **changes)
        app = web.Application()
        add_api(app, deps, registry)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        http = aiohttp.ClientSession(base_url=str(server.make_url("")))
        clients.append(http)
        return ApiClient(http=http, control=control, deps=deps, sessions=synced)

    yield make
    for http in clients:
        await http.close()
    for server in servers:
        await server.close()


@pytest.fixture
async def api(make_api: ApiFactory) -> ApiClient:
    return await make_api()
