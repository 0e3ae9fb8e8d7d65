"""The reminder planner: which reminders an assessment's rule asks for, when, and to whom.

Pure: no IO, no clock. The planner is re-run (on every change and by a periodic job) and only ever answers
"what is due in [now, horizon)"; a reminder's instant depends on the assessment, the rule and the calendar,
never on `now`, so its idempotency key is the same on every run and storage inserts each one once.

Instants move, due dates do not: every reminder is moved forward to the next instant on a working day outside
quiet hours (`next_send_instant`), whatever the due date itself falls on. A lead reminder never arrives at or
after the due date: when moving it forward would, it is sent early instead, at the opening of the last day
before the due date when one may be sent (so a "1 day before" for a Monday 09:00 deadline goes out on Friday),
unless the previous lead reminder already goes out that late, which then covers both. Two lead reminders that
land on one instant are one: the shorter lead, the nearer the truth, is kept.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from handlers.reminders.rules import EscalationStep, ReminderRule
from handlers.worktime import SEARCH_DAYS, QuietHours, WorkCalendar, next_send_instant

RecipientRole = Literal["owner", "manager", "admins"]
OPEN_STATUSES = frozenset({"open", "in_progress"})
CLOSED_STATUSES = frozenset({"done", "waived"})
_ROLE_ORDER: dict[str, int] = {"owner": 0, "manager": 1, "admins": 2}
_KIND_ORDER: dict[str, int] = {"escalate": 0, "overdue": 1, "lead": 2}
_ONE_DAY = timedelta(days=1)


def _require_aware(name: str, at: datetime | None) -> None:
    if at is not None and (at.tzinfo is None or at.utcoffset() is None):
        raise ValueError(f"{name} must be a timezone-aware datetime, got {at!r}")


@dataclass(frozen=True)
class AssessmentView:
    """What the planner needs of an assessment."""

    id: int
    type: str
    owner: str
    due_at: datetime
    status: str
    snoozed_until: datetime | None = None

    def __post_init__(self) -> None:
        _require_aware("due_at", self.due_at)
        _require_aware("snoozed_until", self.snoozed_until)
        if self.status not in OPEN_STATUSES | CLOSED_STATUSES:
            raise ValueError(f"unknown assessment status {self.status!r}")


@dataclass(frozen=True)
class PlannedReminder:
    """One reminder of one assessment to one role, at the instant it may go out."""

    assessment_id: int
    kind: str  # lead:30, overdue:1, escalate:manager, ...
    recipient_role: RecipientRole
    send_at: datetime
    reason: str  # a short English explanation, for the preview and the logs
    due_at: datetime | None = None  # the assessment's due date this reminder is about

    def idempotency_key(self, recipient: str) -> str:
        """The key storage inserts the reminder under for `recipient` (a userId); equal on every re-plan.

        It names the assessment's due date, not the send instant: when quiet hours, holidays or a rule's
        timing change, an instant moves but the reminder it stands for must not go out a second time.
        """
        if not recipient or "|" in recipient:
            raise ValueError(f"a recipient is a non-empty userId without '|', got {recipient!r}")
        at = (self.due_at or self.send_at).astimezone(UTC).isoformat()
        return f"assessment:{self.assessment_id}|rule:{self.kind}|due:{at}|to:{recipient}"


def plan(
    assessment: AssessmentView,
    rule: ReminderRule,
    calendar: WorkCalendar,
    *,
    now: datetime,
    horizon: datetime,
) -> list[PlannedReminder]:
    """Every reminder of `assessment` with `now <= send_at < horizon`, soonest first; none once done or waived.

    `snoozed_until` holds back the owner's reminders before it, never an escalation.
    """
    _require_aware("now", now)
    _require_aware("horizon", horizon)
    if horizon < now:
        raise ValueError(f"horizon {horizon} is before now {now}")
    if assessment.type != rule.assessment_type:
        raise ValueError(f"a {rule.assessment_type} rule cannot plan a {assessment.type} assessment")
    if assessment.status in CLOSED_STATUSES:
        return []
    quiet = QuietHours(rule.quiet_start, rule.quiet_end)
    candidates = [
        *_leads(assessment, rule, calendar, quiet),
        *_overdue(assessment, rule, calendar, quiet, horizon),
        *(_escalation(assessment, step, calendar, quiet) for step in rule.escalation),
    ]
    return sorted(
        (r for r in candidates if now <= r.send_at < horizon and not _snoozed(assessment, r)),
        key=_order,
    )


def digest(reminders: Iterable[tuple[str, PlannedReminder]]) -> dict[tuple[str, datetime], list[PlannedReminder]]:
    """The reminders grouped into one digest per (recipient, instant), in sending order.

    A reminder given twice for one recipient (the same idempotency key) appears once.
    """
    groups: dict[tuple[str, datetime], dict[str, PlannedReminder]] = {}
    for recipient, reminder in sorted(reminders, key=lambda pair: (pair[1].send_at, pair[0], _order(pair[1]))):
        group = groups.setdefault((recipient, reminder.send_at), {})
        group.setdefault(reminder.idempotency_key(recipient), reminder)
    return {key: list(group.values()) for key, group in groups.items()}


def snooze_until(now: datetime, days: int, due_at: datetime, calendar: WorkCalendar) -> datetime:
    """When a snooze of `days` working days from `now` ends: never after `due_at`.

    Days count as `WorkCalendar.add_working_days` counts them (Friday 15:00 + 1 is Monday 15:00). An overdue
    assessment cannot be snoozed: its snooze ends at the due date already past.
    """
    _require_aware("due_at", due_at)
    if days < 1:
        raise ValueError(f"a snooze lasts at least one day, got {days}")
    return min(calendar.add_working_days(now, days), due_at.astimezone(calendar.timezone))


def _order(reminder: PlannedReminder) -> tuple[datetime, int, int, int, str]:
    """Soonest first; at one instant escalations, then overdue reminders, then leads: the most urgent first."""
    category = _KIND_ORDER[reminder.kind.partition(":")[0]]
    return reminder.send_at, _ROLE_ORDER[reminder.recipient_role], category, reminder.assessment_id, reminder.kind


def _snoozed(assessment: AssessmentView, reminder: PlannedReminder) -> bool:
    until = assessment.snoozed_until
    return reminder.recipient_role == "owner" and until is not None and reminder.send_at < until


def _due_day(assessment: AssessmentView, calendar: WorkCalendar) -> date:
    return assessment.due_at.astimezone(calendar.timezone).date()


def _leads(
    assessment: AssessmentView, rule: ReminderRule, calendar: WorkCalendar, quiet: QuietHours
) -> list[PlannedReminder]:
    """The lead reminders, longest lead first, each strictly before the due date (see the module docstring)."""
    tz = calendar.timezone
    due = assessment.due_at
    kept: list[PlannedReminder] = []
    for days in sorted(rule.lead_days, reverse=True):
        # Calendar days on the org's clock: 30 days before Monday 09:00 is a Saturday 09:00.
        nominal = (due.astimezone(tz) - days * _ONE_DAY).astimezone(UTC).astimezone(tz)
        send_at = next_send_instant(calendar, quiet, nominal)
        reason = f"{_days(days)} before the due date {_due_day(assessment, calendar)}"
        if send_at >= due:
            early = _last_opening_before(calendar, quiet, nominal, due)
            if early is None:
                continue
            send_at = early
            reason += ", sent early: none may go out between then and the due date"
        if kept and send_at < kept[-1].send_at:
            continue  # the previous lead reminder already goes out as late as any could
        if kept and send_at == kept[-1].send_at:
            kept.pop()
        kept.append(PlannedReminder(assessment.id, f"lead:{days}", "owner", send_at, reason, assessment.due_at))
    return kept


def _last_opening_before(
    calendar: WorkCalendar, quiet: QuietHours, nominal: datetime, due: datetime
) -> datetime | None:
    """The first allowed instant of the latest day, from `nominal`'s backwards, that has one before `due`."""
    tz = calendar.timezone
    day = nominal.astimezone(tz).date()
    for _ in range(SEARCH_DAYS):
        midnight = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC).astimezone(tz)
        opening = next_send_instant(calendar, quiet, midnight)
        if opening.date() == day and opening < due:
            return opening
        day -= _ONE_DAY
    return None


