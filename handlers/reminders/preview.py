"""What would go out at an instant, and why, without sending or writing anything."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.context import OrgPolicy
from handlers.reminders.planner import AssessmentView, PlannedReminder, digest, plan
from handlers.reminders.rules import ReminderRule
from handlers.reminders.schedule import effective_rule, recipients
from storage import assessments
from storage.directory import names_of
from storage.models import Assessment


@dataclass(frozen=True)
class PreviewLine:
    assessment_id: int
    title: str
    kind: str
    reason: str
    type: str  # the assessment's type


@dataclass(frozen=True)
class PreviewCard:
    recipient: str
    name: str
    send_at: datetime
    lines: tuple[PreviewLine, ...]


async def preview(session: AsyncSession, policy: OrgPolicy, at: datetime,
                  window: timedelta = timedelta(minutes=1),
                  rules: Mapping[str, ReminderRule] | None = None) -> list[PreviewCard]:
    """The digest cards whose instant falls in [at, at + window), as the planner would send them.

    `rules` (by assessment type) stand in for the effective ones: what an unsaved rule would send."""
    planned: list[tuple[str, PlannedReminder]] = []
    by_id: dict[int, Assessment] = {}
    # Read once per type and per (role, owner), not once per open assessment: an org may have thousands open.
    effective: dict[str, ReminderRule] = dict(rules or {})
    sent_to: dict[tuple[str, str], list[str]] = {}
    for assessment in await assessments.open_assessments(session):
        by_id[assessment.id] = assessment
        if assessment.type not in effective:
            effective[assessment.type] = await effective_rule(session, assessment.type)
        view = AssessmentView(id=assessment.id, type=assessment.type, owner=assessment.owner,
                              due_at=assessment.due_at, status=assessment.status,
                              snoozed_until=assessment.snoozed_until)
        for reminder in plan(view, effective[assessment.type], policy.calendar, now=at, horizon=at + window):
            key = (reminder.recipient_role, assessment.owner)
            if key not in sent_to:
                sent_to[key] = await recipients(session, reminder.recipient_role, assessment.owner, policy)
            planned.extend((recipient, reminder) for recipient in sent_to[key])
    cards = []
    names = await names_of(session, {recipient for recipient, _ in planned})
    for (recipient, send_at), group in sorted(digest(planned).items(), key=lambda kv: (kv[0][1], kv[0][0])):
        lines = tuple(PreviewLine(r.assessment_id, by_id[r.assessment_id].title, r.kind, r.reason,
                                  by_id[r.assessment_id].type) for r in group)
        cards.append(PreviewCard(recipient, names.get(recipient, recipient), send_at, lines))
    return cards
