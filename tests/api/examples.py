"""What tests/api/test_access.py sends to a route beyond an empty query: each area's `examples_*` module maps
(method, path) to an `Example` that returns keyword arguments for `ApiClient.call` (json=, params=) and,
for a path with `{parameters}`, `path=` with them filled in. An Example may create what it needs first;
it is called once per identity."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.api.conftest import ApiClient

Example = Callable[["ApiClient"], Awaitable[dict[str, Any]]]
Examples = dict[tuple[str, str], Example]
