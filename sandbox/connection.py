"""One client's websocket: its subscriptions, its outbound queue and its lifecycle."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

_CLOSE = object()


@dataclass
class Connection:
    """A live stream connection; frames go out through one writer so sends never interleave."""

    id: str
    subscriptions: list[dict[str, str]]
    ws: web.WebSocketResponse
    transport: asyncio.Transport | None
    opened_at: int
    live: bool = True  # False once told to disconnect: DingTalk stops routing to it
    closed: bool = False
    pending: set[str] = field(default_factory=set)  # messageIds sent here and not yet acked
    pings: list[dict[str, Any]] = field(default_factory=list)
    frames_sent: int = 0
    _outbox: asyncio.Queue[object] = field(default_factory=asyncio.Queue)

    def accepts(self, kind: str, topic: str) -> bool:
        if kind == "SYSTEM":
            return True
        wanted = "*" if kind == "EVENT" else topic
        return any(s.get("type") == kind and s.get("topic") == wanted for s in self.subscriptions)

    def send(self, frame: dict[str, Any] | str) -> None:
        text = frame if isinstance(frame, str) else json.dumps(frame, ensure_ascii=False)
        self.frames_sent += 1
        self._outbox.put_nowait(text)

    def close_soon(self) -> None:
        """Close politely once everything queued before has been written."""
        self._outbox.put_nowait(_CLOSE)

    def drop(self) -> None:
        """Cut the TCP connection with no close handshake, like a network failure."""
        self.live = False
        if self.transport is not None:
            self.transport.abort()

    async def run_writer(self) -> None:
        while True:
            item = await self._outbox.get()
            if item is _CLOSE:
                await self.ws.close()
                return
            if self.ws.closed:
                return
            assert isinstance(item, str)
            try:
                await self.ws.send_str(item)
            except ConnectionResetError:
                return  # the client went away; its unacked frames are redelivered elsewhere

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "subscriptions": self.subscriptions,
            "live": self.live,
            "openedAt": self.opened_at,
            "pendingAcks": sorted(self.pending),
            "framesSent": self.frames_sent,
            "pings": self.pings[-10:],
        }
