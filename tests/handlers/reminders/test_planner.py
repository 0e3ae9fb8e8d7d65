"""The planner, one behaviour at a time, on the real Macau calendar (2027: Chinese New Year is 6-8 February)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from handlers.reminders import (
    AssessmentView,
    EscalationStep,
    PlannedReminder,
    ReminderRule,
    default_rules,
    digest,
    plan,
    snooze_until,
)
from handlers.worktime import WorkCalendar

MO = ZoneInfo("Asia/Macau")
CALENDAR = WorkCalendar()
RULES = default_rules()
EARLY = datetime(2026, 1, 1, tzinfo=MO)


def mo(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2027) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=MO)


def view(due_at: datetime, kind: str = "transfer_route", **changes: object) -> AssessmentView:
    fields: dict[str, object] = {"id": 7, "type": kind, "owner": "ana", "due_at": due_at, "status": "open"}
    return AssessmentView(**(fields | changes))  # type: ignore[arg-type]


def rows(
    assessment: AssessmentView,
    rule: ReminderRule | None = None,
    *,
    now: datetime = EARLY,
    horizon: datetime | None = None,
) -> list[tuple[str, str, datetime]]:
    chosen = rule or RULES[assessment.type]
    end = horizon or assessment.due_at + timedelta(days=10)
    return [(r.kind, r.recipient_role, r.send_at) for r in plan(assessment, chosen, CALENDAR, now=now, horizon=end)]


# Due Wednesday 15 September 2027 10:00, the day before the Mid-Autumn holiday (Thursday 16 September).
SEPTEMBER_APPROACH = [
    ("lead:30", "owner", mo(8, 16, 10)),
    ("lead:7", "owner", mo(9, 8, 10)),
    ("lead:1", "owner", mo(9, 14, 10)),
]
SEPTEMBER_OVERDUE = [
    ("overdue:1", "owner", mo(9, 20, 10)),  # Friday 17 and Monday 20 are the two working days after
    ("escalate:manager", "manager", mo(9, 20, 10)),
    ("overdue:2", "owner", mo(9, 22, 10)),
    ("escalate:admins", "admins", mo(9, 23, 10)),
    ("overdue:3", "owner", mo(9, 24, 10)),
]


@pytest.mark.parametrize(
    ("kind", "early_leads"),
    [
        ("transfer_route", []),
        ("notification", []),
        ("prior_authorisation", [("lead:90", "owner", mo(6, 17, 10))]),
        ("processor_contract", [("lead:90", "owner", mo(6, 17, 10))]),
        ("impact_assessment", []),
        ("simplified_notification_renewal", [("lead:90", "owner", mo(6, 17, 10))]),
        ("self_assessment", []),
    ],
)
def test_each_default_rule(kind: str, early_leads: list[tuple[str, str, datetime]]) -> None:
    planned = rows(view(mo(9, 15, 10), kind), horizon=mo(9, 25))
    assert planned == early_leads + SEPTEMBER_APPROACH + SEPTEMBER_OVERDUE


def test_a_lead_on_a_weekend_moves_to_monday_morning() -> None:
    # Due Monday 11 January 09:00: 30 days before is Saturday 12 December 2026.
    planned = rows(view(mo(1, 11, 9)), horizon=mo(1, 11, 9))
    assert planned[0] == ("lead:30", "owner", mo(12, 14, 9, year=2026))
    assert planned[1] == ("lead:7", "owner", mo(1, 4, 9))


def test_a_lead_that_moving_would_make_late_is_sent_early_instead() -> None:
    # 1 day before Monday 09:00 is Sunday; the next allowed instant is the deadline itself, so Friday morning.
    reminders = plan(view(mo(1, 11, 9)), RULES["transfer_route"], CALENDAR, now=EARLY, horizon=mo(1, 11, 9))
    last = reminders[-1]
    assert (last.kind, last.send_at) == ("lead:1", mo(1, 8, 9))
    assert last.reason == (
        "1 day before the due date 2027-01-11, sent early: none may go out between then and the due date"
    )


def test_the_last_lead_before_chinese_new_year_is_sent_on_the_eve() -> None:
    # Due on the third day of the new year (a holiday), 11:00: 1 day before is Sunday, a holiday too.
    assert rows(view(mo(2, 8, 11)), horizon=mo(2, 8, 11)) == [
        ("lead:30", "owner", mo(1, 11, 9)),  # Saturday 9 January
        ("lead:7", "owner", mo(2, 1, 11)),
        ("lead:1", "owner", mo(2, 5, 9)),
    ]


def test_leads_landing_on_one_instant_keep_the_shorter() -> None:
    rule = ReminderRule(assessment_type="notification", lead_days=(3, 2, 1), escalation=())
    # Due Tuesday 12 January 09:30: 3 and 2 days before are Saturday and Sunday, both moved to Monday 09:00.
    assert rows(view(mo(1, 12, 9, 30), "notification"), rule, horizon=mo(1, 12, 9, 30)) == [
        ("lead:2", "owner", mo(1, 11, 9)),
        ("lead:1", "owner", mo(1, 11, 9, 30)),
    ]


def test_a_lead_sent_early_onto_an_earlier_lead_merges_with_it() -> None:
    rule = ReminderRule(assessment_type="notification", lead_days=(2, 1), escalation=())
    # Due Tuesday 9 February 09:00, right after the holiday: both leads would arrive at the deadline.
    assert rows(view(mo(2, 9, 9), "notification"), rule, horizon=mo(2, 9, 9)) == [("lead:1", "owner", mo(2, 5, 9))]


def test_a_lead_that_cannot_go_after_the_previous_one_is_dropped() -> None:
    rule = ReminderRule(assessment_type="notification", lead_days=(3, 1), escalation=())
    # Due Monday 8 February 19:00 (a holiday): 3 days before is Friday 19:00, after which nothing may go out.
    assert rows(view(mo(2, 8, 19), "notification"), rule, horizon=mo(2, 8, 19)) == [("lead:3", "owner", mo(2, 5, 19))]


def test_a_due_date_at_22_00_gets_its_last_lead_that_morning() -> None:
    # 1 day before Wednesday 16 June 22:00 is Tuesday 22:00, in quiet hours until Wednesday 09:00.
    assert rows(view(mo(6, 16, 22)), horizon=mo(6, 16, 22))[-1] == ("lead:1", "owner", mo(6, 16, 9))


def test_leads_already_past_are_not_planned_but_moved_ones_still_due_are() -> None:
    due = mo(1, 11, 9)
    # Sunday 13 December 2026: the 30-day lead (Saturday, moved to Monday 14 December) is still to come.
    assert [k for k, _, _ in rows(view(due), now=mo(12, 13, 12, year=2026), horizon=due)] == [
        "lead:30",
        "lead:7",
        "lead:1",
    ]
    assert [k for k, _, _ in rows(view(due), now=mo(1, 4, 9, 1), horizon=due)] == ["lead:1"]


def test_now_is_inclusive_and_the_horizon_exclusive() -> None:
    due = mo(9, 15, 10)
    assert rows(view(due), now=mo(9, 14, 10), horizon=mo(9, 20, 10)) == [("lead:1", "owner", mo(9, 14, 10))]


def test_overdue_reminders_follow_the_rule_and_its_quiet_hours() -> None:
    rule = ReminderRule(
        assessment_type="impact_assessment",
        lead_days=(),
        overdue_every_working_days=3,
        escalation=(),
        quiet_start=time(12, 0),
        quiet_end=time(14, 0),
    )
    # Due Friday 5 March 12:30, in the lunchtime quiet hours: reminders every 3 working days, moved to 14:00.
    assert rows(view(mo(3, 5, 12, 30), "impact_assessment"), rule, horizon=mo(3, 20)) == [
        ("overdue:1", "owner", mo(3, 10, 14)),
        ("overdue:2", "owner", mo(3, 15, 14)),
        ("overdue:3", "owner", mo(3, 18, 14)),
    ]


def test_custom_escalation_steps() -> None:
    rule = ReminderRule(
        assessment_type="transfer_route",
        lead_days=(),
        overdue_every_working_days=10,
        escalation=(
            EscalationStep(after_working_days=1, to="manager"),
            EscalationStep(after_working_days=3, to="admins"),
        ),
    )
    # Due Thursday 30 September 18:30, after working hours: counting starts at Monday 4 October 09:00, since
    # Friday 1 October is National Day.
    assert rows(view(mo(9, 30, 18, 30)), rule, horizon=mo(10, 12)) == [
        ("escalate:manager", "manager", mo(10, 5, 9)),
        ("escalate:admins", "admins", mo(10, 7, 9)),
    ]


@pytest.mark.parametrize("status", ["done", "waived"])
def test_nothing_once_done_or_waived(status: str) -> None:
    assert rows(view(mo(9, 15, 10), status=status), horizon=mo(12, 31)) == []


def test_in_progress_is_reminded_like_open() -> None:
    due = mo(9, 15, 10)
    assert rows(view(due, status="in_progress"), horizon=mo(9, 25)) == rows(view(due), horizon=mo(9, 25))


def test_a_snooze_holds_back_owner_reminders_but_never_escalations() -> None:
    due = mo(9, 15, 10)
    snoozed = view(due, snoozed_until=mo(9, 22, 10))
    assert rows(snoozed, now=mo(9, 1), horizon=mo(9, 25)) == [
        ("escalate:manager", "manager", mo(9, 20, 10)),
        ("overdue:2", "owner", mo(9, 22, 10)),
        ("escalate:admins", "admins", mo(9, 23, 10)),
        ("overdue:3", "owner", mo(9, 24, 10)),
    ]


def test_snooze_counts_working_days_and_ends_by_the_due_date() -> None:
    due = mo(9, 15, 10)
    assert snooze_until(mo(9, 3, 15), 1, due, CALENDAR) == mo(9, 6, 15)  # Friday to Monday
    assert snooze_until(mo(9, 3, 15), 3, due, CALENDAR) == mo(9, 8, 15)
    assert snooze_until(mo(9, 13, 11), 3, due, CALENDAR) == due  # 3 working days on is Friday 17th
    assert snooze_until(mo(9, 20, 11), 1, due, CALENDAR) == due  # overdue: the snooze is already over
    assert snooze_until(mo(9, 3, 15), 1, due, CALENDAR).tzinfo == MO


def test_a_snooze_lasts_at_least_a_day() -> None:
    with pytest.raises(ValueError, match="at least one day"):
        snooze_until(mo(9, 3), 0, mo(9, 15), CALENDAR)


def test_idempotency_key() -> None:
    reminder = plan(view(mo(1, 11, 9)), RULES["transfer_route"], CALENDAR, now=EARLY, horizon=mo(1, 1))[0]
    assert reminder.send_at.tzinfo == MO
    assert reminder.idempotency_key("ana") == "assessment:7|rule:lead:30|due:2027-01-11T01:00:00+00:00|to:ana"
    with pytest.raises(ValueError, match="userId"):
        reminder.idempotency_key("ana|bruno")


def test_keys_do_not_depend_on_the_timezone_send_at_is_written_in() -> None:
    at = mo(3, 1, 9)
    local = PlannedReminder(1, "lead:7", "owner", at, "")
    utc = PlannedReminder(1, "lead:7", "owner", at.astimezone(UTC), "")
    assert local.idempotency_key("ana") == utc.idempotency_key("ana")


def test_digest_groups_by_person_and_instant_in_sending_order() -> None:
    nine, ten = mo(3, 1, 9), mo(3, 1, 10)
    a = PlannedReminder(2, "lead:7", "owner", nine, "")
    b = PlannedReminder(1, "lead:30", "owner", nine, "")
    c = PlannedReminder(3, "escalate:manager", "manager", nine.astimezone(UTC), "")
    d = PlannedReminder(4, "overdue:1", "owner", ten, "")
    e = PlannedReminder(5, "overdue:3", "owner", nine, "")
    groups = digest([("ana", d), ("ana", b), ("li", c), ("ana", a), ("ana", e), ("ana", a)])
    assert list(groups) == [("ana", nine), ("li", nine), ("ana", ten)]
    assert groups[("ana", nine)] == [e, b, a]  # overdue before upcoming; a, given twice, appears once
    assert groups[("li", nine)] == [c]
    assert groups[("ana", ten)] == [d]


def test_naive_datetimes_and_wiring_mistakes_are_refused() -> None:
    rule = RULES["transfer_route"]
    with pytest.raises(ValueError, match="due_at must be a timezone-aware"):
        view(datetime(2027, 3, 1, 9))
    with pytest.raises(ValueError, match="snoozed_until must be a timezone-aware"):
        view(mo(3, 1), snoozed_until=datetime(2027, 2, 1))
    with pytest.raises(ValueError, match="now must be a timezone-aware"):
        plan(view(mo(3, 1)), rule, CALENDAR, now=datetime(2027, 1, 1), horizon=mo(4, 1))
    with pytest.raises(ValueError, match="horizon"):
        plan(view(mo(3, 1)), rule, CALENDAR, now=mo(4, 1), horizon=mo(3, 1))
    with pytest.raises(ValueError, match="cannot plan a notification"):
        plan(view(mo(3, 1), "notification"), rule, CALENDAR, now=EARLY, horizon=mo(4, 1))
    with pytest.raises(ValueError, match="unknown assessment status"):
        view(mo(3, 1), status="overdue")
