"""Reminder rules, one per assessment type: when owners are reminded, how often when overdue, who else is told.

Admins edit the rules; `rule_errors` reports what is wrong with a submitted rule field by field, and
`ReminderRule.model_dump(mode="json")` is what storage keeps (quiet hours as "HH:MM").
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_serializer,
    field_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

AssessmentType = Literal[
    "transfer_route",
    "notification",
    "prior_authorisation",
    "processor_contract",
    "impact_assessment",
    "simplified_notification_renewal",
    "self_assessment",
]
ASSESSMENT_TYPES: tuple[AssessmentType, ...] = get_args(AssessmentType)
Channel = Literal["card", "work_notice", "todo"]
EscalationTarget = Literal["manager", "admins"]

# A year ahead is as far as anyone plans a deadline; a longer lead is a typo (days for hours, say).
MAX_LEAD_DAYS = 366
# The planner counts working days one by one; a bigger count is a typo, and would hold the bot up while counted.
MAX_WORKING_DAYS = 366
HH_MM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")  # quiet hours on the org's clock


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EscalationStep(_Strict):
    """Tell someone besides the owner once the assessment is this many working days overdue."""

    after_working_days: StrictInt = Field(ge=1, le=MAX_WORKING_DAYS)
    to: EscalationTarget


class ReminderRule(_Strict):
    """How one assessment type is reminded; the defaults are the design page's."""

    assessment_type: AssessmentType
    lead_days: tuple[StrictInt, ...] = (30, 7, 1)
    overdue_every_working_days: StrictInt = Field(default=2, ge=1, le=MAX_WORKING_DAYS)
    escalation: tuple[EscalationStep, ...] = (
        EscalationStep(after_working_days=2, to="manager"),
        EscalationStep(after_working_days=5, to="admins"),
    )
    channel: Channel = "card"
    quiet_start: time = time(20, 0)
    quiet_end: time = time(9, 0)

    @field_validator("lead_days")
    @classmethod
    def _leads(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        for days in value:
            if not 1 <= days <= MAX_LEAD_DAYS:
                raise PydanticCustomError("lead_days_range", "lead days must be between 1 and {max}, got {days}",
                                          {"max": MAX_LEAD_DAYS, "days": days})
        if repeated := sorted({days for days in value if value.count(days) > 1}):
            raise PydanticCustomError("lead_days_repeated", "lead days must be distinct, {days} is given twice",
                                      {"days": repeated[0]})
        # Longest lead first, the order the reminders go out in.
        return tuple(sorted(value, reverse=True))

    @field_validator("escalation")
    @classmethod
    def _increasing(cls, value: tuple[EscalationStep, ...]) -> tuple[EscalationStep, ...]:
        for earlier, later in zip(value, value[1:], strict=False):
            if later.after_working_days <= earlier.after_working_days:
                raise PydanticCustomError(
                    "escalation_order",
                    "escalation steps must come strictly later one after another: "
                    "after {earlier} working days, then after {later}",
                    {"earlier": earlier.after_working_days, "later": later.after_working_days},
                )
        return value

    @field_validator("quiet_start", "quiet_end", mode="before")
    @classmethod
    def _hh_mm(cls, value: object) -> object:
        if isinstance(value, time):
            if value.tzinfo is not None or value.second or value.microsecond:
                raise PydanticCustomError("quiet_hours_minutes",
                                          "quiet hours are whole minutes on the org's clock, with no timezone")
            return value
        if not isinstance(value, str) or not HH_MM.match(value):
            raise PydanticCustomError("quiet_hours_format",
                                      "quiet hours must be given as HH:MM (00:00 to 23:59), got {given}",
                                      {"given": repr(value)})
        return value

    @field_validator("quiet_end")
    @classmethod
    def _not_empty(cls, value: time, info: ValidationInfo) -> time:
        # QuietHours reads equal times as "never quiet"; a rule says that by a deliberate window, not by accident.
        if info.data.get("quiet_start") == value:
            raise PydanticCustomError(
                "quiet_hours_equal", "quiet_end must differ from quiet_start (the quiet hours may wrap past midnight)")
        return value

    @field_serializer("quiet_start", "quiet_end", when_used="json")
    def _as_hh_mm(self, value: time) -> str:
        return value.strftime("%H:%M")


@dataclass(frozen=True)
class FieldError:
    """One thing wrong with a submitted rule: the field's path (`escalation[1].to`) and what is wrong, in English;
    `type` and `ctx` are pydantic's (or our validators') for a page to say it in its own language."""

    field: str
    message: str
    type: str = dataclasses.field(default="", compare=False)
    ctx: Mapping[str, Any] = dataclasses.field(default_factory=dict, compare=False)


def rule_errors(data: Mapping[str, Any]) -> list[FieldError]:
    """Everything wrong with `data` as a `ReminderRule`, field by field; empty when it is valid."""
    try:
        ReminderRule.model_validate(dict(data))
    except ValidationError as exc:
        return [_field_error(error) for error in exc.errors()]
    return []


def _field_error(error: ErrorDetails) -> FieldError:
    # The rules pack's spelling of a path: escalation[1].to
    path = ""
    for part in error["loc"]:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    kind = error["type"]
    if kind == "value_error":
        message = str(error.get("ctx", {}).get("error", error["msg"]))
    elif kind == "extra_forbidden":
        message = "unknown field"
    elif kind == "missing":
        message = "required"
    else:
        message = error["msg"]
    return FieldError(field=path or "rule", message=message, type=kind, ctx=error.get("ctx", {}))


LONG_LEADS: tuple[int, ...] = (90, 30, 7, 1)


def default_rules() -> dict[str, ReminderRule]:
    """The rule every assessment type starts with, until an admin saves another.

    All take the design page's defaults (30, 7 and 1 days ahead; every 2 working days overdue; the manager
    after 2 working days, the admins after 5; a card; quiet 20:00-09:00), except three types whose work takes
    months, which start 90 days ahead and keep the usual 30/7/1 approach:
    - `prior_authorisation`: the design page gives it a 90-day lead; the authority's decision must arrive
      before processing starts, and filing alone takes weeks.
    - `processor_contract`: the yearly review may end in renegotiating or replacing the processor, which needs
      the other side's signature as well as legal review.
    - `simplified_notification_renewal`: due three years after registration, so nobody remembers it on their
      own; the form gathers data from several departments.
    A `notification` is due 8 days after processing starts, so its 30-day reminder is simply never planned.
    """
    rules: dict[str, ReminderRule] = {kind: ReminderRule(assessment_type=kind) for kind in ASSESSMENT_TYPES}
    for kind in ("prior_authorisation", "processor_contract", "simplified_notification_renewal"):
        rules[kind] = ReminderRule(assessment_type=kind, lead_days=LONG_LEADS)
    return rules
