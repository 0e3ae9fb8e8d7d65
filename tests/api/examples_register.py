"""Requests the register routes need in tests/api/test_access.py beyond an empty query (see Example there)."""

from __future__ import annotations

from typing import Any

from tests.api.examples import Examples


async def _export(_api: Any) -> dict[str, Any]:
    # classifications needs only the employee role, the route's declared one; the per-dataset roles are
    # tested in tests/api/test_exports.py.
    return {"path": "/exports/classifications"}


EXAMPLES: Examples = {("GET", "/exports/{dataset}"): _export}
