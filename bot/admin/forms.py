"""Turning query strings and form fields into the API's pydantic models, and their errors into field messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import urlencode

from pydantic import BaseModel, ValidationError

from bot.admin.render import Words
from handlers.api.refusals import Message

M = TypeVar("M", bound=BaseModel)
_MESSAGES = {"extra_forbidden": "is not expected here", "missing": "is required"}
# Messages by their pydantic error type (pydantic's own checks, and the types our validators and use cases give
# theirs), in the page's words: (strings key, the context value its {limit} takes); every context value is passed.
_WORDED: dict[str, tuple[str, str | None]] = {
    "missing": ("form.missing", None), "extra_forbidden": ("form.unexpected", None),
    "string_too_long": ("form.too_long", "max_length"), "string_too_short": ("form.too_short", "min_length"),
    "too_short": ("form.too_few", "min_length"), "too_long": ("form.too_many", "max_length"),
    "int_parsing": ("form.integer", None), "int_type": ("form.integer", None),
    "int_from_float": ("form.integer", None), "greater_than_equal": ("form.at_least", "ge"),
    "greater_than": ("form.more_than", "gt"), "less_than_equal": ("form.at_most", "le"),
    "less_than": ("form.less_than", "lt"), "literal_error": ("form.choice", None), "enum": ("form.choice", None),
    "bool_parsing": ("form.choice", None), "bool_type": ("form.choice", None),
    "level_unknown": ("form.choice", None),
    **{kind: (f"problem.{kind}", None) for kind in (
        "lead_days_range", "lead_days_repeated", "escalation_order", "quiet_hours_format", "quiet_hours_equal",
        "not_in_future", "signer_unknown", "signer_repeated", "owner_unknown", "due_format", "due_needs_offset",
        "year_range", "control_characters", "one_line", "cursor_invalid", "range_order", "blank",
        "evidence_required", "assessment_changed", "assessment_closed", "reason_required", "owner_already",
        "waive_admins_only", "move_due_not_allowed", "owner_outside_team", "snooze_overdue", "snooze_range")},
}


class FormErrors(Exception):
    """A submitted form or filter failed validation; `fields` maps each field's wire name to its message."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in fields.items()))
        self.fields = fields


def field_messages(exc: ValidationError, words: Words | None = None) -> dict[str, str]:
    """Each bad field (by its wire name, dotted when nested) with a message, in `words`' language where its type
    is one the pages word (English otherwise); the values are never echoed."""
    messages: dict[str, str] = {}
    for error in exc.errors(include_url=False, include_input=False):
        name = ".".join(str(part) for part in error["loc"]) or "form"
        worded = _worded(error["type"], error.get("ctx", {}), words) if words is not None else None
        messages.setdefault(name, worded or _MESSAGES.get(error["type"],
                                                          str(error["msg"]).removeprefix("Value error, ")))
    return messages


def say(message: str | Message, words: Words) -> str:
    """A use case's message (a `Refused`'s) in `words`' language where its type is one the pages
    word; its English otherwise."""
    if isinstance(message, str):
        return message
    return _worded(message.type, message.ctx, words) or message.text


def _worded(kind: str, ctx: Mapping[str, Any], words: Words) -> str | None:
    key, limit = _WORDED.get(kind, (None, None))
    if key is None:
        return None
    return words(key, **{**ctx, **({"limit": ctx.get(limit)} if limit else {})})


def parse(model: type[M], values: Mapping[str, object], words: Words | None = None) -> M:
    """`model` from `values`, empty strings read as absent; FormErrors naming every bad field (in `words`'
    language where it can)."""
    try:
        return model.model_validate({name: value for name, value in values.items() if value != ""})
    except ValidationError as exc:
        raise FormErrors(field_messages(exc, words)) from None


def parse_filters(model: type[M], values: Mapping[str, object], words: Words) -> tuple[M, dict[str, str]]:
    """A list's filters from the query string; with bad ones, no filter at all and the problems to show."""
    try:
        return parse(model, values, words), {}
    except FormErrors as exc:
        return model(), exc.fields


def next_page_url(path: str, params: Mapping[str, str], page: BaseModel) -> str | None:
    """The same list with the same filters from the page's `nextCursor` on (as the API writes it); None on the
    last page."""
    cursor = page.model_dump(mode="json", by_alias=True).get("nextCursor")
    if cursor is None:
        return None
    kept = {name: value for name, value in params.items() if name != "cursor" and value != ""}
    return f"{path}?{urlencode({**kept, 'cursor': cursor})}"


def with_query(path: str, params: Mapping[str, str], drop: tuple[str, ...] = ("cursor", "limit")) -> str:
    """`path` with the filters of `params` (not the page position), for export links."""
    kept = {name: value for name, value in params.items() if name not in drop and value != ""}
    return f"{path}?{urlencode(kept)}" if kept else path
