"""A material change to a data flow reopens the assessments that relied on the old one."""

from __future__ import annotations

from sqlalchemy import select

from cards.render import Trusted, escape_markdown, render_message
from handlers.context import HandlerContext
from handlers.inbound import UserId
from handlers.reminders.schedule import replan
from storage import assessments
from storage.models import Assessment, Classification


async def reopen_for_changed_flow(ctx: HandlerContext, before: Classification, after: Classification) -> int:
    """When a re-shared file now goes somewhere else, closed assessments of its old flow open again."""
    if before.destination == after.destination:
        return 0
    stmt = select(Assessment).where(Assessment.status.in_(("done", "waived")), Assessment.source == "rules_pack")
    reopened = 0
    for assessment in await ctx.session.scalars(stmt):
        if assessment.data_flow.get("classification") != before.id:
            continue
        await assessments.update_assessment(ctx.session, assessment, at=ctx.now, status="open", snoozed_until=None)
        await ctx.record("system", "assessment.reopened", f"assessment:{assessment.id}",
                         {"from": before.destination, "to": after.destination, "classification": after.id})
        language = await ctx.language_of(UserId(assessment.owner))
        await ctx.send_to_user(UserId(assessment.owner), render_message(
            "assessment_update", language, change=Trusted("reopened"),
            title_text=Trusted(escape_markdown(assessment.title)), note="", until="", owner="", by="", due="",
            number=str(assessment.id), status=""))
        await replan(ctx.session, assessment, ctx.policy, ctx.now)
        reopened += 1
    return reopened
