"""Regressions for what the security review of the API found: each test failed before its fix."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from sqlalchemy import text

from handlers.api.caller import Caller
from handlers.api.refusals import Refused
from handlers.api.reminder_rule_models import NewRule
from handlers.api.reminder_rules import add_rule
from tests.api import register_seed
from tests.api.conftest import ADMIN, EMPLOYEE, MANAGER, ApiClient, ApiFactory
from tests.api.test_assessments import NOW, new

FAR_FUTURE = "9999-12-31T23:59:59-14:00"  # valid ISO 8601, but past datetime.max once in UTC
FAR_PAST = "0001-01-01T00:00:00+14:00"  # before datetime.min once in UTC
WAITING_ON_A_LOCK = text("SELECT count(*) FROM pg_stat_activity "
                         "WHERE datname = current_database() AND wait_event_type = 'Lock'")


@pytest.fixture
async def api(make_api: ApiFactory) -> ApiClient:
    return await make_api(clock=lambda: NOW)


async def blocked(api: ApiClient) -> bool:
    """Whether a transaction waits on another's lock; a session of its own, as the view is a snapshot."""
    async with api.sessions() as probe:
        return bool(await probe.scalar(WAITING_ON_A_LOCK))


def names_field(body: Any, field: str) -> bool:
    return any(error["field"] == field for error in body.get("errors", []))


@pytest.mark.parametrize(("path", "param"), [
    ("/assessments", "dueAfter"), ("/assessments", "dueBefore"), ("/classifications", "from"),
    ("/classifications", "to"), ("/exports/classifications", "from"), ("/exports/classifications", "to"),
])
@pytest.mark.parametrize("value", [FAR_PAST, FAR_FUTURE])
async def test_a_date_filter_out_of_range_is_a_400_not_a_500(api: ApiClient, path: str, param: str,
                                                             value: str) -> None:
    status, body, _ = await api.call("GET", path, token=await api.sign_in(ADMIN), params={param: value})
    assert status == 400 and names_field(body, param), body


async def test_a_due_date_or_preview_start_out_of_range_is_a_400_not_a_500(api: ApiClient) -> None:
    admin = await api.sign_in(ADMIN)
    status, body, _ = await api.call("POST", "/assessments", token=admin, json={**new(EMPLOYEE), "dueAt": FAR_FUTURE})
    assert status == 400 and names_field(body, "dueAt"), body
    status, item, _ = await api.call("POST", "/assessments", token=admin, json=new(EMPLOYEE))
    assert status == 200, item
    for field in ("dueAt", "snoozedUntil"):
        status, body, _ = await api.call("PATCH", f"/assessments/{item['id']}", token=admin,
                                         json={"version": 1, field: FAR_FUTURE})
        assert status == 400 and names_field(body, field), body
    status, body, _ = await api.call("POST", "/reminder-rules/preview", token=admin, json={"from": FAR_FUTURE})
    assert status == 400 and names_field(body, "from"), body


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", str(10**40)])
async def test_a_data_flow_number_no_database_can_store_is_a_400(api: ApiClient, number: str) -> None:
    body = json.dumps({**new(EMPLOYEE), "dataFlow": {"x": "NUMBER"}}).replace('"NUMBER"', number)
    status, answer, _ = await api.call("POST", "/assessments", token=await api.sign_in(ADMIN), data=body,
                                       headers={"Content-Type": "application/json"})
    assert status == 400 and names_field(answer, "dataFlow"), answer


async def test_a_rule_counting_more_working_days_than_a_year_is_refused(api: ApiClient) -> None:
    # Each working day is a step of a loop on the event loop: ten million of them froze the bot for seconds,
    # then overflowed into a 500, and a saved rule broke every later planning run of its type.
    admin = await api.sign_in(ADMIN)
    status, body, _ = await api.call("PUT", "/reminder-rules/notification", token=admin, json={
        "rule": {"escalation": [{"afterWorkingDays": 10**7, "to": "manager"}]}})
    assert status == 400 and names_field(body, "rule.escalation[0].afterWorkingDays"), body
    status, body, _ = await api.call("POST", "/reminder-rules/preview", token=admin, json={
        "rules": {"notification": {"overdueEveryWorkingDays": 10**30}}})
    assert status == 400 and names_field(body, "rules.notification.overdueEveryWorkingDays"), body
    status, body, _ = await api.call("PUT", "/reminder-rules/notification", token=admin, json={
        "rule": {"overdueEveryWorkingDays": 366, "escalation": [{"afterWorkingDays": 366, "to": "admins"}]}})
    assert status == 200, body


async def test_a_manager_cannot_link_an_assessment_to_a_classification_outside_their_team(api: ApiClient) -> None:
    # The link (dataFlow.classification) makes the assessment cover that flow in the register and in the
    # sign-off snapshot; a manager may only vouch for their own team's flows.
    seeded = await register_seed.seed(api.sessions)
    manager = await api.sign_in(MANAGER)
    theirs = seeded.classifications["roster.xlsx"]  # register_seed.OUTSIDER's, not in lei.mei's team
    status, body, _ = await api.call("POST", "/assessments", token=manager,
                                     json=new(EMPLOYEE, dataFlow={"classification": theirs}))
    assert status == 400 and names_field(body, "dataFlow.classification"), body
    status, body, _ = await api.call("POST", "/assessments", token=await api.sign_in(ADMIN),
                                     json=new(EMPLOYEE, dataFlow={"classification": 10**12}))
    assert status == 400 and names_field(body, "dataFlow.classification"), body
    own = seeded.classifications["客戶名單.xlsx"]  # the employee's, in the team
    status, body, _ = await api.call("POST", "/assessments", token=manager,
                                     json=new(EMPLOYEE, dataFlow={"classification": own}))
    assert status == 200 and body["dataFlow"]["classification"] == own, body


# PostgreSQL only: SQLite takes its write lock at BEGIN, so there the second request simply waits for the first.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_posts_of_a_new_rule_at_once_store_one_and_refuse_the_other(api: ApiClient) -> None:
    """POST /reminder-rules checks that no rule is stored, then stores one; of two at once, the second must get
    409, not silently replace the first."""
    admin = Caller(user_id=ADMIN, name=ADMIN, title="", role="admin")
    first, second = (NewRule(assessment_type="notification", rule={"leadDays": [days]}) for days in (20, 10))
    async with api.sessions() as one, api.sessions() as other:
        await add_rule(one, admin, first, NOW)  # stored, not committed yet
        racing = asyncio.create_task(add_rule(other, admin, second, NOW))  # finds none stored, so inserts...
        while not await blocked(api):  # ...and waits on the first one's row
            assert not racing.done(), racing.result()
        await one.commit()
        with pytest.raises(Refused) as refused:
            await racing
        assert refused.value.status == 409
        await other.rollback()
    status, body, _ = await api.call("GET", "/reminder-rules", token=await api.sign_in(ADMIN))
    stored = {item["assessmentType"]: item["rule"]["leadDays"] for item in body["items"]}
    assert status == 200 and stored["notification"] == [20], body
