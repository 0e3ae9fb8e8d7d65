"""Turning query strings and form fields into the API's pydantic models, and their errors into field messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar
from urllib.parse import urlencode

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
_MESSAGES = {"extra_forbidden": "is not expected here", "missing": "is required"}


class FormErrors(Exception):
    """A submitted form or filter failed validation; `fields` maps each field's wire name to its message."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in fields.items()))
        self.fields = fields


def field_messages(exc: ValidationError) -> dict[str, str]:
    """Each bad field (by its wire name, dotted when nested) with a message; the values are never echoed."""
    messages: dict[str, str] = {}
    for error in exc.errors(include_url=False, include_input=False):
        name = ".".join(str(part) for part in error["loc"]) or "form"
        messages.setdefault(name, _MESSAGES.get(error["type"], str(error["msg"]).removeprefix("Value error, ")))
    return messages


def parse(model: type[M], values: Mapping[str, object]) -> M:
    """`model` from `values`, empty strings read as absent; FormErrors naming every bad field."""
    try:
        return model.model_validate({name: value for name, value in values.items() if value != ""})
    except ValidationError as exc:
        raise FormErrors(field_messages(exc)) from None


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
