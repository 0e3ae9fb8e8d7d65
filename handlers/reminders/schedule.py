"""Keeps the reminder rows in step with assessments and rules: plan what is due, skip what no longer is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.context import OrgPolicy
from handlers.directory import escalation_levels, org_admins
from handlers.reminders.planner import AssessmentView, PlannedReminder, plan
from handlers.reminders.rules import ReminderRule, default_rules
from storage import assessments, reminders
from storage.models import Assessment

# Rows are planned this far ahead; the job runs far more often, so nothing is ever planned late.
HORIZON = timedelta(days=35)
# A reminder whose instant passed while the bot was down is still planned (and sent late) within this.
CATCH_UP = timedelta(days=2)
CLOSED = ("done", "waived")


@dataclass(frozen=True)
class PlanReport:
    assessments: int = 0
    planned: int = 0
    skipped: int = 0


async def effective_rule(session: AsyncSession, assessment_type: str) -> ReminderRule:
    """The admins' rule for this type, or the default one."""
    stored = await assessments.get_rule(session, assessment_type)
    if stored is None:
        return default_rules()[assessment_type]
    return ReminderRule.model_validate({**stored, "assessment_type": assessment_type})


async def recipients(session: AsyncSession, role: str, owner: str, policy: OrgPolicy) -> list[str]:
    """Who a reminder for `role` goes to: the owner, the owner's nearest managers, or the admins."""
    if role == "owner":
        return [owner]
    if role == "manager":
        levels = await escalation_levels(session, owner)
        if levels:
            return levels[0]
    return list(dict.fromkeys([*policy.admins, *await org_admins(session)]))


async def replan(session: AsyncSession, assessment: Assessment, policy: OrgPolicy, now: datetime) -> PlanReport:
    """Plan the assessment's reminders up to the horizon and skip planned rows the plan no longer has."""
    if assessment.status in CLOSED:
        skipped = await reminders.skip_unsent_for_assessment(
            session, assessment.id, reason=f"assessment {assessment.status}")
        return PlanReport(assessments=1, skipped=skipped)
    rule = await effective_rule(session, assessment.type)
    view = AssessmentView(id=assessment.id, type=assessment.type, owner=assessment.owner, due_at=assessment.due_at,
                          status=assessment.status, snoozed_until=assessment.snoozed_until)
    wanted = await _rows(session, plan(view, rule, policy.calendar, now=now - CATCH_UP, horizon=now + HORIZON),
                         assessment.owner, policy)
    planned = 0
    for key, (recipient, reminder) in wanted.items():
        planned += await reminders.plan_reminder(
            session, idempotency_key=key, assessment_id=assessment.id, kind=reminder.kind, recipient=recipient,
            send_at=reminder.send_at, reason=reminder.reason)
    stale = [row.id for row in await reminders.reminders_for_assessment(session, assessment.id)
             if row.status == "planned" and row.idempotency_key not in wanted]
    skipped = await reminders.skip_reminders(session, stale, reason="no longer planned (rule, owner or date changed)")
    return PlanReport(assessments=1, planned=planned, skipped=skipped)


async def _rows(session: AsyncSession, planned: Sequence[PlannedReminder], owner: str,
                policy: OrgPolicy) -> dict[str, tuple[str, PlannedReminder]]:
    rows: dict[str, tuple[str, PlannedReminder]] = {}
    for reminder in planned:
        for recipient in await recipients(session, reminder.recipient_role, owner, policy):
            rows[reminder.idempotency_key(recipient)] = (recipient, reminder)
    return rows


async def replan_all(sessions: async_sessionmaker[AsyncSession], policy: OrgPolicy, now: datetime) -> PlanReport:
    """Re-plan every open assessment (and close out the rows of closed ones), one transaction each."""
    async with sessions() as session:
        ids = [a.id for a in await assessments.open_assessments(session)]
    total = PlanReport()
    for assessment_id in ids:
        async with sessions() as session, session.begin():
            assessment = await assessments.get_assessment(session, assessment_id, for_update=True)
            if assessment is None:
                continue
            report = await replan(session, assessment, policy, now)
        total = PlanReport(total.assessments + 1, total.planned + report.planned, total.skipped + report.skipped)
    return total
