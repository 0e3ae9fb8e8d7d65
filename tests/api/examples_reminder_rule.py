"""Requests the reminder rule routes need in tests/api/test_access.py beyond an empty query (see Example there)."""

from __future__ import annotations

from tests.api.examples import Examples

EXAMPLES: Examples = {}
