"""The planner over a simulated 2027 (see `year.py`), checked against the real Macau calendar."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from handlers.reminders import digest, plan, snooze_until
from handlers.worktime import QuietHours, next_send_instant
from tests.handlers.reminders.year import (
    ADMINS,
    BY_ID,
    CALENDAR,
    CASES,
    END,
    FATES,
    MANAGERS,
    MO,
    RULES,
    SNOOZE_DAYS,
    START,
    Case,
    kinds,
    mo,
    recipients,
    rows_of,
    simulate,
    ticks,
    weekly,
)


def test_the_year_holds_five_assessments_of_each_type() -> None:
    assert sorted(case.type for case in CASES) == sorted(list(RULES) * 5)
    assert {case.fate for case in CASES} == set(FATES)


def test_every_instant_is_on_a_working_day_outside_quiet_hours() -> None:
    assert len(weekly()) > 500
    for _, reminder in weekly().values():
        rule = RULES[BY_ID[reminder.assessment_id].type]
        local = reminder.send_at
        assert local.tzinfo == CALENDAR.timezone
        assert CALENDAR.is_working_day(local.date()), reminder
        assert CALENDAR.holiday_name(local.date()) is None and local.weekday() < 5, reminder
        assert not QuietHours(rule.quiet_start, rule.quiet_end).contains(local, MO), reminder


@pytest.mark.parametrize(
    ("case_id", "expected"),
    [
        (1, [("lead:30", mo(12, 14, 9, year=2026)), ("lead:7", mo(1, 4, 9)), ("lead:1", mo(1, 8, 9))]),
        (
            4,
            [
                ("lead:90", mo(11, 9, 9, year=2026)),  # Sunday 8 November 2026
                ("lead:30", mo(1, 7, 10)),
                ("lead:7", mo(2, 1, 9)),  # Saturday 30 January
                ("lead:1", mo(2, 5, 10)),
            ],
        ),
        # 1 day before is Saturday 6 February, then the holiday to Monday: sent on the eve instead.
        (5, [("lead:30", mo(1, 8, 15)), ("lead:7", mo(2, 1, 9)), ("lead:1", mo(2, 5, 9))]),
        (
            6,
            [
                ("lead:90", mo(11, 10, 11, year=2026)),
                ("lead:30", mo(1, 11, 9)),  # Saturday 9 January
                ("lead:7", mo(2, 1, 11)),
                ("lead:1", mo(2, 5, 9)),
            ],
        ),
        (7, [("lead:30", mo(2, 11, 12)), ("lead:7", mo(3, 8, 9)), ("lead:1", mo(3, 12, 12))]),
        # From 22:00 the evening before into the quiet hours, then the morning of the due date.
        (15, [("lead:30", mo(5, 18, 9)), ("lead:7", mo(6, 10, 9)), ("lead:1", mo(6, 16, 9))]),
        (
            31,
            [
                ("lead:90", mo(9, 21, 10)),
                ("lead:30", mo(11, 22, 9)),  # Saturday 20 November
                ("lead:7", mo(12, 13, 10)),
                ("lead:1", mo(12, 17, 9)),  # Sunday 19th, then the holiday: the Friday before
            ],
        ),
    ],
)
def test_exact_lead_instants(case_id: int, expected: list[tuple[str, datetime]]) -> None:
    case = BY_ID[case_id]
    planned = plan(case.view(START), RULES[case.type], CALENDAR, now=START, horizon=case.due_at)
    assert [(r.kind, r.send_at) for r in planned] == expected


def test_lead_reminders_arrive_before_the_due_date_and_not_before_their_lead() -> None:
    for _, reminder in weekly().values():
        if reminder.kind.startswith("lead:"):
            due = BY_ID[reminder.assessment_id].due_at
            assert reminder.send_at < due, reminder
            if "sent early" not in reminder.reason:
                assert reminder.send_at >= due - timedelta(days=int(reminder.kind.removeprefix("lead:")))


def test_nothing_is_planned_after_done_or_waived() -> None:
    for case in CASES:
        if case.closed:
            status, closed_at = case.closed
            late = [r for _, r in rows_of(case) if r.send_at >= closed_at]
            assert late == [], (case, status)
            horizon = closed_at + timedelta(days=400)
            assert plan(case.view(closed_at), RULES[case.type], CALENDAR, now=closed_at, horizon=horizon) == []


def test_done_three_days_early_ends_the_leads() -> None:
    assert kinds(BY_ID[2], "lead") == ["lead:30", "lead:7"]
    assert rows_of(BY_ID[2], "overdue") == rows_of(BY_ID[2], "escalate") == []


def overdue_cases() -> Iterator[Case]:
    return (case for case in CASES if case.fate == "open" and case.due_at < END - timedelta(days=14))


def test_overdue_every_two_working_days_while_open() -> None:
    assert len(list(overdue_cases())) == 6
    for case in overdue_cases():
        overdue = [r for _, r in rows_of(case, "overdue:")]
        assert [r.kind for r in overdue] == [f"overdue:{k}" for k in range(1, len(overdue) + 1)]
        for k, reminder in enumerate(overdue[:15], start=1):  # the formula itself, for the first few
            nominal = CALENDAR.add_working_days(case.due_at, 2 * k)
            assert reminder.send_at == next_send_instant(CALENDAR, QuietHours(), nominal)
        for earlier, later in zip(overdue, overdue[1:], strict=False):
            # Two working days of 09:00-18:00 lie between consecutive reminders, at the same time of day.
            assert CALENDAR.working_time_between(earlier.send_at, later.send_at) == timedelta(hours=18)
            assert later.send_at.time() == earlier.send_at.time()
        assert overdue[-1].send_at >= END - timedelta(days=7)  # still going at the end of the year


def test_the_overdue_example() -> None:
    sent = [r.send_at for _, r in rows_of(BY_ID[1], "overdue:")][:12]
    days = [(1, 13), (1, 15), (1, 19), (1, 21), (1, 25), (1, 27), (1, 29), (2, 2), (2, 4), (2, 9), (2, 11), (2, 15)]
    assert sent == [mo(m, d, 9) for m, d in days]  # Friday 5 February counts; 6-8 are Chinese New Year


def open_at(case: Case, at: datetime) -> bool:
    return at < END and case.view(at).status == "open"


def test_escalation_to_the_manager_then_the_admins() -> None:
    for case in CASES:
        manager = [(person, r.send_at) for person, r in rows_of(case, "escalate:manager")]
        admins = [(person, r.send_at) for person, r in rows_of(case, "escalate:admins")]
        at_two = next_send_instant(CALENDAR, QuietHours(), CALENDAR.add_working_days(case.due_at, 2))
        at_five = next_send_instant(CALENDAR, QuietHours(), CALENDAR.add_working_days(case.due_at, 5))
        assert manager == ([(MANAGERS[case.owner], at_two)] if open_at(case, at_two) else []), case
        assert admins == ([(admin, at_five) for admin in ADMINS] if open_at(case, at_five) else []), case


def test_escalation_examples() -> None:
    # Due Monday 11 January 09:00: the manager on Wednesday 13th, the admins on Monday 18th.
    assert [(person, r.send_at) for person, r in rows_of(BY_ID[1], "escalate")] == [
        ("li", mo(1, 13, 9)),
        ("admin-1", mo(1, 18, 9)),
        ("admin-2", mo(1, 18, 9)),
    ]
    # Due Friday 5 February 15:00, the eve of Chinese New Year, done 4 working days late: the manager heard on
    # Wednesday 10th (the 2nd working day after), the admins never did.
    assert [(person, r.send_at) for person, r in rows_of(BY_ID[3], "escalate")] == [("sousa", mo(2, 10, 15))]


def test_a_snooze_holds_back_the_owner_until_it_ends_and_never_past_the_due_date() -> None:
    snoozed = [case for case in CASES if case.fate == "snoozed"]
    held_back = 0
    for case in snoozed:
        assert case.snoozed_at is not None
        until = snooze_until(case.snoozed_at, SNOOZE_DAYS, case.due_at, CALENDAR)
        assert until <= case.due_at
        assert [r for _, r in rows_of(case) if case.snoozed_at <= r.send_at < until] == []
        unsnoozed = plan(case.view(START), RULES[case.type], CALENDAR, now=case.snoozed_at, horizon=until)
        held_back += len(unsnoozed)
    assert held_back >= 4  # the 7-day leads of most of them
    # Due Sunday 7 February: snoozed Thursday 28 January 15:00 for 3 working days, to Tuesday 2nd 15:00.
    assert kinds(BY_ID[5], "lead") == ["lead:30", "lead:1"]


def test_a_snooze_that_would_pass_the_due_date_ends_at_it() -> None:
    case = BY_ID[35]  # due Friday 31 December 23:30
    assert snooze_until(mo(12, 30, 10), 3, case.due_at, CALENDAR) == case.due_at


def test_one_digest_per_person_and_instant() -> None:
    groups = digest(weekly().values())
    assert sum(len(group) for group in groups.values()) == len(weekly())
    for (person, at), group in groups.items():
        assert all(r.send_at == at for r in group)
        assert len({r.idempotency_key(person) for r in group}) == len(group)
    # Ana: two overdue assessments, then the 30-day leads of two due Monday 15 March (at 09:00 and 17:00).
    ana = groups[("ana", mo(2, 15, 9))]
    assert [(r.assessment_id, r.kind) for r in ana] == [
        (1, "overdue:12"),
        (4, "overdue:2"),
        (8, "lead:30"),
        (9, "lead:30"),
    ]
    # Bruno: two assessments due during Chinese New Year, both reminded on its eve.
    assert [(r.assessment_id, r.kind) for r in groups[("bruno", mo(2, 5, 9))]] == [(5, "lead:1"), (6, "lead:1")]
    # Three assessments due over Chinese New Year: their escalations after it go out as one card each.
    assert [(r.assessment_id, r.kind) for r in groups[("li", mo(2, 11, 9))]] == [
        (4, "escalate:manager"),
        (5, "escalate:manager"),
        (6, "escalate:manager"),
    ]
    for admin in ADMINS:
        assert [r.assessment_id for r in groups[(admin, mo(2, 16, 9))]] == [4, 5, 6]
    # One line per assessment: nobody gets two reminders of one assessment at once.
    assert all(len({r.assessment_id for r in group}) == len(group) for group in groups.values())


def test_keys_are_stable_when_replanning_from_later_instants() -> None:
    steady = [case for case in CASES if case.fate == "open"]
    expected = {key for key, (_, r) in weekly().items() if BY_ID[r.assessment_id].fate == "open"}
    # Every 5 days at another time of day, each run looking 12 days ahead: every window overlaps the last two.
    later = simulate(steady, ticks(START + timedelta(hours=7, minutes=5), timedelta(days=5), []), timedelta(days=12))
    assert {key for key, (_, r) in later.items() if r.send_at < END} == expected
    in_one_go: set[str] = set()
    for case in steady:
        for reminder in plan(case.view(START), RULES[case.type], CALENDAR, now=START, horizon=END):
            in_one_go |= {reminder.idempotency_key(person) for person in recipients(case, reminder)}
    assert in_one_go == expected
