"""Routes stream events (dingtalk-wire.md 8) by their event type."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from handlers.classification.drive import on_drive_upload
from handlers.context import HandlerContext
from handlers.inbound import StreamEvent

log = logging.getLogger(__name__)

EventHandler = Callable[[HandlerContext, StreamEvent], Awaitable[None]]

# The event types the bot acts on (the developer console decides which arrive at all).
EVENT_HANDLERS: dict[str, EventHandler] = {"storage_dentry_create": on_drive_upload}


async def on_event(ctx: HandlerContext, event: StreamEvent) -> None:
    """Handle an event we know; others are acknowledged and ignored (the console decides what arrives)."""
    handler = EVENT_HANDLERS.get(event.event_type)
    if handler is None:
        log.debug("ignoring event type %r", event.event_type)
        return
    await handler(ctx, event)
