"""Reminders of assessments: the rules admins edit and the pure planner that turns them into instants."""

from __future__ import annotations

from handlers.reminders.planner import (
    AssessmentView,
    PlannedReminder,
    RecipientRole,
    digest,
    plan,
    snooze_until,
)
from handlers.reminders.rules import (
    ASSESSMENT_TYPES,
    EscalationStep,
    FieldError,
    ReminderRule,
    default_rules,
    rule_errors,
)

__all__ = [
    "ASSESSMENT_TYPES",
    "AssessmentView",
    "EscalationStep",
    "FieldError",
    "PlannedReminder",
    "RecipientRole",
    "ReminderRule",
    "default_rules",
    "digest",
    "plan",
    "rule_errors",
    "snooze_until",
]
