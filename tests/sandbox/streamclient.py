"""A minimal stream client for tests: gateway registration, the websocket, and acks built with the SDK's classes."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from dingtalk_stream.frames import AckMessage, CallbackMessage, SystemMessage
from dingtalk_stream.handlers import SystemHandler

BOT_TOPIC = "/v1.0/im/bot/messages/get"
CARD_TOPIC = "/v1.0/card/instances/callback"
CREDENTIALS = {"clientId": "sandbox-client-id", "clientSecret": "sandbox-client-secret"}


class SocketEnded(AssertionError):
    pass


class StreamClient:
    def __init__(self, http: aiohttp.ClientSession, topics: list[tuple[str, str]]) -> None:
        self.http = http
        self.topics = topics
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.ticket: dict[str, Any] = {}

    async def register(self) -> dict[str, Any]:
        response = await self.http.post(
            "/v1.0/gateway/connections/open",
            json={**CREDENTIALS, "subscriptions": [{"type": t, "topic": p} for t, p in self.topics],
                  "ua": "tests/sandbox", "localIp": "127.0.0.1"},
            headers={"Accept": "application/json"},
        )
        assert response.status == 200, await response.text()
        self.ticket = await response.json()
        return self.ticket

    async def connect(self) -> None:
        ticket = await self.register()
        self.ws = await self.http.ws_connect(f"{ticket['endpoint']}?ticket={ticket['ticket']}")

    async def frame(self, *, skip_pings: bool = True, limit: float = 2.0) -> dict[str, Any]:
        """The next frame the server sends (pings skipped unless asked for)."""
        assert self.ws is not None
        async with asyncio.timeout(limit):
            while True:
                message = await self.ws.receive()
                if message.type is not aiohttp.WSMsgType.TEXT:
                    raise SocketEnded(f"socket ended: {message.type!r}")
                frame: dict[str, Any] = json.loads(message.data)
                if skip_pings and frame["headers"].get("topic") == "ping":
                    continue
                return frame

    async def ended(self, limit: float = 2.0) -> aiohttp.WSMsgType:
        """Wait for the server to close the socket; returns how it ended."""
        assert self.ws is not None
        async with asyncio.timeout(limit):
            while True:
                message = await self.ws.receive()
                if message.type is not aiohttp.WSMsgType.TEXT:
                    return message.type

    async def ack(self, frame: dict[str, Any], code: int = 200, response: Any = None) -> None:
        """Ack a CALLBACK frame the way the SDK's CallbackHandler does."""
        message = CallbackMessage.from_dict(frame)
        ack = AckMessage()
        ack.code = code
        ack.headers.message_id = message.headers.message_id
        ack.headers.content_type = "application/json"
        ack.message = "OK"
        ack.data = {"response": response}
        await self.send(ack.to_dict())

    async def echo_system(self, frame: dict[str, Any]) -> None:
        """Answer a SYSTEM frame with the SDK's own SystemHandler."""
        ack = await SystemHandler().raw_process(SystemMessage.from_dict(frame))
        await self.send(ack.to_dict())

    async def send(self, payload: dict[str, Any] | str) -> None:
        assert self.ws is not None
        await self.ws.send_str(payload if isinstance(payload, str) else json.dumps(payload))

    async def close(self) -> None:
        if self.ws is not None and not self.ws.closed:
            await self.ws.close()


def data_of(frame: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(frame["data"])
    return data
