"""Turns a use case's `Refused` (handlers.api.refusals) into the API's problem document."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from bot.api.problems import ApiProblem, FieldProblem
from handlers.api.refusals import Refused


@contextmanager
def refusals_as_problems() -> Iterator[None]:
    """Within the block, a `Refused` becomes an `ApiProblem` with its status, detail and fields (body
    members or query parameters)."""
    try:
        yield
    except Refused as refused:
        errors = [FieldProblem(field=name, location=refused.location, message=message)
                  for name, message in refused.fields.items()]
        raise ApiProblem(refused.status, refused.detail, errors=errors) from None
