"""/reminder-rules: listed, stored, replaced and reset by admins as the CLI does it; the preview of unsaved rules."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from handlers.reminders.rules import ASSESSMENT_TYPES
from storage import assessments
from storage.models import AuditEvent, Reminder, ReminderRuleRow
from tests.api.conftest import ADMIN, EMPLOYEE, MANAGER, ApiClient, ApiFactory, Sessions
from tests.api.test_assessments import NOW

RULE = {"leadDays": [14, 3], "escalation": [{"afterWorkingDays": 3, "to": "manager"}], "quietStart": "19:00",
        "quietEnd": "08:30"}


@pytest.fixture
async def api(make_api: ApiFactory) -> ApiClient:
    return await make_api(clock=lambda: NOW)


async def counts(sessions: Sessions) -> list[int]:
    """How many audit entries, reminders and stored rules there are."""
    async with sessions() as session:
        return [await session.scalar(select(func.count()).select_from(table)) or 0
                for table in (AuditEvent, Reminder, ReminderRuleRow)]


ADMIN_ONLY = [("GET", "/reminder-rules", None), ("POST", "/reminder-rules", {"assessmentType": "notification",
                                                                            "rule": RULE}),
              ("PUT", "/reminder-rules/notification", {"rule": RULE}), ("DELETE", "/reminder-rules/notification", None),
              ("POST", "/reminder-rules/preview", {})]


async def test_only_admins_reach_the_rules(api: ApiClient) -> None:
    for who in (EMPLOYEE, MANAGER):
        token = await api.sign_in(who)
        for method, path, body in ADMIN_ONLY:
            status, _, _ = await api.call(method, path, token=token, json=body)
            assert status == 403, (who, method, path)
    assert await counts(api.sessions) == [0, 0, 0]


async def test_every_type_is_listed_with_its_default_until_one_is_stored(api: ApiClient) -> None:
    admin = await api.sign_in(ADMIN)
    status, listed, _ = await api.call("GET", "/reminder-rules", token=admin)
    assert status == 200 and [i["assessmentType"] for i in listed["items"]] == list(ASSESSMENT_TYPES)
    by_type = {item["assessmentType"]: item for item in listed["items"]}
    assert all(item["isDefault"] and item["updatedBy"] is None for item in listed["items"])
    assert by_type["prior_authorisation"]["rule"]["leadDays"] == [90, 30, 7, 1]
    assert by_type["notification"]["rule"] == {
        "leadDays": [30, 7, 1], "overdueEveryWorkingDays": 2, "channel": "card", "quietStart": "20:00",
        "quietEnd": "09:00", "escalation": [{"afterWorkingDays": 2, "to": "manager"},
                                            {"afterWorkingDays": 5, "to": "admins"}]}


async def test_store_replace_and_reset_a_rule_each_audited(api: ApiClient) -> None:
    admin = await api.sign_in(ADMIN)
    status, item, _ = await api.call("POST", "/reminder-rules", token=admin,
                                     json={"assessmentType": "notification", "rule": RULE})
    assert status == 200, item
    assert (item["isDefault"], item["updatedBy"], item["rule"]["leadDays"]) == (False, ADMIN, [14, 3])
    assert item["rule"]["overdueEveryWorkingDays"] == 2  # left out: the default
    status, body, _ = await api.call("POST", "/reminder-rules", token=admin,
                                     json={"assessmentType": "notification", "rule": {"leadDays": [5]}})
    assert status == 409 and "PUT /reminder-rules/notification" in body["detail"]

    status, item, _ = await api.call("PUT", "/reminder-rules/notification", token=admin,
                                     json={"rule": {"leadDays": [5]}})
    assert status == 200 and item["rule"]["leadDays"] == [5] and item["rule"]["quietStart"] == "20:00"
    async with api.sessions() as session:
        stored = await assessments.get_rule(session, "notification")
    assert stored == {"assessment_type": "notification", "lead_days": [5], "overdue_every_working_days": 2,
                      "escalation": [{"after_working_days": 2, "to": "manager"},
                                     {"after_working_days": 5, "to": "admins"}],
                      "channel": "card", "quiet_start": "20:00", "quiet_end": "09:00"}  # what the CLI stores

    status, item, _ = await api.call("DELETE", "/reminder-rules/notification", token=admin)
    assert status == 200 and item["isDefault"] and item["rule"]["leadDays"] == [30, 7, 1]
    status, _, _ = await api.call("DELETE", "/reminder-rules/notification", token=admin)
    assert status == 404
    async with api.sessions() as session:
        events = list(await session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
    assert [(e.actor, e.action, e.subject) for e in events] == [
        (ADMIN, "reminder_rule.saved", "notification"), (ADMIN, "reminder_rule.saved", "notification"),
        (ADMIN, "reminder_rule.reset", "notification")]
    assert events[0].details["lead_days"] == [14, 3] and events[2].details["previous"]["lead_days"] == [5]


async def test_an_unknown_type_is_a_404(api: ApiClient) -> None:
    admin = await api.sign_in(ADMIN)
    status, body, _ = await api.call("PUT", "/reminder-rules/dpia", token=admin, json={"rule": RULE})
    assert status == 404 and "notification" in body["detail"]
    assert (await api.call("DELETE", "/reminder-rules/dpia", token=admin))[0] == 404


@pytest.mark.parametrize("rule, fields", [
    ({"leadDays": [7, 7], "escalation": [{"afterWorkingDays": 2, "to": "boss"}]},
     ["rule.leadDays", "rule.escalation[0].to"]),
    ({"quietStart": "7pm", "overdueEveryWorkingDays": 0}, ["rule.quietStart", "rule.overdueEveryWorkingDays"]),
    ({"daysBefore": [3]}, ["rule.daysBefore"]), ({"leadDays": [400]}, ["rule.leadDays"]),
    ({"assessmentType": "transfer_route"}, ["rule.assessmentType"]),
])
async def test_a_bad_rule_is_a_400_naming_each_field_and_nothing_is_saved(
    api: ApiClient, rule: dict[str, Any], fields: list[str]
) -> None:
    status, body, _ = await api.call("PUT", "/reminder-rules/notification", token=await api.sign_in(ADMIN),
                                     json={"rule": rule})
    assert status == 400 and sorted(e["field"] for e in body["errors"]) == sorted(fields), body
    assert all(e["in"] == "body" for e in body["errors"]) and fields[0] in body["detail"]
    assert await counts(api.sessions) == [0, 0, 0]


async def _due_in_ten_days(sessions: Sessions) -> int:
    async with sessions.begin() as session:
        created = await assessments.create_assessment(
            session, at=NOW, title="Payroll to Zhuhai", type="transfer_route", owner=EMPLOYEE,
            due_at=NOW + timedelta(days=10), source="admin", created_by=ADMIN)
        return created.id


async def test_the_preview_follows_a_proposed_rule_and_saves_nothing(api: ApiClient) -> None:
    id = await _due_in_ten_days(api.sessions)
    admin = await api.sign_in(ADMIN)
    before = await counts(api.sessions)

    status, current, _ = await api.call("POST", "/reminder-rules/preview", token=admin, json={"days": 10})
    assert status == 200, current
    assert [(i["kind"], datetime.fromisoformat(i["sendAt"])) for i in current["items"]] == [
        ("lead:7", NOW + timedelta(days=3)), ("lead:1", NOW + timedelta(days=9))]
    item = current["items"][0]
    assert item["recipient"] == {"userId": EMPLOYEE, "name": "鄭家慧"}
    assert item["assessment"] == {"id": id, "title": "Payroll to Zhuhai", "type": "transfer_route"}
    assert "7 days before" in item["reason"]
    assert current["counts"] == {"reminders": 2, "messages": 2, "recipients": 1, "assessments": 1,
                                 "byKind": {"lead": 2, "overdue": 0, "escalate": 0}}
    assert datetime.fromisoformat(current["from"]) == NOW
    assert datetime.fromisoformat(current["until"]) == NOW + timedelta(days=10)

    proposed = {"days": 10, "rules": {"transfer_route": {"leadDays": [3]}}}
    status, changed, _ = await api.call("POST", "/reminder-rules/preview", token=admin, json=proposed)
    assert status == 200
    assert [(i["kind"], datetime.fromisoformat(i["sendAt"])) for i in changed["items"]] == [
        ("lead:3", NOW + timedelta(days=7))]
    status, later, _ = await api.call("POST", "/reminder-rules/preview", token=admin,
                                      json={**proposed, "from": (NOW + timedelta(days=8)).isoformat(), "days": 31})
    assert status == 200 and "lead:3" not in {i["kind"] for i in later["items"]}
    assert {"overdue", "escalate"} <= {i["kind"].partition(":")[0] for i in later["items"]}
    assert await counts(api.sessions) == before


@pytest.mark.parametrize("body, fields", [
    ({"days": 0}, ["days"]), ({"days": 32}, ["days"]), ({"from": "2027-03-01T10:00:00"}, ["from"]),
    ({"rules": {"dpia": {}}}, ["rules.dpia.[key]"]),
    ({"rules": {"notification": {"leadDays": [0]}, "transfer_route": {"channel": "sms"}}},
     ["rules.notification.leadDays", "rules.transfer_route.channel"]),
])
async def test_a_bad_preview_request_is_a_400_naming_each_field(api: ApiClient, body: dict[str, Any],
                                                                fields: list[str]) -> None:
    status, answer, _ = await api.call("POST", "/reminder-rules/preview", token=await api.sign_in(ADMIN), json=body)
    assert status == 400 and sorted(e["field"] for e in answer["errors"]) == sorted(fields), answer
