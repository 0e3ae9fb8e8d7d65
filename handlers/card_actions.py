"""Routes a card click to the use case named by its `action` param."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from cards.render import render_message
from handlers.classification.answer import on_classify
from handlers.context import HandlerContext
from handlers.inbound import CardAction, CardResponse
from handlers.reminders.actions import on_reminder_click
from handlers.signoff.decide import on_signoff

log = logging.getLogger(__name__)

CardActionHandler = Callable[[HandlerContext, CardAction], Awaitable[CardResponse]]

# The `action` param of every card button the bot sends, and the use case that answers it.
CARD_ACTIONS: dict[str, CardActionHandler] = {
    "classify": on_classify, "reminder": on_reminder_click, "signoff": on_signoff,
}


async def on_card_action(ctx: HandlerContext, action: CardAction) -> CardResponse:
    """Honour a click, or tell the clicker privately that nothing happened."""
    handler = CARD_ACTIONS.get(action.action)
    if handler is not None:
        return await handler(ctx, action)
    log.warning("unknown card action %r on card %s", action.action, action.card_id)
    await ctx.record(action.user, "card.unknown_action", action.card_id,
                     {"action": action.action, "params": sorted(action.params)})
    language = await ctx.language_of(action.user)
    await ctx.send_to_user(action.user, render_message("unknown_card_action", language))
    return CardResponse()
