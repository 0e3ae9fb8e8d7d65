"""Fixtures: the bot's real HTTP app (API and admin pages) on real storage, the sandbox behind it, and a
browser-like client per person with its own cookie jar."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from yarl import URL

from bot.admin import AdminConfig
from bot.api import ApiDeps, TokenSigner
from bot.api.limits import RateLimit
from bot.dingtalk import DingTalkClient
from bot.http import Readiness, create_http_app
from handlers.context import OrgPolicy
from sandbox import Sandbox
from tests.api import conftest as api_fixtures
from tests.api.conftest import ADMIN, EMPLOYEE, MANAGER, Sessions
from tests.e2e.conftest import SandboxControl

__all__ = ["ADMIN", "EMPLOYEE", "MANAGER"]
# The API tests' fixtures: the sandbox, a DingTalk client on it, and the directory synced from its org.
sandbox, control, dingtalk = api_fixtures.sandbox, api_fixtures.control, api_fixtures.dingtalk
synced, signing_key = api_fixtures.synced, api_fixtures.signing_key

LINK_KEY = b"admin-pages-test-link-key"
CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


@dataclass
class Browser:
    """One person's browser: its own cookies, following no redirects unless asked."""

    http: aiohttp.ClientSession
    base: URL

    async def get(self, path: str, **kwargs: Any) -> tuple[int, str, aiohttp.ClientResponse]:
        async with self.http.get(self.base.join(URL(path)), allow_redirects=False, **kwargs) as response:
            return response.status, await response.text(), response

    async def post(self, path: str, data: Any = None, **kwargs: Any) -> tuple[int, str, aiohttp.ClientResponse]:
        async with self.http.post(self.base.join(URL(path)), data=data, allow_redirects=False, **kwargs) as response:
            return response.status, await response.text(), response

    async def csrf(self, path: str = "/app/") -> str:
        status, html, _ = await self.get(path)
        match = CSRF.search(html)
        assert match, f"no CSRF field on {path} ({status})"
        return match[1]

    def session_cookie(self) -> str | None:
        cookie = self.http.cookie_jar.filter_cookies(self.base.join(URL("/app/"))).get("cb_session")
        return cookie.value if cookie else None


@dataclass
class AdminSite:
    """The bot's HTTP app with the sandbox behind it; `browser()` opens a new cookie jar."""

    base: URL
    deps: ApiDeps
    control: SandboxControl
    sessions: Sessions
    config: AdminConfig
    opened: list[aiohttp.ClientSession]

    def browser(self) -> Browser:
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.opened.append(http)
        return Browser(http=http, base=self.base)

    async def sign_in(self, user_id: str) -> Browser:
        """Free-login as the sign-in shell does it: code -> API token -> page session cookie."""
        browser = self.browser()
        issued = await self.control.call("POST", "auth-codes", {"userId": user_id})
        async with browser.http.post(self.base.join(URL("/api/v1/auth/dingtalk")),
                                     json={"authCode": issued["authCode"]}) as response:
            assert response.status == 200, await response.text()
            token = (await response.json())["token"]
        status, body, _ = await browser.post("/app/session", json={"token": token, "next": "/app/"},
                                             headers={"Origin": str(self.base)})
        assert status == 200, body
        assert browser.session_cookie() == token
        return browser

    def browser_with_token(self, token: str) -> Browser:
        browser = self.browser()
        browser.http.cookie_jar.update_cookies({"cb_session": token}, self.base.join(URL("/app/")))
        return browser


@pytest.fixture
async def site(synced: Sessions, dingtalk: DingTalkClient, control: SandboxControl, sandbox: Sandbox,
               signing_key: str) -> AsyncIterator[AdminSite]:
    async def schema_current() -> bool:
        return True

    policy = OrgPolicy(admins=(ADMIN,), public_url="http://127.0.0.1", link_key=LINK_KEY)
    deps = ApiDeps(sessions=synced, dingtalk=dingtalk, tokens=TokenSigner(signing_key),
                   sign_in_limit=RateLimit(burst=1000, per_minute=6000), policy=lambda: policy)
    config = AdminConfig(jsapi_url=f"{sandbox.url}/_sandbox/dd.js", corp_id=sandbox.config.corp_id,
                         client_id=sandbox.config.client_id)
    app = create_http_app(Readiness(stream_connected=lambda: True, schema_current=schema_current), synced,
                          LINK_KEY, deps, config)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    site = AdminSite(base=URL(str(server.make_url(""))), deps=deps, control=control, sessions=synced,
                     config=config, opened=[])
    yield site
    for http in site.opened:
        await http.close()
    await server.close()


SignIn = Callable[[str], Awaitable[Browser]]


def forged_token() -> str:
    return TokenSigner(secrets.token_urlsafe(32)).issue(ADMIN, datetime.now(UTC)).token
