"""Routing frames to stream connections, tracking acks and redelivering what goes unacked."""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass, field
from typing import Any

from sandbox import frames, ids
from sandbox.clock import SandboxClock
from sandbox.config import SandboxConfig
from sandbox.connection import Connection
from sandbox.notify import Changes, EventFeed


@dataclass
class Delivery:
    """One frame (one messageId) and everything that happened to it."""

    message_id: str
    frame: dict[str, Any]
    redeliver: bool  # redeliver on ack timeout / negative ack
    queue_offline: bool  # hold it until a subscribed client connects
    sends: list[dict[str, Any]] = field(default_factory=list)
    acks: list[dict[str, Any]] = field(default_factory=list)
    state: str = "new"  # queued | sent | acked | nacked | expired | undelivered
    redeliveries: int = 0
    timer: asyncio.TimerHandle | None = None

    @property
    def kind(self) -> str:
        return str(self.frame.get("type", ""))

    @property
    def topic(self) -> str:
        headers = self.frame.get("headers")
        return str(headers.get("topic", "")) if isinstance(headers, dict) else ""

    def public(self) -> dict[str, Any]:
        return {"messageId": self.message_id, "type": self.kind, "topic": self.topic, "state": self.state,
                "redeliveries": self.redeliveries, "sends": self.sends, "acks": self.acks, "frame": self.frame}


