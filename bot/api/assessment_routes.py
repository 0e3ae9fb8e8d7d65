"""Routes of the mini-program API: assessment (filled in by the work on issue 6)."""

from __future__ import annotations
