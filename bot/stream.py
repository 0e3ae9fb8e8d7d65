"""The stream connection: ticket, websocket, frames in, acks out, reconnects, graceful stop.

We own this loop instead of running dingtalk-stream 0.24.3's `start()`, which blocks the event loop
while it fetches tickets, reconnects at fixed intervals and can go deaf on a dead socket (wire 9.2-9.3).
The SDK's frame and message classes still parse every frame (see bot.frames and bot.inbound).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote_plus

from dingtalk_stream.version import VERSION_STRING
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from bot.dingtalk import DingTalkClient, DingTalkError, StreamTicket, Subscription
from bot.dispatcher import TOPIC_BOT_MESSAGE, TOPIC_CARD_CALLBACK, DispatchResult

log = logging.getLogger(__name__)

SUBSCRIPTIONS = [
    Subscription(type="EVENT", topic="*"),
    Subscription(type="CALLBACK", topic=TOPIC_BOT_MESSAGE),
    Subscription(type="CALLBACK", topic=TOPIC_CARD_CALLBACK),
]
USER_AGENT = f"compliance-bot dingtalk-sdk-python/v{VERSION_STRING}"


@dataclass(frozen=True)
class StreamOptions:
    idle_timeout: float = 120.0      # no frame for this long: assume a zombie socket and reconnect
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    drain_timeout: float = 10.0      # how long in-flight handlers may finish on stop or disconnect
    max_in_flight: int = 64
    max_frame_bytes: int = 4 * 1024 * 1024


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Exponential backoff with 'equal jitter': half fixed, half random, so replicas spread out."""
    ceiling = min(cap, base * 2.0**attempt)
    return ceiling / 2 + random.uniform(0, ceiling / 2)


class StreamConnection:
    """Keeps one stream connection to DingTalk open and feeds its frames to `dispatch`."""

    def __init__(
        self,
        client: DingTalkClient,
        dispatch: Callable[[str | bytes], Awaitable[DispatchResult]],
        options: StreamOptions | None = None,
    ) -> None:
        self._client = client
        self._dispatch = dispatch
        self._options = options or StreamOptions()
        self._stopping = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(self._options.max_in_flight)
        self.connected = asyncio.Event()
        self.connections_opened = 0
        self.last_frame_at: float | None = None

    def stop(self) -> None:
        """Stop taking frames; `run()` then lets in-flight handlers finish and returns."""
        self._stopping.set()

    async def run(self) -> None:
        """Connect, serve, and reconnect with backoff until `stop()`."""
        attempt = 0
        while not self._stopping.is_set():
            reconnect_now = False
            try:
                ticket = await self._client.open_stream_connection(SUBSCRIPTIONS, USER_AGENT, "127.0.0.1")
                reconnect_now = await self._serve(ticket)
            except (DingTalkError, OSError, TimeoutError, ConnectionClosed, InvalidHandshake) as exc:
                log.warning("stream connection failed: %s", exc)
            except asyncio.CancelledError:
                raise
            except Exception:  # anything else must not end the stream for good while the process stays up
                log.exception("stream connection failed unexpectedly; reconnecting")
            finally:
                if self.connected.is_set():
                    attempt = 0  # it was up: the first retry after a drop is quick
                self.connected.clear()
            if self._stopping.is_set():
                break
            if reconnect_now:
                continue
            delay = backoff_delay(attempt, self._options.backoff_base, self._options.backoff_cap)
            attempt += 1
            log.info("reconnecting in %.1f s", delay)
            await self._wait_stopping(delay)
        await self._finish_in_flight()

    async def _serve(self, ticket: StreamTicket) -> bool:
        """Serve one websocket; True when DingTalk asked us to reconnect (so no backoff)."""
        url = f"{ticket.endpoint}?ticket={quote_plus(ticket.ticket)}"
        async with connect(url, open_timeout=10, ping_interval=30, ping_timeout=20, close_timeout=5,
                           max_size=self._options.max_frame_bytes) as ws:
            self.connections_opened += 1
            self.connected.set()
            log.info("stream connected (connection %d)", self.connections_opened)
            try:
                return await self._read(ws)
            finally:
                await self._finish_in_flight()

    async def _read(self, ws: ClientConnection) -> bool:
        disconnect = asyncio.Event()
        interrupts = {asyncio.ensure_future(self._stopping.wait()), asyncio.ensure_future(disconnect.wait())}
        try:
            while True:
                receive = asyncio.ensure_future(ws.recv())
                done, _ = await asyncio.wait({receive, *interrupts}, timeout=self._options.idle_timeout,
                                             return_when=asyncio.FIRST_COMPLETED)
                if receive not in done:
                    receive.cancel()
                    if not done:
                        log.warning("no frame for %.0f s; reconnecting", self._options.idle_timeout)
                    return disconnect.is_set()
                raw = receive.result()
                self.last_frame_at = time.monotonic()
                await self._slots.acquire()
                task = asyncio.create_task(self._answer(ws, raw, disconnect))
                self._in_flight.add(task)
                task.add_done_callback(self._in_flight.discard)
        finally:
            for waiter in interrupts:
                waiter.cancel()

    async def _answer(self, ws: ClientConnection, raw: str | bytes, disconnect: asyncio.Event) -> None:
        try:
            result = await self._dispatch(raw)
            if result.ack is not None:
                await ws.send(result.ack)
            if result.disconnect:
                disconnect.set()
        except ConnectionClosed:
            log.warning("connection closed before an ack could be sent; DingTalk will redeliver")
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("unexpected error while answering a frame")
        finally:
            self._slots.release()

    async def _finish_in_flight(self) -> None:
        if not self._in_flight:
            return
        _, pending = await asyncio.wait(set(self._in_flight), timeout=self._options.drain_timeout)
        for task in pending:
            task.cancel()
        if pending:
            log.warning("cancelled %d handlers that did not finish in time", len(pending))
            await asyncio.wait(pending)

    async def _wait_stopping(self, delay: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), delay)
