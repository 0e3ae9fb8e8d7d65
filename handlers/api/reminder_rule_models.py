"""Request and answer shapes of /reminder-rules and its preview.

A rule travels in camelCase like everything else in the API (`leadDays`, `overdueEveryWorkingDays`,
`escalation[].afterWorkingDays`, `quietStart`...); it is checked by `rule_errors`, the CLI's own check, so a
request body carries it as a plain object and a bad one is a 400 naming `rule.<field>`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final, get_args

from pydantic import Field, WithJsonSchema

from handlers.api.models import ApiDatetime, BodyModel, PathModel, Person, WireModel
from handlers.reminders.rules import (
    ASSESSMENT_TYPES,
    HH_MM,
    MAX_LEAD_DAYS,
    MAX_WORKING_DAYS,
    AssessmentType,
    Channel,
    EscalationTarget,
)

MAX_PREVIEW_DAYS: Final = 31

_WORKING_DAYS: Final = {"type": "integer", "minimum": 1, "maximum": MAX_WORKING_DAYS}
_STEP_SCHEMA: Final = {"type": "object", "additionalProperties": False, "required": ["afterWorkingDays", "to"],
                       "properties": {"afterWorkingDays": _WORKING_DAYS,
                                      "to": {"type": "string", "enum": list(get_args(EscalationTarget))}}}
RULE_SCHEMA: Final = {
    "type": "object", "additionalProperties": False,
    "description": "a reminder rule; members left out take the built-in defaults",
    "properties": {
        "leadDays": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": MAX_LEAD_DAYS},
                     "description": "remind the owner this many days before the due date (distinct)"},
        "overdueEveryWorkingDays": _WORKING_DAYS,
        "escalation": {"type": "array", "items": _STEP_SCHEMA, "description": "strictly later step after step"},
        "channel": {"type": "string", "enum": list(get_args(Channel))},
        "quietStart": {"type": "string", "pattern": HH_MM.pattern, "description": "HH:MM"},
        "quietEnd": {"type": "string", "pattern": HH_MM.pattern, "description": "HH:MM"},
    },
}
RuleBody = Annotated[dict[str, Any], WithJsonSchema(RULE_SCHEMA)]


class RuleTypePath(PathModel):
    # Any text: an unknown type is a 404 (there is no such rule), not a 400.
    type: str = Field(min_length=1, max_length=64, description=f"one of {', '.join(ASSESSMENT_TYPES)}")


class EscalationStepOut(WireModel):
    after_working_days: int
    to: EscalationTarget


class RuleOut(WireModel):
    lead_days: list[int]
    overdue_every_working_days: int
    escalation: list[EscalationStepOut]
    channel: Channel
    quiet_start: str = Field(description="HH:MM on the org's clock")
    quiet_end: str = Field(description="HH:MM on the org's clock")


class RuleItem(WireModel):
    assessment_type: AssessmentType
    rule: RuleOut = Field(description="the rule in effect")
    is_default: bool = Field(description="true when no rule is stored and the built-in default applies")
    updated_by: str | None
    updated_at: datetime | None


class RuleList(WireModel):
    items: list[RuleItem] = Field(description="every assessment type, in a fixed order")


class NewRule(BodyModel):
    assessment_type: AssessmentType
    rule: RuleBody


class RuleReplacement(BodyModel):
    rule: RuleBody


class PreviewRequest(BodyModel):
    start: ApiDatetime | None = Field(default=None, alias="from", description="window start; now if left out")
    days: int = Field(default=7, ge=1, le=MAX_PREVIEW_DAYS, description="window length in days")
    rules: dict[AssessmentType, RuleBody] = Field(
        default_factory=dict, description="proposed rules by assessment type, used instead of the effective "
                                          "ones and never saved")


class PreviewAssessment(WireModel):
    id: int
    title: str
    type: str


class PreviewItem(WireModel):
    send_at: datetime
    recipient: Person
    kind: str = Field(description="lead:30, overdue:1, escalate:manager, ...")
    assessment: PreviewAssessment
    reason: str


class PreviewCounts(WireModel):
    reminders: int
    messages: int = Field(description="digest messages: one per recipient and instant")
    recipients: int
    assessments: int
    by_kind: dict[str, int] = Field(description="reminders by kind without its number: lead, overdue, escalate")


class PreviewOut(WireModel):
    start: datetime = Field(alias="from")
    until: datetime
    items: list[PreviewItem] = Field(description="by send time, then recipient")
    counts: PreviewCounts
