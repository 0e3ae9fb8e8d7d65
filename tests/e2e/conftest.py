"""End-to-end fixtures: the sandbox, the bot wired to it over a real websocket, and a control client."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, async_playwright

from bot.app import Bot
from bot.settings import load_settings
from sandbox import Sandbox, SandboxConfig

API = "/_sandbox/api/"
# Debian's chromium only (apt-get install chromium fonts-noto-cjk); Playwright never downloads a browser here.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
REPLY_WITHIN_MS = 10_000
BATCH_SEND = "/v1.0/robot/oToMessages/batchSend"


class TestClock:
    """The bot's clock in tests: real time until a test moves it forward."""

    __test__ = False

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, by: timedelta) -> None:
        self.offset += by


class SandboxControl:
    """The sandbox's control API, as tests use it."""

    def __init__(self, http: aiohttp.ClientSession) -> None:
        self.http = http

    async def call(self, method: str, route: str, body: Any = None, *, expect: int = 200) -> Any:
        async with self.http.request(method, API + route, json=body) as response:
            payload = await response.json()
            assert response.status == expect, f"{method} {route} -> {response.status}: {payload}"
            return payload

    async def say(self, user: str, text: str) -> str:
        """A 1:1 text message from `user` to the bot; returns its frame's messageId."""
        sent = await self.call("POST", "messages", {"userId": user, "text": text})
        return str(sent["messageId"])

    async def wait_ack(self, message_id: str, count: int = 1, within: float = 5) -> list[dict[str, Any]]:
        frame = await self.call("POST", "wait-ack", {"messageId": message_id, "count": count, "timeout": within})
        acks: list[dict[str, Any]] = frame["acks"]
        return acks

    async def wait_calls(self, path: str, count: int = 1, since: int = 0, within: float = 5) -> list[dict[str, Any]]:
        body = {"path": path, "count": count, "since": since, "timeout": within}
        result = await self.call("POST", "wait", body)
        calls: list[dict[str, Any]] = result["calls"]
        return calls

    async def calls(self, path: str) -> list[dict[str, Any]]:
        async with self.http.get(API + "calls", params={"path": path}) as response:
            result: dict[str, Any] = await response.json()
            calls: list[dict[str, Any]] = result["calls"]
            return calls

    async def next_call_index(self) -> int:
        """The index the next recorded call will get, to wait for calls made after this point."""
        result = await self.call("GET", "calls")
        return int(result["next"])

    async def bot_messages(self, user: str) -> list[dict[str, Any]]:
        """What the bot said to `user`, oldest first."""
        chat = await self.call("GET", f"chats/{user}")
        return [entry for entry in chat["entries"] if entry["kind"] == "bot"]

    async def wait_connected(self, count: int = 1, within: float = 5) -> None:
        await self.call("POST", "wait-connected", {"count": count, "timeout": within})


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    sandbox = Sandbox(SandboxConfig(ack_timeout=30, ping_interval=0, disconnect_grace=1.0))
    await sandbox.start()
    yield sandbox
    await sandbox.stop()


@pytest.fixture
async def control(sandbox: Sandbox) -> AsyncIterator[SandboxControl]:
    async with aiohttp.ClientSession(base_url=sandbox.url) as http:
        yield SandboxControl(http)


@pytest.fixture
def clock() -> TestClock:
    return TestClock()


@pytest.fixture
async def bot(sandbox: Sandbox, database_url: str, clock: TestClock) -> AsyncIterator[Bot]:
    """The bot as `compliance-bot run` builds it, pointed at the sandbox, connected."""
    config = sandbox.config
    settings = load_settings(
        dingtalk_client_id=config.client_id, dingtalk_client_secret=config.client_secret,
        dingtalk_openapi_endpoint=sandbox.url, dingtalk_oapi_endpoint=sandbox.url,
        database_url=database_url, http_port=0, bot_admins="admin.wong", outbox_interval=0.2,
        api_signing_key="e2e-api-signing-key-" + "0" * 16,
    )
    bot = Bot(settings, clock=clock)
    await bot.start()
    await bot.wait_connected(within=5)
    yield bot
    await bot.stop()


@pytest.fixture
def chromium() -> Path:
    """Debian's chromium; missing, the test is skipped with the reason, or fails under CI=true."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: apt-get install chromium fonts-noto-cjk"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    """Headless chromium for the demo tests."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()
