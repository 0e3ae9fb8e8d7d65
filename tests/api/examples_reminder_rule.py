"""Requests the reminder rule routes need in tests/api/test_access.py beyond an empty query (see Example there).
POST needs a type with no stored rule and DELETE one with a stored rule; each example makes it so first."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete

from storage.assessments import save_rule
from storage.models import ReminderRuleRow
from tests.api.conftest import ADMIN, ApiClient
from tests.api.examples import Examples

RULE = {"leadDays": [14, 3], "quietStart": "19:00", "quietEnd": "08:30"}
STORED = {"assessment_type": "processor_contract", "lead_days": [60, 7], "overdue_every_working_days": 3}


async def _post(api: ApiClient) -> dict[str, Any]:
    async with api.sessions() as session, session.begin():
        await session.execute(delete(ReminderRuleRow).where(ReminderRuleRow.assessment_type == "notification"))
    return {"json": {"assessmentType": "notification", "rule": RULE}}


async def _put(api: ApiClient) -> dict[str, Any]:
    return {"path": "/reminder-rules/impact_assessment", "json": {"rule": RULE}}


async def _delete(api: ApiClient) -> dict[str, Any]:
    async with api.sessions() as session, session.begin():
        await save_rule(session, "processor_contract", STORED, by=ADMIN, at=datetime.now(UTC))
    return {"path": "/reminder-rules/processor_contract"}


async def _preview(api: ApiClient) -> dict[str, Any]:
    return {"json": {"days": 7, "rules": {"notification": RULE}}}


EXAMPLES: Examples = {
    ("POST", "/reminder-rules"): _post,
    ("PUT", "/reminder-rules/{type}"): _put,
    ("DELETE", "/reminder-rules/{type}"): _delete,
    ("POST", "/reminder-rules/preview"): _preview,
}
