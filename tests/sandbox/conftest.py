"""Fixtures for driving the sandbox over HTTP and its stream websocket."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from sandbox import Sandbox, SandboxConfig
from tests.sandbox.streamclient import BOT_TOPIC, CARD_TOPIC, StreamClient

FAST = {"ack_timeout": 0.2, "ping_interval": 0.0, "disconnect_grace": 0.3, "card_callback_budget": 0.3}

SandboxFactory = Callable[..., Awaitable[Sandbox]]


@pytest.fixture
async def make_sandbox() -> AsyncIterator[SandboxFactory]:
    """Start a sandbox with fast timings, overridable per test; all are stopped afterwards."""
    started: list[Sandbox] = []

    async def make(**overrides: Any) -> Sandbox:
        sandbox = Sandbox(SandboxConfig(**{**FAST, **overrides}))
        await sandbox.start()
        started.append(sandbox)
        return sandbox

    yield make
    for sandbox in started:
        await sandbox.stop()


@pytest.fixture
async def sandbox(make_sandbox: SandboxFactory) -> Sandbox:
    return await make_sandbox()


@pytest.fixture
async def http(sandbox: Sandbox) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=sandbox.url) as session:
        yield session


@pytest.fixture
async def token(http: aiohttp.ClientSession) -> str:
    response = await http.post("/v1.0/oauth2/accessToken",
                               json={"appKey": "sandbox-client-id", "appSecret": "sandbox-client-secret"})
    body = await response.json()
    return str(body["accessToken"])


@pytest.fixture
async def bot(http: aiohttp.ClientSession) -> AsyncIterator[StreamClient]:
    """A stream client subscribed to bot messages and card callbacks, connected."""
    client = StreamClient(http, [("CALLBACK", BOT_TOPIC), ("CALLBACK", CARD_TOPIC)])
    await client.connect()
    yield client
    await client.close()
