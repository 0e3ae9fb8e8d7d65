"""The request and answer shapes of the sign-off campaign routes (/signoff-campaigns)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Final, Literal

from pydantic import AfterValidator, Field, PlainValidator, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from handlers.api.models import MAX_PAGE, BodyModel, Cursor, QueryModel, WireModel, years_between
from storage.models import CampaignStatus, SignerStatus, SigningOrder

MAX_SIGNERS: Final = 20
ReportLanguage = Literal["zh-Hant", "en", "pt"]
_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_TIME: Final = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})")
_NAIVE: Final = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?")


def _due(value: object) -> date | datetime:
    """A date (due at 18:00 in the bot's timezone, like the CLI's --due) or a date-time with an offset."""
    if isinstance(value, date | datetime):  # from Python callers (the admin pages), not from JSON
        value = value.isoformat()
    if not isinstance(value, str):
        raise _due_format()
    if _NAIVE.fullmatch(value):
        raise PydanticCustomError("due_needs_offset", "needs a UTC offset (e.g. +08:00), or give only the date")
    if not (_DATE.fullmatch(value) or _DATE_TIME.fullmatch(value)):
        raise _due_format()
    try:
        parsed = date.fromisoformat(value) if _DATE.fullmatch(value) else datetime.fromisoformat(value)
    except ValueError:
        raise _due_format() from None
    if not 2000 <= parsed.year <= 2100:
        raise years_between(2000, 2100)
    return parsed


def _due_format() -> PydanticCustomError:
    return PydanticCustomError(
        "due_format", "must be a date (2027-01-31) or a date-time with a UTC offset (2027-01-31T18:00:00+08:00)")


def _printable(value: str) -> str:
    """PostgreSQL cannot store NUL, and no title or id needs a control character."""
    if any(ord(c) < 32 and c not in "\n\r\t" or ord(c) == 127 for c in value):
        raise PydanticCustomError("control_characters", "must not contain control characters")
    return value


def _one_line(value: str) -> str:
    if any(c in value for c in "\n\r\t"):
        raise PydanticCustomError("one_line", "must be one line")
    return _printable(value)


DueAt = Annotated[
    date | datetime,
    PlainValidator(_due),
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}],
                    "description": "a date is due at 18:00 in the bot's timezone; a date-time needs a UTC offset"}),
]
UserIdText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
                       AfterValidator(_one_line)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
                  AfterValidator(_one_line)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), AfterValidator(_printable)]


class CampaignQuery(QueryModel):
    status: CampaignStatus | None = None
    cursor: Cursor | None = None
    limit: int = Field(default=50, ge=1, le=MAX_PAGE)


class CampaignCreate(BodyModel):
    year: int = Field(ge=2000, le=2100, description="the year the sign-off covers")
    title: Title
    signers: list[UserIdText] = Field(min_length=1, max_length=MAX_SIGNERS,
                                      description="DingTalk userIds in signing order; each active, none twice")
    order: SigningOrder = Field(default="parallel", description="sequential asks one signer after another")
    due_at: DueAt
    note: Note = Field(default="", description="a covering note shown on the cards")


class ReportQuery(QueryModel):
    language: ReportLanguage | None = Field(
        default=None, description="default: the caller's language preference, else zh-Hant")


class SignerCounts(WireModel):
    waiting: int = Field(description="not asked yet (a sequential campaign asks one at a time)")
    pending: int = Field(description="asked, not decided")
    approved: int
    rejected: int
    total: int


class CampaignSummary(WireModel):
    id: int
    year: int
    title: str
    round: int
    status: CampaignStatus
    signing_order: SigningOrder
    due_at: datetime
    created_at: datetime
    signers: SignerCounts


class CampaignPage(WireModel):
    items: list[CampaignSummary]
    next_cursor: Cursor | None = Field(description="pass as `cursor` for the next page; null on the last page")


class SignerOut(WireModel):
    user_id: str
    name: str
    position: int = Field(description="0-based place in the signing order")
    status: SignerStatus
    decided_at: datetime | None
    reason: str | None = Field(description="why they rejected")


class CampaignLinks(WireModel):
    report: str | None = Field(description="API path of the frozen report; null until started")
    certificate: str | None = Field(description="API path of the certificate; null until completed")


class CampaignOut(WireModel):
    id: int
    year: int
    title: str
    note: str
    round: int
    previous_id: int | None = Field(description="the round this one superseded")
    status: CampaignStatus
    signing_order: SigningOrder
    due_at: datetime
    created_by: str
    created_at: datetime
    started_at: datetime | None
    closed_at: datetime | None
    signers: list[SignerOut]
    snapshot_sha256: str | None = Field(description="SHA-256 of the frozen snapshot's canonical JSON, once started")
    report_sha256: dict[str, str] = Field(description="language -> SHA-256 of that report's HTML, once started")
    certificate_sha256: str | None = Field(description="SHA-256 of the certificate's HTML, once completed")
    links: CampaignLinks
