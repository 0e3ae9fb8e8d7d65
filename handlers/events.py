"""Routes stream events (dingtalk-wire.md 8) by their event type."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from handlers.context import HandlerContext
from handlers.inbound import StreamEvent

log = logging.getLogger(__name__)

EventHandler = Callable[[HandlerContext, StreamEvent], Awaitable[None]]

# Filled by features that subscribe to events (e.g. DingTalk Drive uploads).
EVENT_HANDLERS: dict[str, EventHandler] = {}


async def on_event(ctx: HandlerContext, event: StreamEvent) -> None:
    """Handle an event we know; others are acknowledged and ignored (the console decides what arrives)."""
    handler = EVENT_HANDLERS.get(event.event_type)
    if handler is None:
        log.debug("ignoring event type %r", event.event_type)
        return
    await handler(ctx, event)
