"""Codes the handlers return (reminder kinds and statuses, audit actions, destinations) reach people as words in
their language, never as ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage import reminders
from tests.admin.conftest import ADMIN, EMPLOYEE, MANAGER, AdminSite
from tests.admin.examples import employees_assessment
from tests.admin.test_reminder_rules import FORM, open_assessment


async def test_the_preview_names_each_reminder_in_the_pages_language(site: AdminSite) -> None:
    await open_assessment(site.sessions)
    admin = await site.sign_in(ADMIN)
    _, html, _ = await admin.get("/app/reminder-rules/notification?lang=zh-Hant")
    assert 'data-kind="lead:7"' in html and ">截止前 7 日</span>" in html
    assert "lead:7</span>" not in html and "before the due date" not in html  # the handler's reason is English
    data = {**FORM, "leadDays": "9", "csrf": await admin.csrf()}
    _, fragment, _ = await admin.post("/app/reminder-rules/notification/preview?lang=pt", data=data)
    assert ">9 dias antes do prazo</span>" in fragment
    _, html, _ = await admin.get("/app/reminder-rules/notification?lang=en")
    assert ">7 days before the due date</span>" in html and "7 days before the due date 20" in html  # + reason


async def test_an_assessments_reminders_and_history_are_in_words(site: AdminSite) -> None:
    assessment_id = await employees_assessment(site)
    async with site.sessions.begin() as session:
        await reminders.plan_reminder(session, idempotency_key="k1", assessment_id=assessment_id,
                                      kind="escalate:manager", recipient=MANAGER,
                                      send_at=datetime.now(UTC) + timedelta(days=1), reason="r")
    owner = await site.sign_in(EMPLOYEE)
    data = {"csrf": await owner.csrf(), "version": "1", "evidence": "合同已簽"}
    assert (await owner.post(f"/app/assessments/{assessment_id}/done", data=data))[0] == 303
    _, html, _ = await owner.get(f"/app/assessments/{assessment_id}?lang=zh-Hant")
    assert 'data-kind="escalate:manager">上報：通知負責人的主管</span>' in html
    assert 'data-status="skipped">已略過</td>' in html  # done stops the reminders
    assert 'data-action="assessment.done">標記為完成</span>' in html and "<code>assessment.done" not in html


async def test_the_registers_destination_filter_shows_labels(site: AdminSite) -> None:
    admin = await site.sign_in(ADMIN)
    _, html, _ = await admin.get("/app/register?lang=zh-Hant")
    assert '<option value="mainland_gba">' in html and ">mainland_gba</option>" not in html
    assert ">hong_kong</option>" not in html
