"""Reminder rule pages: the list, the edit form, the preview of an unsaved rule, saving, errors, reset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from storage import assessments
from storage.models import AuditEvent, ReminderRuleRow
from tests.admin.conftest import ADMIN, MANAGER, AdminSite, Browser, Sessions

FORM = {"leadDays": "30, 7, 1", "overdueEveryWorkingDays": "2", "step0.after": "2", "step0.to": "manager",
        "step1.after": "5", "step1.to": "admins", "step2.after": "", "step2.to": "manager", "channel": "card",
        "quietStart": "20:00", "quietEnd": "09:00"}


async def open_assessment(sessions: Sessions, due_in: timedelta = timedelta(days=10)) -> int:
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        row = await assessments.create_assessment(session, at=now, title="Notify the DSAJ", type="notification",
                                                  owner=MANAGER, due_at=now + due_in, source="admin",
                                                  created_by=ADMIN)
        return row.id


async def post(admin: Browser, path: str, **changes: str) -> tuple[int, str, str | None]:
    data = {**FORM, **changes, "csrf": await admin.csrf("/app/reminder-rules")}
    status, html, response = await admin.post(path, data=data)
    return status, html, response.headers.get("Location")


async def test_the_preview_follows_the_rule_as_edited_without_saving_it(site: AdminSite) -> None:
    await open_assessment(site.sessions)
    admin = await site.sign_in(ADMIN)
    status, html, _ = await admin.get("/app/reminder-rules/notification?lang=en")
    assert status == 200 and 'value="30, 7, 1"' in html and 'data-count="1"' in html  # lead:7 falls this week
    assert 'data-preview="/app/reminder-rules/notification/preview"' in html

    status, fragment, _ = await post(admin, "/app/reminder-rules/notification/preview", leadDays="30, 1")
    assert status == 200 and 'id="preview-empty"' in fragment and "<html" not in fragment
    status, fragment, _ = await post(admin, "/app/reminder-rules/notification/preview", leadDays="9, 7")
    assert 'data-count="2"' in fragment and 'data-kind="lead:9"' in fragment
    status, fragment, _ = await post(admin, "/app/reminder-rules/notification/preview", leadDays="7, 7")
    assert 'id="preview-errors"' in fragment and "Days before the due date: 7 is given twice" in fragment
    status, html, _ = await post(admin, "/app/reminder-rules/notification", leadDays="30, 1", action="preview")
    assert status == 200 and 'id="preview-empty"' in html and 'value="30, 1"' in html  # the no-script Preview
    async with site.sessions() as session:
        assert await session.get(ReminderRuleRow, "notification") is None  # nothing saved


async def test_saving_a_rule_stores_it_and_audits_it(site: AdminSite) -> None:
    admin = await site.sign_in(ADMIN)
    status, _, location = await post(admin, "/app/reminder-rules/notification", leadDays="14, 3", action="save")
    assert (status, location) == (303, "/app/reminder-rules/notification")
    _, html, _ = await admin.get(location + "?lang=en")
    assert "Rule saved" in html and 'value="14, 3"' in html and "Changed by admin.wong" in html
    async with site.sessions() as session:
        row = await session.get(ReminderRuleRow, "notification")
        assert row is not None and row.settings["lead_days"] == [14, 3]
        assert await session.scalar(select(AuditEvent.action).where(AuditEvent.subject == "notification")) \
            == "reminder_rule.saved"
    _, html, _ = await admin.get("/app/reminder-rules?lang=en")
    assert "14, 3 days before the due date" in html

    status, _, location = await post(admin, "/app/reminder-rules/notification/reset")
    assert status == 303
    async with site.sessions() as session:
        assert await session.get(ReminderRuleRow, "notification") is None


async def test_bad_fields_are_named_and_nothing_is_saved(site: AdminSite) -> None:
    admin = await site.sign_in(ADMIN)
    status, html, _ = await post(admin, "/app/reminder-rules/notification", leadDays="0, x",
                                 overdueEveryWorkingDays="0", **{"step1.after": "1"}, action="save")
    assert status == 400 and 'id="error-leadDays"' in html and 'id="error-overdueEveryWorkingDays"' in html
    assert 'value="0, x"' in html
    async with site.sessions() as session:
        assert await session.get(ReminderRuleRow, "notification") is None
    assert (await admin.get("/app/reminder-rules/no_such_type"))[0] == 404
