"""Reminder rules: the defaults of every assessment type, and field-named errors for what admins submit."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from pydantic import ValidationError

from handlers.reminders import ASSESSMENT_TYPES, EscalationStep, FieldError, ReminderRule, default_rules, rule_errors
from storage.models import ASSESSMENT_TYPES as STORED_TYPES

DEFAULT_ESCALATION = (
    EscalationStep(after_working_days=2, to="manager"),
    EscalationStep(after_working_days=5, to="admins"),
)


def test_the_rules_cover_exactly_the_assessment_types_storage_accepts() -> None:
    assert set(ASSESSMENT_TYPES) == set(STORED_TYPES)
    assert set(default_rules()) == set(STORED_TYPES)


@pytest.mark.parametrize(
    ("assessment_type", "lead_days"),
    [
        ("transfer_route", (30, 7, 1)),
        ("notification", (30, 7, 1)),
        ("prior_authorisation", (90, 30, 7, 1)),
        ("processor_contract", (90, 30, 7, 1)),
        ("impact_assessment", (30, 7, 1)),
        ("simplified_notification_renewal", (90, 30, 7, 1)),
        ("self_assessment", (30, 7, 1)),
    ],
)
def test_default_rule(assessment_type: str, lead_days: tuple[int, ...]) -> None:
    rule = default_rules()[assessment_type]
    assert rule.assessment_type == assessment_type
    assert rule.lead_days == lead_days
    assert rule.overdue_every_working_days == 2
    assert rule.escalation == DEFAULT_ESCALATION
    assert rule.channel == "card"
    assert (rule.quiet_start, rule.quiet_end) == (time(20, 0), time(9, 0))


def test_stored_json_round_trips_with_quiet_hours_as_hh_mm() -> None:
    rule = default_rules()["processor_contract"]
    stored = rule.model_dump(mode="json")
    assert stored == {
        "assessment_type": "processor_contract",
        "lead_days": [90, 30, 7, 1],
        "overdue_every_working_days": 2,
        "escalation": [{"after_working_days": 2, "to": "manager"}, {"after_working_days": 5, "to": "admins"}],
        "channel": "card",
        "quiet_start": "20:00",
        "quiet_end": "09:00",
    }
    assert ReminderRule.model_validate(stored) == rule
    assert rule_errors(stored) == []


def test_lead_days_are_kept_longest_first() -> None:
    rule = ReminderRule.model_validate({"assessment_type": "notification", "lead_days": [1, 14, 3]})
    assert rule.lead_days == (14, 3, 1)


def test_no_leads_no_escalation_and_quiet_hours_that_do_not_wrap_are_valid() -> None:
    data = {
        "assessment_type": "self_assessment",
        "lead_days": [],
        "escalation": [],
        "channel": "todo",
        "quiet_start": "12:00",
        "quiet_end": "14:00",
    }
    assert rule_errors(data) == []


def error(field: str, message: str) -> list[FieldError]:
    return [FieldError(field, message)]


BASE: dict[str, Any] = {"assessment_type": "transfer_route"}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"lead_days": [30, 0]}, error("lead_days", "lead days must be between 1 and 366, got 0")),
        ({"lead_days": [-7]}, error("lead_days", "lead days must be between 1 and 366, got -7")),
        ({"lead_days": [367]}, error("lead_days", "lead days must be between 1 and 366, got 367")),
        ({"lead_days": [30, 7, 30]}, error("lead_days", "lead days must be distinct, 30 is given twice")),
        ({"lead_days": [30, "7"]}, error("lead_days[1]", "Input should be a valid integer")),
        ({"lead_days": [True]}, error("lead_days[0]", "Input should be a valid integer")),
        ({"lead_days": 30}, error("lead_days", "Input should be a valid tuple")),
        (
            {"overdue_every_working_days": 0},
            error("overdue_every_working_days", "Input should be greater than or equal to 1"),
        ),
        (
            {"escalation": [{"after_working_days": 5, "to": "manager"}, {"after_working_days": 3, "to": "admins"}]},
            error(
                "escalation",
                "escalation steps must come strictly later one after another: after 5 working days, then after 3",
            ),
        ),
        (
            {"escalation": [{"after_working_days": 2, "to": "manager"}, {"after_working_days": 2, "to": "admins"}]},
            error(
                "escalation",
                "escalation steps must come strictly later one after another: after 2 working days, then after 2",
            ),
        ),
        (
            {"overdue_every_working_days": 367},
            error("overdue_every_working_days", "Input should be less than or equal to 366"),
        ),
        (
            {"escalation": [{"after_working_days": 10_000_000, "to": "manager"}]},
            error("escalation[0].after_working_days", "Input should be less than or equal to 366"),
        ),
        (
            {"escalation": [{"after_working_days": 0, "to": "manager"}]},
            error("escalation[0].after_working_days", "Input should be greater than or equal to 1"),
        ),
        (
            {"escalation": [{"after_working_days": 2, "to": "ceo"}]},
            error("escalation[0].to", "Input should be 'manager' or 'admins'"),
        ),
        (
            {"escalation": [{"after_working_days": 2, "to": "manager", "cc": "x"}]},
            error("escalation[0].cc", "unknown field"),
        ),
        ({"channel": "sms"}, error("channel", "Input should be 'card', 'work_notice' or 'todo'")),
        (
            {"quiet_start": "8pm"},
            error("quiet_start", "quiet hours must be given as HH:MM (00:00 to 23:59), got '8pm'"),
        ),
        (
            {"quiet_end": "24:00"},
            error("quiet_end", "quiet hours must be given as HH:MM (00:00 to 23:59), got '24:00'"),
        ),
        (
            {"quiet_end": "09:00:30"},
            error("quiet_end", "quiet hours must be given as HH:MM (00:00 to 23:59), got '09:00:30'"),
        ),
        (
            {"quiet_start": "21:00", "quiet_end": "21:00"},
            error("quiet_end", "quiet_end must differ from quiet_start (the quiet hours may wrap past midnight)"),
        ),
        ({"lead": [30]}, error("lead", "unknown field")),
    ],
)
def test_rule_errors_name_the_field(changes: dict[str, Any], expected: list[FieldError]) -> None:
    assert rule_errors(BASE | changes) == expected


def test_every_error_is_reported_at_once() -> None:
    data = {"assessment_type": "audit", "overdue_every_working_days": 0, "channel": "fax"}
    assert [e.field for e in rule_errors(data)] == ["assessment_type", "overdue_every_working_days", "channel"]


def test_a_missing_assessment_type_is_required() -> None:
    assert rule_errors({}) == error("assessment_type", "required")


def test_python_construction_validates_and_refuses_seconds_and_timezones() -> None:
    with pytest.raises(ValidationError, match="whole minutes"):
        ReminderRule(assessment_type="notification", quiet_start=time(20, 0, 30))
    with pytest.raises(ValidationError, match="lead days must be distinct"):
        ReminderRule(assessment_type="notification", lead_days=(7, 7))


def test_rules_are_frozen() -> None:
    rule = default_rules()["notification"]
    with pytest.raises(ValidationError):
        rule.channel = "todo"  # type: ignore[misc]
