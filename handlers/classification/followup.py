"""Unanswered questions: a nudge, then the sharer's manager, then the question expires (all in working time)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cards.render import coerce_language, render_message
from handlers.classification.card import card_for, local_time, shared_where, state_of
from handlers.classification.dialog import Expire, advance
from handlers.context import HandlerContext, OrgPolicy
from handlers.directory import display_name, escalation_levels, org_admins
from handlers.inbound import UserId
from storage import classifications
from storage.models import ClassificationPrompt, SharedFile

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FollowupReport:
    nudged: int = 0
    escalated: int = 0
    expired: int = 0


async def run_followups(
    sessions: async_sessionmaker[AsyncSession], policy: OrgPolicy, now: datetime,
    on_committed: Callable[[], None] = lambda: None, sends_due: datetime | None = None,
) -> FollowupReport:
    """Take every due step of every open question; each prompt is one transaction.

    `sends_due` lets a run "as if it were" `now` have its messages sent at once rather than at `now`.
    """
    counts = {"nudged": 0, "escalated": 0, "expired": 0}
    while True:
        async with sessions() as session, session.begin():
            due = await classifications.due_followups(session, now, limit=1)
            if not due:
                break
            prompt = due[0]
            step = _latest_due_step(prompt, policy, now)
            ctx = HandlerContext(session=session, now=now, origin=f"followup:{prompt.id}:{step}", policy=policy,
                                 sends_due=sends_due)
            shared = await classifications.shared_file(session, prompt.file_id)
            await STEPS[step](ctx, prompt, shared)
        counts[step] += 1
        on_committed()
    return FollowupReport(**counts)


def _latest_due_step(prompt: ClassificationPrompt, policy: OrgPolicy, now: datetime) -> str:
    """Only the latest step that is due: after an outage nobody gets a stale nudge and an escalation at once."""
    calendar, timing = policy.calendar, policy.classification
    if now >= calendar.add_working_time(prompt.asked_at, timing.expire_after):
        return "expired"
    if prompt.escalated_at is None and now >= calendar.add_working_time(prompt.asked_at, timing.escalate_after):
        return "escalated"
    return "nudged" if prompt.nudged_at is None else "escalated"


async def _nudge(ctx: HandlerContext, prompt: ClassificationPrompt, shared: SharedFile) -> None:
    language = coerce_language(prompt.language)
    message = render_message("classify_nudge", language, file_name=shared.file_name,
                             shared_at=local_time(ctx, shared.shared_at))
    await ctx.send_to_user(UserId(prompt.asked_user), message)
    prompt.nudged_at = ctx.now
    prompt.next_check_at = ctx.policy.calendar.add_working_time(
        prompt.asked_at, ctx.policy.classification.escalate_after)
    await ctx.record("system", "classification.nudged", f"file:{shared.id}", {"card": prompt.card_id})


async def _escalate(ctx: HandlerContext, prompt: ClassificationPrompt, shared: SharedFile) -> None:
    levels = await escalation_levels(ctx.session, prompt.asked_user)
    recipients = levels[0] if levels else []
    if not recipients:  # nobody above the sharer: the admins are the last line
        recipients = list(dict.fromkeys([*ctx.policy.admins, *await org_admins(ctx.session)]))
    sharer = await display_name(ctx.session, prompt.asked_user)
    for recipient in recipients:
        language = await ctx.language_of(UserId(recipient))
        message = render_message("classify_escalation", language, sharer=sharer, file_name=shared.file_name,
                                 shared_where=shared_where(shared, language),
                                 shared_at=local_time(ctx, shared.shared_at))
        await ctx.send_to_user(UserId(recipient), message)
    prompt.escalated_at = ctx.now
    prompt.escalated_to = recipients
    prompt.next_check_at = ctx.policy.calendar.add_working_time(prompt.asked_at, ctx.policy.classification.expire_after)
    await ctx.record("system", "classification.escalated", f"file:{shared.id}",
                     {"card": prompt.card_id, "to": recipients})


async def _expire(ctx: HandlerContext, prompt: ClassificationPrompt, shared: SharedFile) -> None:
    transition = advance(state_of(prompt), Expire())
    prompt.status = transition.state.status
    prompt.awaiting_reason = False
    prompt.closed_at = ctx.now
    prompt.next_check_at = None
    await ctx.update_card(prompt.card_id, await card_for(ctx, prompt, shared))
    await ctx.record("system", "classification.expired", f"file:{shared.id}", {"card": prompt.card_id})


STEPS = {"nudged": _nudge, "escalated": _escalate, "expired": _expire}