def _overdue(
    assessment: AssessmentView, rule: ReminderRule, calendar: WorkCalendar, quiet: QuietHours, horizon: datetime
) -> Iterator[PlannedReminder]:
    """Overdue reminders at `add_working_days(due_at, k * N)`, k = 1, 2, ..., moved to allowed instants.

    Computed step by step, N working days from the previous one: `add_working_days` lands on working time,
    from which the next step counts unchanged, so step k equals `add_working_days(due_at, k * N)` and a long
    overdue assessment costs one pass, not a pass per reminder.
    """
    every = rule.overdue_every_working_days
    nominal = assessment.due_at
    for count in itertools.count(1):  # ends: each step is at least a day later, and the horizon is finite
        nominal = calendar.add_working_days(nominal, every)
        if nominal >= horizon:  # moving only delays a reminder, so none later can fall before the horizon
            return
        reason = f"overdue since {_due_day(assessment, calendar)}: reminder {count}, every {_working_days(every)}"
        yield PlannedReminder(
            assessment.id, f"overdue:{count}", "owner", next_send_instant(calendar, quiet, nominal), reason,
            assessment.due_at,
        )


def _escalation(
    assessment: AssessmentView, step: EscalationStep, calendar: WorkCalendar, quiet: QuietHours
) -> PlannedReminder:
    nominal = calendar.add_working_days(assessment.due_at, step.after_working_days)
    who = "the owner's manager" if step.to == "manager" else "the admins"
    reason = f"{_working_days(step.after_working_days)} overdue (due {_due_day(assessment, calendar)}): {who} told"
    return PlannedReminder(
        assessment.id, f"escalate:{step.to}", step.to, next_send_instant(calendar, quiet, nominal), reason,
        assessment.due_at,
    )


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _working_days(n: int) -> str:
    return "1 working day" if n == 1 else f"{n} working days"
