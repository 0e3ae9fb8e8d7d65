"""Fixtures: the fake DingTalk server, a virtual clock, and clients pointed at both."""

from __future__ import annotations

import random
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.dingtalk import Backoff, DingTalkClient
from tests.bot.dingtalk.fakes import CLIENT_ID, CLIENT_SECRET, ROBOT_CODE, ClientFactory, FakeDingTalk, VirtualClock


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
async def fake(clock: VirtualClock) -> AsyncIterator[FakeDingTalk]:
    dingtalk = FakeDingTalk(clock)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", dingtalk.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    dingtalk.base_url = str(server.make_url("")).rstrip("/")
    yield dingtalk
    dingtalk.release.set()
    await server.close()


@pytest.fixture
async def make_client(fake: FakeDingTalk, clock: VirtualClock) -> AsyncIterator[ClientFactory]:
    made: list[DingTalkClient] = []

    def make(**overrides: Any) -> DingTalkClient:
        options: dict[str, Any] = {
            "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "robot_code": ROBOT_CODE,
            "openapi_endpoint": fake.base_url, "oapi_endpoint": fake.base_url,
            "timeout": 2.0, "clock": clock, "sleep": clock.sleep, "backoff": Backoff(rng=random.Random(7)),
        }
        options.update(overrides)
        client = DingTalkClient(**options)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()


@pytest.fixture
def client(make_client: ClientFactory) -> DingTalkClient:
    return make_client()


@pytest.fixture
def unused_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    yield port
