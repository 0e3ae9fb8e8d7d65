"""The API's request and response shapes. The same models validate requests and describe them in OpenAPI."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from tempfile import SpooledTemporaryFile
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    RootModel,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from handlers.directory import Role
from handlers.rules.pack import default_pack

PromptStatus = Literal["open", "answered", "expired"]
LEVELS: Final = tuple(default_pack().vocabulary.levels)
MAX_PAGE: Final = 200
_CURSOR_PREFIX: Final = "k1:"
_MAX_KEY: Final = 2**63 - 1  # a BIGINT
# Times the API takes stay far from datetime's limits (years 1 and 9999), which storing one in UTC, or the
# reminders' working-day arithmetic, would otherwise overflow into a 500.
EARLIEST: Final = datetime(1900, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(3000, 1, 1, tzinfo=UTC)


def encode_cursor(key: int) -> str:
    """An opaque page cursor for a keyset position (the last id of the page)."""
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{key}".encode()).decode().rstrip("=")


def _decode_cursor(value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        text = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise not_a_cursor() from None
    key = text.removeprefix(_CURSOR_PREFIX)
    if key == text or not key.isdigit() or len(key) > 19 or not 1 <= int(key) <= _MAX_KEY:
        raise not_a_cursor()
    return int(key)


def not_a_cursor() -> PydanticCustomError:
    return PydanticCustomError("cursor_invalid", "is not a cursor this API gave out")


def not_later(start: str) -> PydanticCustomError:
    """The end of a time range at or before its start (`start` is the start's wire name)."""
    return PydanticCustomError("range_order", "must be later than `{start}`", {"start": start})


Cursor = Annotated[
    int,
    BeforeValidator(_decode_cursor),
    PlainSerializer(encode_cursor, return_type=str),
    WithJsonSchema({"type": "string", "description": "`nextCursor` of the previous page"}),
]


def _known_level(value: str) -> str:
    if value not in LEVELS:
        raise PydanticCustomError("level_unknown", "must be one of {levels}", {"levels": ", ".join(LEVELS)})
    return value


# The levels come from the rules pack, so they are checked against it rather than spelled as a Literal.
LevelName = Annotated[str, AfterValidator(_known_level), WithJsonSchema({"type": "string", "enum": list(LEVELS)})]


def years_between(earliest: int, latest: int) -> PydanticCustomError:
    return PydanticCustomError("year_range", "must be between the years {earliest} and {latest}",
                               {"earliest": earliest, "latest": latest})


def _in_range(value: datetime) -> datetime:
    if not EARLIEST <= value < LATEST:
        raise years_between(EARLIEST.year, LATEST.year - 1)
    return value


# A date-time with a UTC offset, within EARLIEST and LATEST: every time a request carries.
ApiDatetime = Annotated[AwareDatetime, AfterValidator(_in_range)]


class WireModel(BaseModel):
    """camelCase on the wire, snake_case in Python. Answers may gain fields, so clients should ignore extras."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


class BodyModel(WireModel):
    """A request body: unknown members are refused, never silently ignored."""

    model_config = ConfigDict(extra="forbid")


class QueryModel(BaseModel):
    """Query parameters: validated by their wire name only, unknown parameters refused."""

    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", frozen=True)


class NoQuery(QueryModel):
    """A route that takes no query parameters."""


class NoBody(BodyModel):
    """A route that takes no request body."""


class PathModel(QueryModel):
    """The `{parameters}` of a route's path, validated like query parameters (a bad one is a 400 naming it)."""


class NoPath(PathModel):
    """A route whose path has no parameters."""


class IdPath(PathModel):
    id: int = Field(ge=1, le=_MAX_KEY)


class Download(BaseModel):
    """A file answer (an export, a report page) instead of JSON; `inline` shows it rather than saving it.

    `content` is the bytes, or, for an export that may be large, a spooled temporary file (in memory while
    small, on disk beyond that) positioned at its start, which the server streams and then closes.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    filename: str
    media_type: str
    content: bytes | SpooledTemporaryFile[bytes]
    inline: bool = False


class SignInRequest(BodyModel):
    auth_code: str = Field(min_length=1, max_length=256, description="the code from dd.getAuthCode / requestAuthCode")


class Me(WireModel):
    user_id: str
    name: str
    title: str
    role: Role = Field(description="re-checked against the directory on every request")


class SignInResponse(WireModel):
    token: str = Field(description="send as `Authorization: Bearer <token>`")
    token_type: Literal["Bearer"] = "Bearer"
    expires_at: datetime
    expires_in: int = Field(description="seconds until the token expires")
    user: Me


class ClassificationQuery(QueryModel):
    level: LevelName | None = None
    status: PromptStatus | None = None
    person: str | None = Field(default=None, min_length=1, max_length=64, description="the sharer's userId")
    since: ApiDatetime | None = Field(default=None, alias="from", description="asked at or after (ISO 8601)")
    until: ApiDatetime | None = Field(default=None, alias="to", description="asked before (ISO 8601)")
    order: Literal["newest", "oldest"] = "newest"
    cursor: Cursor | None = None
    limit: int = Field(default=50, ge=1, le=MAX_PAGE)

    @field_validator("until")
    @classmethod
    def _after_since(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        since = info.data.get("since")
        if value is not None and since is not None and value <= since:
            raise not_later("from")
        return value


class Person(WireModel):
    user_id: str
    name: str


class SharedFileOut(WireModel):
    id: int
    name: str
    channel: str
    shared_at: datetime


class ClassificationItem(WireModel):
    id: int = Field(description="the question's id; pages are keyed on it")
    status: PromptStatus
    person: Person
    file: SharedFileOut
    asked_at: datetime
    level: str | None
    personal_data: str | None
    destination: str | None
    reason: str | None
    classified_at: datetime | None
    rules_version: str | None


class ClassificationPage(WireModel):
    items: list[ClassificationItem]
    next_cursor: Cursor | None = Field(description="pass as `cursor` for the next page; null on the last page")


class AuditQuery(QueryModel):
    action: str | None = Field(default=None, min_length=1, max_length=64)
    actor: str | None = Field(default=None, min_length=1, max_length=128)
    cursor: Cursor | None = None
    limit: int = Field(default=100, ge=1, le=MAX_PAGE)


class AuditEventOut(WireModel):
    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


class AuditPage(WireModel):
    items: list[AuditEventOut]
    next_cursor: Cursor | None


class ChainCheck(WireModel):
    ok: bool
    checked: int
    first_broken_seq: int | None
    reason: str | None


class OpenApiDocument(RootModel[dict[str, Any]]):
    """The OpenAPI 3.1 document itself."""
