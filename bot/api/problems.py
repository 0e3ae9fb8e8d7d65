"""Errors as RFC 9457 problem details: `{type, title, status, detail, errors?}`, never a stack trace."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, Final

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

PROBLEM_JSON: Final = "application/problem+json"
_MESSAGES: Final = {"extra_forbidden": "is not expected here", "missing": "is required"}


class FieldProblem(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    field: str = Field(description="the parameter or body member, dotted for nested members")
    location: str = Field(alias="in", description="query, body, path or header")
    message: str


class Problem(BaseModel):
    """The body of every error response."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] | None = None


class ApiProblem(Exception):
    """Raised anywhere below an endpoint to answer with a problem; `headers` go on the response."""

    def __init__(self, status: int, detail: str, *, errors: Sequence[FieldProblem] = (),
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = list(errors)
        self.headers = dict(headers or {})

    def response(self) -> web.Response:
        body = Problem(title=HTTPStatus(self.status).phrase, status=self.status, detail=self.detail,
                       errors=self.errors or None)
        text = json.dumps(body.model_dump(mode="json", by_alias=True, exclude_none=True), ensure_ascii=False)
        return web.Response(status=self.status, text=text, content_type=PROBLEM_JSON, headers=self.headers)


def invalid_input(exc: ValidationError, location: str) -> ApiProblem:
    """A 400 naming every bad field; the values themselves are never echoed (they may be codes or names)."""
    errors = [FieldProblem(field=_field_name(error["loc"], location), location=location,
                           message=_MESSAGES.get(error["type"], str(error["msg"]).removeprefix("Value error, ")))
              for error in exc.errors(include_url=False, include_input=False)]
    where = {"query": "query parameter", "body": "body member", "path": "path parameter"}.get(location, location)
    detail = "; ".join(f"{where} {e.field}: {e.message}" for e in errors)
    return ApiProblem(400, detail or f"invalid {location}", errors=errors)


def _field_name(loc: tuple[Any, ...], location: str) -> str:
    return ".".join(str(part) for part in loc) or location
