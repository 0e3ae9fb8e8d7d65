"""Signers who have not acted are reminded in working time; once the due date passes, the admins are told."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cards.render import render_message
from handlers.context import HandlerContext, OrgPolicy
from handlers.inbound import UserId
from handlers.signoff.campaign import name_of, tell_admins
from storage import signoff
from storage.models import AuditEvent, SignoffCampaign, SignoffSigner

FIRST_REMINDER = timedelta(days=2)   # working days after the card was sent
REPEAT = timedelta(days=2)           # working days between reminders


@dataclass(frozen=True)
class NudgeReport:
    reminded: int = 0
    escalated: int = 0


def _next_due(policy: OrgPolicy, signer: SignoffSigner) -> datetime | None:
    base = signer.reminded_at or signer.sent_at
    if base is None:
        return None
    gap = REPEAT if signer.reminded_at else FIRST_REMINDER
    return policy.calendar.add_working_days(base, gap.days)


async def remind_signers(sessions: async_sessionmaker[AsyncSession], policy: OrgPolicy, now: datetime) -> NudgeReport:
    """Remind every pending signer whose reminder is due; tell the admins once when a campaign is overdue."""
    reminded = escalated = 0
    async with sessions() as session, session.begin():
        for campaign in await signoff.active_campaigns(session):
            signers = await signoff.signers_of(session, campaign.id)
            ctx = HandlerContext(session=session, now=now, origin=f"signoff-nudge:{campaign.id}:{now.isoformat()}",
                                 policy=policy)
            for signer in signers:
                due = _next_due(policy, signer)
                if signer.status == "pending" and due is not None and now >= due:
                    await _remind(ctx, campaign, signer)
                    reminded += 1
            if now > campaign.due_at and not await _escalated(session, campaign):
                waiting = [await name_of(ctx, s.user_id) for s in signers if s.status in ("pending", "waiting")]
                await ctx.record("system", "signoff.overdue", f"campaign:{campaign.id}", {"waiting": waiting})
                await tell_admins(ctx, campaign, "overdue", signer="、".join(waiting))
                escalated += 1
    return NudgeReport(reminded, escalated)


async def _remind(ctx: HandlerContext, campaign: SignoffCampaign, signer: SignoffSigner) -> None:
    language = await ctx.language_of(UserId(signer.user_id))
    due = campaign.due_at.astimezone(ctx.policy.calendar.timezone).strftime("%Y-%m-%d")
    await ctx.send_to_user(UserId(signer.user_id), render_message(
        "signoff_reminder", language, year=str(campaign.year), campaign_title=campaign.title, due=due,
        overdue=ctx.now > campaign.due_at))
    signer.reminded_at = ctx.now
    await ctx.record("system", "signoff.reminded", f"campaign:{campaign.id}", {"signer": signer.user_id})


async def _escalated(session: AsyncSession, campaign: SignoffCampaign) -> bool:
    stmt = select(AuditEvent.seq).where(AuditEvent.action == "signoff.overdue",
                                        AuditEvent.subject == f"campaign:{campaign.id}").limit(1)
    return await session.scalar(stmt) is not None
