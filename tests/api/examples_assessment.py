"""Requests the assessment routes need in tests/api/test_access.py beyond an empty query (see Example there):
each acts on a new assessment the employee owns, which the employee, their manager and the admin may all see
and change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from storage import assessments
from tests.api.conftest import EMPLOYEE, MANAGER, ApiClient
from tests.api.examples import Examples


async def owned_by_employee(api: ApiClient, *, days: int = 10) -> int:
    """A new open transfer-route assessment of the employee's, due in `days` days; returns its id."""
    now = datetime.now(UTC)
    async with api.sessions() as session, session.begin():
        created = await assessments.create_assessment(
            session, at=now, title="Payroll to the Zhuhai office", type="transfer_route", owner=EMPLOYEE,
            due_at=now + timedelta(days=days), source="admin", created_by=MANAGER)
        return created.id


async def _one(api: ApiClient) -> dict[str, Any]:
    return {"path": f"/assessments/{await owned_by_employee(api)}"}


async def _history(api: ApiClient) -> dict[str, Any]:
    return {"path": f"/assessments/{await owned_by_employee(api)}/history"}


async def _new(api: ApiClient) -> dict[str, Any]:
    due = datetime.now(UTC) + timedelta(days=20)
    return {"json": {"title": "Notify DSPDP of the new CCTV", "type": "notification", "owner": EMPLOYEE,
                     "dueAt": due.isoformat()}}


async def _done(api: ApiClient) -> dict[str, Any]:
    return {"path": f"/assessments/{await owned_by_employee(api)}",
            "json": {"version": 1, "status": "done", "evidence": "standard contract signed, ref 2026-14"}}


EXAMPLES: Examples = {
    ("GET", "/assessments/{id}"): _one,
    ("GET", "/assessments/{id}/history"): _history,
    ("POST", "/assessments"): _new,
    ("PATCH", "/assessments/{id}"): _done,
}
