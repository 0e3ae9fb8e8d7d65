"""PATCH /assessments/{id}: done, waived, a new due date, a new owner or a snooze, at the version last read.

Done, snooze and delegate are the card's and the chat command's own functions (`handlers.reminders.actions`),
so all three paths write the same evidence, audit entries and reminder changes; every change ends in a
re-plan, which stops the reminders of a closed assessment. Who may change what:
- the owner, their managers (the caller's team) and admins may change it at all; others get a 404;
- done needs `evidence`; waived needs `reason` and an admin;
- a new due date needs the owner's manager (not the owner themself) or an admin;
- a new owner must be active; the owner and admins may hand it to anyone, a manager within their team;
- a snooze ends after now, within 3 working days and never past the due date, as the card's longest snooze.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.api.assessment_models import AssessmentChange, AssessmentItem
from handlers.api.assessments import (
    LATER_THAN_NOW,
    api_context,
    assessment_item,
    check_assignable,
    not_in_directory,
    visible_assessment,
)
from handlers.api.caller import Caller
from handlers.api.refusals import Message, Refused, bad_input
from handlers.context import HandlerContext, OrgPolicy
from handlers.inbound import UserId
from handlers.reminders.actions import SNOOZE_DAYS, complete, delegate, snooze, tell_assigned
from handlers.reminders.planner import snooze_until
from handlers.reminders.schedule import replan
from storage import assessments
from storage import directory as people
from storage.assessments import CLOSED_STATUSES
from storage.directory import names_of
from storage.models import Assessment

LONGEST_SNOOZE = max(int(days) for days in SNOOZE_DAYS)


async def change_assessment(session: AsyncSession, caller: Caller, id: int, change: AssessmentChange, *,
                            now: datetime, policy: OrgPolicy) -> AssessmentItem:
    """Apply `change` to assessment `id` for `caller` if they may and it is still at `change.version`."""
    _check_shape(change)
    assessment = await visible_assessment(session, caller, id, for_update=True)
    if assessment.version != change.version:
        raise Refused(409, Message(f"assessment {id} is at version {assessment.version}, not {change.version}: it "
                                   "changed since you read it; reload it and try again", "assessment_changed",
                                   {"id": id, "version": assessment.version, "given": change.version}))
    if assessment.status in CLOSED_STATUSES:
        raise Refused(409, Message(f"assessment {id} is {assessment.status} already; a closed assessment cannot "
                                   "change", "assessment_closed", {"id": id, "status": assessment.status}))
    await _check_allowed(session, caller, assessment, change, now, policy)
    ctx = api_context(session, now, policy, f"api:assessment:{id}:v{assessment.version}")
    user = UserId(caller.user_id)
    if change.status == "done":
        await complete(ctx, user, assessment, change.evidence or "")
    elif change.status == "waived":
        await _waive(ctx, user, assessment, change.reason or "")
    else:
        await _apply(ctx, user, assessment, change)
    await replan(session, assessment, policy, now)
    if change.owner is not None and change.owner != caller.user_id:
        await tell_assigned(ctx, user, assessment)
    return assessment_item(assessment, await names_of(session, {assessment.owner}), now)


async def _apply(ctx: HandlerContext, user: UserId, assessment: Assessment, change: AssessmentChange) -> None:
    if change.due_at is not None:
        previous = assessment.due_at
        # A snooze never outlasts the due date (see snooze_until); an earlier due date ends it.
        held = assessment.snoozed_until
        await assessments.update_assessment(ctx.session, assessment, at=ctx.now, due_at=change.due_at,
                                            snoozed_until=held if held is None or held <= change.due_at else None)
        await ctx.record(user, "assessment.rescheduled", f"assessment:{assessment.id}",
                         {"from": previous.isoformat(), "to": change.due_at.isoformat()})
    if change.owner is not None:
        await delegate(ctx, user, assessment, change.owner)
    if change.snoozed_until is not None:
        await snooze(ctx, user, assessment, change.snoozed_until)


async def _waive(ctx: HandlerContext, user: UserId, assessment: Assessment, reason: str) -> None:
    await assessments.update_assessment(ctx.session, assessment, at=ctx.now, status="waived",
                                        waived_reason=reason.strip())
    await ctx.record(user, "assessment.waived", f"assessment:{assessment.id}", {"reason": reason.strip()})


def _check_shape(change: AssessmentChange) -> None:
    """400s that need no database: what goes with what."""
    problems: dict[str, str | Message] = {}
    others = {"dueAt": change.due_at, "owner": change.owner, "snoozedUntil": change.snoozed_until}
    if change.status is None and all(value is None for value in others.values()):
        problems["body"] = "give at least one of status, dueAt, owner or snoozedUntil; there is nothing to change"
    if change.status == "done" and not (change.evidence or "").strip():
        problems["evidence"] = Message("is required to mark it done: say what shows the work is done",
                                       "evidence_required")
    if change.status == "waived" and not (change.reason or "").strip():
        problems["reason"] = Message("is required to waive it: say why the work is not needed", "reason_required")
    if change.evidence is not None and change.status != "done":
        problems["evidence"] = "only goes with status done"
    if change.reason is not None and change.status != "waived":
        problems["reason"] = "only goes with status waived"
    if change.status is not None:
        problems.update({name: "cannot change in the same request as status; close it on its own"
                         for name, value in others.items() if value is not None})
    if problems:
        raise bad_input(problems)


async def _check_allowed(session: AsyncSession, caller: Caller, assessment: Assessment, change: AssessmentChange,
                         now: datetime, policy: OrgPolicy) -> None:
    if change.status == "waived" and caller.role != "admin":
        raise Refused(403, Message("only an admin may waive an assessment; mark it done with evidence instead",
                                   "waive_admins_only"))
    if change.due_at is not None:
        if caller.role == "employee" or (caller.role == "manager" and caller.user_id == assessment.owner):
            raise Refused(403, Message("only the owner's manager or an admin may move a due date; ask them, or snooze "
                                       "it", "move_due_not_allowed"))
        if change.due_at <= now:
            raise bad_input({"dueAt": LATER_THAN_NOW})
    if change.owner is not None:
        await _check_new_owner(session, caller, assessment, change.owner)
    if change.snoozed_until is not None:
        _check_snooze(change.snoozed_until, change.due_at or assessment.due_at, now, policy)


async def _check_new_owner(session: AsyncSession, caller: Caller, assessment: Assessment, owner: str) -> None:
    if owner == assessment.owner:
        raise bad_input({"owner": Message(f"{owner} owns it already", "owner_already", {"owner": owner})})
    if caller.user_id != assessment.owner:
        await check_assignable(session, caller, owner)
        return
    user = await people.get_user(session, owner)  # the owner may hand it to anyone, as on the card
    if user is None or not user.active:
        raise bad_input({"owner": not_in_directory(owner)})


def _check_snooze(until: datetime, due_at: datetime, now: datetime, policy: OrgPolicy) -> None:
    if due_at <= now:
        raise bad_input({"snoozedUntil": Message("an overdue assessment cannot be snoozed", "snooze_overdue")})
    latest = snooze_until(now, LONGEST_SNOOZE, due_at, policy.calendar)
    if not now < until <= latest:
        raise bad_input({"snoozedUntil": Message(
            f"must be after now and no later than {latest.isoformat()} ({LONGEST_SNOOZE} working days ahead, and "
            "never past the due date)", "snooze_range", {"days": LONGEST_SNOOZE})})
