"""Acting on an assessment from its reminder: done (with an evidence note), snooze, delegate.

The same actions come from card buttons (`action: reminder`, `do: done|snooze|delegate`, `assessment`,
plus `note`, `days` or `to`) and from chat (`done 12 signed the contract`, `snooze 12 3`, `delegate 12 lei.mei`),
so they work on any card template, including ones without input fields.
"""

from __future__ import annotations

from datetime import datetime

from cards.render import Trusted, escape_markdown, render_message
from handlers.context import HandlerContext
from handlers.directory import display_name, role_of
from handlers.inbound import CardAction, CardResponse, ChatMessage, UserId
from handlers.reminders.cards import local
from handlers.reminders.planner import snooze_until
from handlers.reminders.programme import open_next_round
from handlers.reminders.schedule import replan
from storage import assessments, directory, reminders
from storage.models import Assessment

SNOOZE_DAYS = ("1", "3")
MAX_NOTE = 500  # characters of an evidence note that are kept


async def on_reminder_click(ctx: HandlerContext, click: CardAction) -> CardResponse:
    params = {key: str(value) for key, value in click.params.items()}
    await act(ctx, click.user, params.get("do", ""), params.get("assessment", ""),
              params.get("note") or params.get("days") or params.get("to") or "")
    return CardResponse()


async def on_reminder_command(ctx: HandlerContext, msg: ChatMessage, argument: str, verb: str) -> None:
    number, _, rest = argument.partition(" ")
    await act(ctx, msg.sender, verb, number, rest.strip())


async def act(ctx: HandlerContext, user: UserId, verb: str, number: str, value: str) -> None:
    """Apply one action for `user`, who must own the assessment or be an admin; tell them the outcome."""
    assessment = await assessments.get_assessment(ctx.session, int(number), for_update=True) \
        if number.isascii() and number.isdigit() else None
    if assessment is None or verb not in ("done", "snooze", "delegate"):
        await _tell(ctx, user, "unknown", None)
        return
    if user != assessment.owner and await role_of(ctx.session, user, ctx.policy.admins) != "admin":
        await ctx.record(user, "assessment.refused", f"assessment:{assessment.id}", {"action": verb})
        await _tell(ctx, user, "refused", assessment)
        return
    if assessment.status in ("done", "waived"):
        await _tell(ctx, user, "closed", assessment, status=Trusted(assessment.status))
        return
    if verb == "done":
        await _done(ctx, user, assessment, value)
    elif verb == "snooze":
        await _snooze(ctx, user, assessment, value)
    else:
        await _delegate(ctx, user, assessment, value)
    await replan(ctx.session, assessment, ctx.policy, ctx.now)


async def _done(ctx: HandlerContext, user: UserId, assessment: Assessment, note: str) -> None:
    if not note.strip():
        await _tell(ctx, user, "need_note", assessment, number=str(assessment.id))
        return
    await complete(ctx, user, assessment, note)
    await _tell(ctx, user, "done", assessment, note=note.strip()[:MAX_NOTE])


async def complete(ctx: HandlerContext, user: UserId, assessment: Assessment, note: str) -> None:
    """Close `assessment` as done with `note` (non-blank) stamped into its evidence; open a recurring next round.

    The caller re-plans `assessment` afterwards (which stops its reminders)."""
    evidence = f"{assessment.evidence}\n" if assessment.evidence else ""
    stamp = local(ctx.now, ctx.policy.calendar.timezone)
    await assessments.update_assessment(ctx.session, assessment, at=ctx.now, status="done",
                                        evidence=f"{evidence}{stamp} {user}: {note.strip()[:MAX_NOTE]}")
    await reminders.mark_acted(ctx.session, assessment.id, user, ctx.now)
    await ctx.record(user, "assessment.done", f"assessment:{assessment.id}", {"note": note.strip()[:MAX_NOTE]})
    following = await open_next_round(ctx.session, assessment, at=ctx.now)
    if following is not None:
        await replan(ctx.session, following, ctx.policy, ctx.now)


async def _snooze(ctx: HandlerContext, user: UserId, assessment: Assessment, days: str) -> None:
    if days not in SNOOZE_DAYS:
        days = "1"
    until = snooze_until(ctx.now, int(days), assessment.due_at, ctx.policy.calendar)
    await snooze(ctx, user, assessment, until)
    await _tell(ctx, user, "snoozed", assessment, until=local(until, ctx.policy.calendar.timezone))


async def snooze(ctx: HandlerContext, user: UserId, assessment: Assessment, until: datetime) -> None:
    """Hold back the owner's reminders until `until` (bounded by the caller, see `snooze_until`)."""
    await assessments.update_assessment(ctx.session, assessment, at=ctx.now, snoozed_until=until)
    await reminders.mark_acted(ctx.session, assessment.id, user, ctx.now)
    await ctx.record(user, "assessment.snoozed", f"assessment:{assessment.id}", {"until": until.isoformat()})


async def _delegate(ctx: HandlerContext, user: UserId, assessment: Assessment, to: str) -> None:
    new_owner = await directory.get_user(ctx.session, to.strip())
    if new_owner is None or not new_owner.active or new_owner.user_id == assessment.owner:
        await _tell(ctx, user, "unknown", None)
        return
    await delegate(ctx, user, assessment, new_owner.user_id)
    await _tell(ctx, user, "delegated", assessment, owner=await display_name(ctx.session, new_owner.user_id))
    await tell_assigned(ctx, user, assessment)


async def delegate(ctx: HandlerContext, user: UserId, assessment: Assessment, to: str) -> None:
    """Hand `assessment` to `to` (an active directory user other than its owner): their reminders replace the
    old owner's when the caller re-plans."""
    previous = assessment.owner
    await assessments.update_assessment(ctx.session, assessment, at=ctx.now, owner=to, snoozed_until=None)
    await reminders.skip_unsent_for_assessment(ctx.session, assessment.id, reason=f"delegated to {to}")
    await reminders.mark_acted(ctx.session, assessment.id, user, ctx.now)
    await ctx.record(user, "assessment.delegated", f"assessment:{assessment.id}", {"from": previous, "to": to})


async def tell_assigned(ctx: HandlerContext, by: UserId, assessment: Assessment) -> None:
    """Tell the assessment's (new) owner that `by` gave it to them, and when it is due."""
    await _tell(ctx, UserId(assessment.owner), "assigned", assessment, by=await display_name(ctx.session, by),
                due=local(assessment.due_at, ctx.policy.calendar.timezone))


async def _tell(ctx: HandlerContext, user: UserId, change: str, assessment: Assessment | None,
                **values: object) -> None:
    language = await ctx.language_of(user)
    title = escape_markdown(assessment.title) if assessment is not None else ""
    defaults: dict[str, object] = {"note": "", "until": "", "owner": "", "by": "", "due": "", "number": "",
                                   "status": ""}
    message = render_message("assessment_update", language, change=Trusted(change), title_text=Trusted(title),
                             **{**defaults, **values})
    await ctx.send_to_user(user, message)