class StreamHub:
    def __init__(self, config: SandboxConfig, clock: SandboxClock, changes: Changes, feed: EventFeed) -> None:
        self._config = config
        self._clock = clock
        self._changes = changes
        self._feed = feed
        self.connections: dict[str, Connection] = {}
        self.deliveries: dict[str, Delivery] = {}
        self.queued: list[str] = []
        self.malformed: list[dict[str, Any]] = []
        self._close_timers: list[asyncio.TimerHandle] = []

    # connections

    def register(self, conn: Connection) -> None:
        self.connections[conn.id] = conn
        waiting, self.queued = self.queued, []
        for message_id in waiting:
            self._route(self.deliveries[message_id])
        self._changed()

    def unregister(self, conn: Connection) -> None:
        conn.live = False
        conn.closed = True
        self.connections.pop(conn.id, None)
        self._changed()

    def live(self, kind: str = "SYSTEM", topic: str = "") -> list[Connection]:
        return [c for c in self.connections.values() if c.live and c.accepts(kind, topic)]

    # sending

    def publish(self, frame: dict[str, Any], *, redeliver: bool = True, queue_offline: bool = True) -> Delivery:
        """Send ``frame`` to one random subscribed connection, tracking its ack."""
        delivery = self._track(frame, redeliver, queue_offline)
        self._route(delivery)
        return delivery

    def send_to(self, conn: Connection, frame: dict[str, Any], *, redeliver: bool = False) -> Delivery:
        """Send ``frame`` to this connection whatever it subscribed to."""
        delivery = self._track(frame, redeliver=redeliver, queue_offline=False)
        self._send(conn, delivery)
        return delivery

    def send_text(self, conn: Connection, text: str) -> Delivery | None:
        """Send literal text; if it parses as a frame with a messageId, its acks are tracked too."""
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        headers = parsed.get("headers") if isinstance(parsed, dict) else None
        conn.send(text)
        if not isinstance(headers, dict) or not isinstance(headers.get("messageId"), str):
            return None
        delivery = self._track(parsed, redeliver=False, queue_offline=False)
        conn.pending.add(delivery.message_id)
        delivery.sends.append({"connectionId": conn.id, "at": self._clock.now_ms()})
        delivery.state = "sent"
        return delivery

    def redeliver_now(self, message_id: str) -> Delivery | None:
        delivery = self.deliveries.get(message_id)
        if delivery is not None:
            delivery.redeliveries += 1
            self._route(delivery)
        return delivery

    def _track(self, frame: dict[str, Any], redeliver: bool, queue_offline: bool) -> Delivery:
        headers = frame.get("headers")
        given = headers.get("messageId") if isinstance(headers, dict) else None
        message_id = str(given or ids.message_id())
        delivery = Delivery(message_id, frame, redeliver, queue_offline)
        self.deliveries[message_id] = delivery
        return delivery

    def _route(self, delivery: Delivery) -> None:
        candidates = self.live(delivery.kind, delivery.topic)
        if candidates:
            self._send(random.choice(candidates), delivery)
        elif delivery.queue_offline:
            delivery.state = "queued"
            if delivery.message_id not in self.queued:
                self.queued.append(delivery.message_id)
        else:
            delivery.state = "undelivered"
        self._changes.bump()

    def _send(self, conn: Connection, delivery: Delivery) -> None:
        frame = dict(delivery.frame)
        if isinstance(frame.get("headers"), dict) and delivery.kind != "SYSTEM":
            frame["headers"] = {**frame["headers"], "connectionId": conn.id}
        conn.send(frame)
        conn.pending.add(delivery.message_id)
        delivery.sends.append({"connectionId": conn.id, "at": self._clock.now_ms()})
        delivery.state = "sent"
        if delivery.redeliver:
            self._arm(delivery)

    def _arm(self, delivery: Delivery) -> None:
        if delivery.timer is not None:
            delivery.timer.cancel()
        loop = asyncio.get_running_loop()
        delivery.timer = loop.call_later(self._config.ack_timeout, self._ack_timed_out, delivery)

    def _ack_timed_out(self, delivery: Delivery) -> None:
        delivery.timer = None
        if delivery.state == "acked" or self.deliveries.get(delivery.message_id) is not delivery:
            return
        if delivery.redeliveries >= self._config.max_redeliveries:
            delivery.state = "expired"
            self._changes.bump()
            return
        delivery.redeliveries += 1
        self._route(delivery)

    # acks

    def on_text(self, conn: Connection, text: str) -> None:
        """Handle one text frame from a client: it should be an ack."""
        try:
            ack = frames.parse_ack(text)
        except frames.MalformedAck as exc:
            self._malformed(conn, text, str(exc))
            return
        conn.pending.discard(ack.message_id)
        delivery = self.deliveries.get(ack.message_id)
        if delivery is None:
            self._malformed(conn, text, "ack for an unknown messageId")
            return
        delivery.acks.append({
            "connectionId": conn.id, "at": self._clock.now_ms(), "code": ack.code, "message": ack.message,
            "data": ack.data, "problems": list(ack.problems), "raw": ack.raw,
        })
        if delivery.topic == "ping":
            self._record_echo(conn, delivery, ack)
        if ack.wants_redelivery and delivery.redeliver:
            delivery.state = "nacked"
            self._arm(delivery)
        else:
            delivery.state = "acked"
            if delivery.timer is not None:
                delivery.timer.cancel()
                delivery.timer = None
        self._changes.bump()

    def _record_echo(self, conn: Connection, delivery: Delivery, ack: frames.Ack) -> None:
        for ping in conn.pings:
            if ping["messageId"] == delivery.message_id:
                ping["echo"] = ack.data
                ping["echoedAt"] = self._clock.now_ms()
                ping["ok"] = isinstance(ack.data, dict) and ack.data.get("opaque") == ping["opaque"]

    def _malformed(self, conn: Connection, text: str, reason: str) -> None:
        self.malformed.append(
            {"connectionId": conn.id, "at": self._clock.now_ms(), "reason": reason, "raw": text[:4000]}
        )
        self._changes.bump()

    # system frames

    async def run_pings(self, conn: Connection) -> None:
        interval = self._config.ping_interval
        while conn.live and interval > 0:
            await asyncio.sleep(interval)  # the cadence itself, not a wait for something
            if conn.live:
                self.ping(conn)

    def ping(self, conn: Connection) -> Delivery:
        opaque = ids.opaque()
        delivery = self.send_to(conn, frames.system_frame("ping", {"opaque": opaque}, self._clock.now_ms()))
        conn.pings.append({"messageId": delivery.message_id, "opaque": opaque, "sentAt": self._clock.now_ms(),
                           "echo": None, "echoedAt": None, "ok": False})
        return delivery

    def disconnect(self, conn: Connection, reason: str) -> Delivery:
        """Tell the client to go away, stop routing to it, and close TCP after the grace period."""
        conn.live = False
        frame = frames.system_frame("disconnect", {"reason": reason}, self._clock.now_ms())
        delivery = self.send_to(conn, frame)
        loop = asyncio.get_running_loop()
        self._close_timers.append(loop.call_later(self._config.disconnect_grace, conn.close_soon))
        self._changed()
        return delivery

    def drop(self, conn: Connection) -> None:
        conn.drop()
        self._changed()

    def _changed(self) -> None:
        self._changes.bump()
        self._feed.publish({"type": "connections", "live": len(self.live()), "total": len(self.connections)})

    # housekeeping

    def reset(self) -> None:
        for delivery in self.deliveries.values():
            if delivery.timer is not None:
                delivery.timer.cancel()
        self.deliveries.clear()
        self.queued.clear()
        self.malformed.clear()
        for conn in self.connections.values():
            conn.pending.clear()
        self._changes.bump()

    def close(self) -> None:
        self.reset()
        for timer in self._close_timers:
            timer.cancel()
        for conn in list(self.connections.values()):
            conn.close_soon()
