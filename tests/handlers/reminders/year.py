"""A simulated 2027: 35 assessments, five of each type, planned by a weekly job and on every change.

The simulation stands in for storage the way the design page describes it: rows keyed by idempotency key,
inserted with "on conflict do nothing", and the planner re-run at each tick and whenever an assessment is
closed or snoozed. The tests in `test_year.py` check what it stored against the real Macau calendar.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from handlers.reminders import AssessmentView, PlannedReminder, default_rules, plan, snooze_until
from handlers.worktime import WorkCalendar

MO = ZoneInfo("Asia/Macau")
CALENDAR = WorkCalendar()
RULES = default_rules()
MANAGERS = {"ana": "li", "bruno": "li", "chen": "sousa"}
ADMINS = ("admin-1", "admin-2")
START = datetime(2026, 9, 1, 12, 34, tzinfo=MO)  # early enough for the 90-day leads of January
END = datetime(2028, 1, 1, tzinfo=MO)
Fate = Literal["open", "done-early", "done-late", "waived", "snoozed"]
FATES: tuple[Fate, ...] = ("open", "done-early", "done-late", "waived", "snoozed")
SNOOZE_DAYS = 3


def mo(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2027) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=MO)


@dataclass(frozen=True)
class Case:
    """An assessment and what happens to it: its fate cycles through FATES by id."""

    id: int
    type: str
    owner: str
    due_at: datetime

    @property
    def fate(self) -> Fate:
        return FATES[(self.id - 1) % len(FATES)]

    @property
    def closed(self) -> tuple[str, datetime] | None:
        """Done 3 days early, done after the manager heard (4 working days late), or waived after 10."""
        if self.fate == "done-early":
            return "done", self.due_at - timedelta(days=3)
        if self.fate == "done-late":
            return "done", CALENDAR.add_working_days(self.due_at, 4) + timedelta(minutes=30)
        if self.fate == "waived":
            return "waived", CALENDAR.add_working_days(self.due_at, 10)
        if self.fate == "snoozed":
            return "done", CALENDAR.add_working_days(self.due_at, 7)
        return None

    @property
    def snoozed_at(self) -> datetime | None:
        return self.due_at - timedelta(days=10) if self.fate == "snoozed" else None

    def events(self) -> list[datetime]:
        return [at for at in (self.snoozed_at, self.closed and self.closed[1]) if at]

    def view(self, at: datetime) -> AssessmentView:
        status = self.closed[0] if self.closed and self.closed[1] <= at else "open"
        snoozed = None
        if self.snoozed_at and self.snoozed_at <= at:
            snoozed = snooze_until(self.snoozed_at, SNOOZE_DAYS, self.due_at, CALENDAR)
        return AssessmentView(self.id, self.type, self.owner, self.due_at, status, snoozed)


CASES = [
    Case(1, "transfer_route", "ana", mo(1, 11, 9)),  # a Monday
    Case(2, "notification", "bruno", mo(1, 20, 16)),
    Case(3, "prior_authorisation", "chen", mo(2, 5, 15)),  # Chinese New Year's Eve
    Case(4, "processor_contract", "ana", mo(2, 6, 10)),  # Chinese New Year, a Saturday
    Case(5, "impact_assessment", "bruno", mo(2, 7, 15)),  # its second day, a Sunday
    Case(6, "simplified_notification_renewal", "bruno", mo(2, 8, 11)),  # its third day, a Monday
    Case(7, "self_assessment", "chen", mo(3, 13, 12)),  # a Saturday
    Case(8, "transfer_route", "ana", mo(3, 15, 9)),
    Case(9, "notification", "ana", mo(3, 15, 17)),
    Case(10, "prior_authorisation", "bruno", mo(4, 5, 9)),  # Ching Ming, a Monday
    Case(11, "processor_contract", "chen", mo(4, 21, 14, 30)),
    Case(12, "impact_assessment", "ana", mo(5, 1, 10)),  # Labour Day, a Saturday
    Case(13, "simplified_notification_renewal", "chen", mo(5, 19, 8)),
    Case(14, "self_assessment", "bruno", mo(6, 2, 11)),
    Case(15, "transfer_route", "chen", mo(6, 16, 22)),  # at 22:00, in quiet hours
    Case(16, "notification", "ana", mo(6, 30, 18, 30)),
    Case(17, "prior_authorisation", "ana", mo(7, 14, 9, 30)),
    Case(18, "processor_contract", "bruno", mo(7, 28, 13)),
    Case(19, "impact_assessment", "chen", mo(8, 11, 10)),
    Case(20, "simplified_notification_renewal", "ana", mo(8, 25, 16, 45)),
    Case(21, "self_assessment", "chen", mo(9, 15, 10)),
    Case(22, "transfer_route", "bruno", mo(9, 16, 10)),  # the day after Mid-Autumn
    Case(23, "notification", "chen", mo(10, 1, 14)),  # National Day
    Case(24, "prior_authorisation", "ana", mo(10, 8, 9)),  # Chung Yeung
    Case(25, "processor_contract", "ana", mo(10, 20, 12)),
    Case(26, "impact_assessment", "bruno", mo(11, 3, 19, 30)),
    Case(27, "simplified_notification_renewal", "chen", mo(11, 17, 9)),
    Case(28, "self_assessment", "ana", mo(11, 24, 15)),
    Case(29, "transfer_route", "ana", mo(12, 1, 11)),
    Case(30, "notification", "bruno", mo(12, 8, 10)),
    Case(31, "prior_authorisation", "chen", mo(12, 20, 10)),  # Macao SAR Establishment Day, a Monday
    Case(32, "processor_contract", "bruno", mo(12, 20, 22)),
    Case(33, "impact_assessment", "chen", mo(12, 24, 17)),
    Case(34, "simplified_notification_renewal", "ana", mo(12, 29, 9)),
    Case(35, "self_assessment", "bruno", mo(12, 31, 23, 30)),
]
BY_ID = {case.id: case for case in CASES}


def recipients(case: Case, reminder: PlannedReminder) -> tuple[str, ...]:
    if reminder.recipient_role == "owner":
        return (case.owner,)
    return (MANAGERS[case.owner],) if reminder.recipient_role == "manager" else ADMINS


def ticks(first: datetime, every: timedelta, extra: list[datetime]) -> list[datetime]:
    regular = [first + n * every for n in range((END - first) // every + 1)]
    return sorted(at for at in {*regular, *extra} if at < END)


Row = tuple[str, PlannedReminder]  # (recipient, reminder)


def simulate(cases: list[Case], at: list[datetime], lookahead: timedelta | None) -> dict[str, Row]:
    """Plan at every tick, up to the next tick (or `lookahead` further); the store keeps a key's first row."""
    store: dict[str, Row] = {}
    for now, following in zip(at, [*at[1:], END], strict=True):
        horizon = now + lookahead if lookahead else following
        for case in cases:
            for reminder in plan(case.view(now), RULES[case.type], CALENDAR, now=now, horizon=horizon):
                for person in recipients(case, reminder):
                    key = reminder.idempotency_key(person)
                    assert store.setdefault(key, (person, reminder)) == (person, reminder), key
    return store


@functools.cache
def weekly() -> dict[str, Row]:
    """Every Tuesday at 12:34, and at each snooze and closing, up to the next of those."""
    return simulate(CASES, ticks(START, timedelta(days=7), [at for case in CASES for at in case.events()]), None)


def rows_of(case: Case, kind_prefix: str = "") -> list[Row]:
    found = [row for row in weekly().values() if row[1].assessment_id == case.id]
    return sorted((row for row in found if row[1].kind.startswith(kind_prefix)), key=lambda r: (r[1].send_at, r[0]))


def kinds(case: Case, kind_prefix: str) -> list[str]:
    return [r.kind for _, r in rows_of(case, kind_prefix)]
