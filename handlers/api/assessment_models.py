"""Request and answer shapes of /assessments: the listing, one assessment, a new one, a change, its history."""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from handlers.api.models import (
    MAX_PAGE,
    ApiDatetime,
    BodyModel,
    Person,
    QueryModel,
    WireModel,
    not_a_cursor,
    not_later,
)
from handlers.reminders.rules import AssessmentType
from storage.models import AssessmentStatus

_PREFIX: Final = "d1:"
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_KEY: Final = 2**63 - 1
MAX_TITLE: Final = 200
MAX_NOTE: Final = 500  # as the card keeps of an evidence note (handlers.reminders.actions.MAX_NOTE)
UserIdField = Annotated[str, Field(min_length=1, max_length=64, description="a userId in the directory")]

def _numbers(value: object) -> Iterator[int | float]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _numbers(item)
    elif isinstance(value, list):
        for item in value:
            yield from _numbers(item)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield value


def _storable(value: dict[str, Any]) -> dict[str, Any]:
    # JSON allows NaN, Infinity and any integer; PostgreSQL's jsonb refuses the first two, SQLite a 65-bit int.
    for number in _numbers(value):
        if (isinstance(number, float) and not math.isfinite(number)) or abs(number) > _MAX_KEY:
            raise ValueError("numbers must be finite and at most 2^63 - 1 in size")
    return value


# Free JSON kept with an assessment, in a shape every database stores.
DataFlow = Annotated[dict[str, Any], AfterValidator(_storable)]
DueKey = tuple[datetime, int]  # (due_at, id): the listing's order and its page key


def encode_due_cursor(key: DueKey) -> str:
    """An opaque cursor for the position after (due_at, id)."""
    due, id = key
    micros = (due - _EPOCH) // timedelta(microseconds=1)
    return base64.urlsafe_b64encode(f"{_PREFIX}{micros}:{id}".encode()).decode().rstrip("=")


def _decode_due_cursor(value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        text = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        micros, id = text.removeprefix(_PREFIX).split(":")
        key = (_EPOCH + timedelta(microseconds=int(micros)), int(id))
    except (binascii.Error, UnicodeDecodeError, ValueError, OverflowError):
        raise not_a_cursor() from None
    if not text.startswith(_PREFIX) or not 1 <= key[1] <= _MAX_KEY:
        raise not_a_cursor()
    return key


DueCursor = Annotated[
    DueKey,
    BeforeValidator(_decode_due_cursor),
    PlainSerializer(encode_due_cursor, return_type=str),
    WithJsonSchema({"type": "string", "description": "`nextCursor` of the previous page"}),
]


class AssessmentQuery(QueryModel):
    status: AssessmentStatus | None = None
    type: AssessmentType | None = None
    owner: str | None = Field(default=None, min_length=1, max_length=64, description="the owner's userId")
    due_after: ApiDatetime | None = Field(default=None, description="due at or after (ISO 8601)")
    due_before: ApiDatetime | None = Field(default=None, description="due before (ISO 8601)")
    overdue: bool | None = Field(default=None, description="true: open or in progress and past due; false: not")
    cursor: DueCursor | None = None
    limit: int = Field(default=50, ge=1, le=MAX_PAGE)

    @field_validator("due_before")
    @classmethod
    def _after_due_after(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        after = info.data.get("due_after")
        if value is not None and after is not None and value <= after:
            raise not_later("dueAfter")
        return value


class AssessmentItem(WireModel):
    id: int
    title: str
    type: str
    owner: Person
    due_at: datetime
    status: AssessmentStatus
    overdue: bool = Field(description="open or in progress and past its due date, now")
    data_flow: dict[str, Any]
    evidence: str | None
    waived_reason: str | None
    source: str = Field(description="admin (made by a person), rules_pack, recurring or programme")
    obligation_id: str | None
    snoozed_until: datetime | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    version: int = Field(description="send it back with a change; it grows with every change")


class AssessmentPage(WireModel):
    items: list[AssessmentItem]
    next_cursor: DueCursor | None = Field(description="pass as `cursor` for the next page; null on the last page")


class NewAssessment(BodyModel):
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    type: AssessmentType
    owner: UserIdField
    due_at: ApiDatetime
    data_flow: DataFlow = Field(default_factory=dict, description="what the work is about (free JSON)")
    note: str | None = Field(default=None, max_length=MAX_NOTE, description="kept as `dataFlow.note`")


class AssessmentChange(BodyModel):
    """A change to one assessment; give the `version` you last read and at least one of the other members."""

    version: int = Field(ge=1)
    status: Literal["done", "waived"] | None = Field(default=None, description="done needs `evidence`; waived "
                                                     "(admins only) needs `reason`; not combined with other changes")
    evidence: str | None = Field(default=None, max_length=MAX_NOTE, description="what shows the work is done")
    reason: str | None = Field(default=None, max_length=MAX_NOTE, description="why it is waived")
    due_at: ApiDatetime | None = Field(default=None, description="a new due date (the owner's manager or admins)")
    owner: UserIdField | None = Field(default=None, description="hand it to someone else (delegate)")
    snoozed_until: ApiDatetime | None = Field(default=None, description="hold the owner's reminders back until "
                                                "then: at most 3 working days ahead and never past the due date")


class HistoryEvent(WireModel):
    seq: int
    at: datetime
    actor: Person
    action: str
    details: dict[str, Any]


class HistoryReminder(WireModel):
    id: int
    kind: str = Field(description="lead:30, overdue:1, escalate:manager, ...")
    recipient: Person
    send_at: datetime
    status: str = Field(description="planned, sending, sent, skipped or failed")
    sent_at: datetime | None
    reason: str


class AssessmentHistory(WireModel):
    assessment: AssessmentItem
    events: list[HistoryEvent] = Field(description="audit entries about it, oldest first")
    reminders: list[HistoryReminder] = Field(description="its reminders, planned or past, by send time")
