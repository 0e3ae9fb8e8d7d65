"""Assessment pages: the list by role, one with its history, and the changes its viewers may make: the owner
marks it done or snoozes it, a manager moves its due date or hands it on within the team, an admin waives it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from handlers.worktime import WorkCalendar
from storage import assessments
from storage.models import Assessment, AuditEvent
from tests.admin.conftest import ADMIN, EMPLOYEE, MANAGER, AdminSite, Browser
from tests.admin.examples import TEAMMATE, employees_assessment

MACAU = ZoneInfo("Asia/Macau")
FORMS = ("due", "owner", "snooze", "waive")


async def test_the_owner_marks_an_assessment_done_with_evidence(site: AdminSite) -> None:
    assessment_id = await employees_assessment(site)
    owner = await site.sign_in(EMPLOYEE)
    status, html, _ = await owner.get("/app/assessments?lang=en")
    assert status == 200 and f'data-id="{assessment_id}"' in html
    assert 'href="/app/exports/assessments.csv"' in html
    status, html, _ = await owner.get(f"/app/assessments/{assessment_id}")
    assert status == 200 and 'id="done-form"' in html and "assessment.created" not in html

    csrf = await owner.csrf()
    path = f"/app/assessments/{assessment_id}/done"
    status, html, _ = await owner.post(path, data={"csrf": csrf, "version": "1", "evidence": ""})
    assert status == 400 and 'id="error-evidence"' in html
    status, _, response = await owner.post(path, data={"csrf": csrf, "version": "1", "evidence": "contract signed"})
    assert status == 303 and response.headers["Location"] == f"/app/assessments/{assessment_id}"
    _, html, _ = await owner.get(f"/app/assessments/{assessment_id}?lang=en")
    assert "Marked as done" in html and 'id="assessment-status">done<' in html and 'id="done-form"' not in html
    assert "assessment.done" in html  # the history shows the audit entry
    async with site.sessions() as session:
        row = await session.get(Assessment, assessment_id)
        assert row is not None and row.status == "done" and row.evidence.endswith(f"{EMPLOYEE}: contract signed")
        assert await session.scalar(select(AuditEvent.actor).where(AuditEvent.action == "assessment.done")) == EMPLOYEE

    status, html, _ = await owner.post(path, data={"csrf": csrf, "version": "2", "evidence": "again"})
    assert status == 409 and 'id="assessment-error"' in html


async def test_others_see_an_assessment_only_if_it_is_theirs_to_see(site: AdminSite) -> None:
    assessment_id = await employees_assessment(site)
    assert (await (await site.sign_in(MANAGER)).get(f"/app/assessments/{assessment_id}"))[0] == 200  # her team
    assert (await (await site.sign_in(ADMIN)).get(f"/app/assessments/{assessment_id}"))[0] == 200
    outsider = await site.sign_in("lam.siuyin")
    status, html, _ = await outsider.get(f"/app/assessments/{assessment_id}")
    assert status == 404
    _, html, _ = await outsider.get("/app/assessments")
    assert f'data-id="{assessment_id}"' not in html


async def test_a_manager_opens_an_assessment_for_someone_in_the_team(site: AdminSite) -> None:
    manager = await site.sign_in(MANAGER)
    status, html, _ = await manager.get("/app/assessments/new?lang=en")
    assert status == 200 and f'<option value="{EMPLOYEE}">' in html
    assert f'<option value="{ADMIN}">' not in html  # not in lei.mei's team
    csrf = await manager.csrf("/app/assessments/new")
    form = {"csrf": csrf, "title": "Transfer route: HR files to Hangzhou", "type": "transfer_route",
            "owner": EMPLOYEE, "dueAt": (datetime.now(UTC) + timedelta(days=30)).date().isoformat(), "note": ""}
    status, _, response = await manager.post("/app/assessments", data=form)
    assert status == 303
    _, html, _ = await manager.get(response.headers["Location"] + "?lang=en")
    assert "Assessment opened" in html and "Transfer route: HR files to Hangzhou" in html
    async with site.sessions() as session:
        row = await session.scalar(select(Assessment).where(Assessment.title == form["title"]))
    assert row is not None and row.owner == EMPLOYEE and row.created_by == MANAGER
    assert row.due_at.astimezone(ZoneInfo("Asia/Macau")).hour == 18  # a date is due at 18:00 on the org's clock

    past = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    status, html, _ = await manager.post("/app/assessments?lang=zh-Hant", data={**form, "dueAt": past})
    assert status == 400 and 'id="error-dueAt"' in html and "must be later" not in html
    status, html, _ = await manager.post("/app/assessments", data={**form, "owner": ADMIN})
    assert status == 403 and 'id="assessment-error"' in html

    employee = await site.sign_in(EMPLOYEE)
    status, html, _ = await employee.get("/app/assessments/new")
    assert status == 403


async def row(site: AdminSite, assessment_id: int) -> Assessment:
    async with site.sessions() as session:
        found = await session.get(Assessment, assessment_id)
    assert found is not None
    return found


async def actors(site: AdminSite, action: str) -> list[str]:
    async with site.sessions() as session:
        return list(await session.scalars(select(AuditEvent.actor).where(AuditEvent.action == action)))


async def forms_shown(browser: Browser, assessment_id: int) -> set[str]:
    status, html, _ = await browser.get(f"/app/assessments/{assessment_id}")
    assert status == 200
    return {form for form in ("done", *FORMS) if f'id="{form}-form"' in html}


async def test_a_manager_moves_the_due_date_and_hands_it_on_within_the_team(site: AdminSite) -> None:
    assessment_id = await employees_assessment(site)
    manager = await site.sign_in(MANAGER)
    assert await forms_shown(manager, assessment_id) == {"due", "owner", "snooze"}
    _, html, _ = await manager.get(f"/app/assessments/{assessment_id}?lang=en")
    assert f'<option value="{TEAMMATE}">' in html and "Only your team is listed" in html
    assert f'<option value="{ADMIN}">' not in html and f'<option value="{EMPLOYEE}">' not in html  # the owner

    csrf = await manager.csrf()
    base = f"/app/assessments/{assessment_id}"
    due = (datetime.now(MACAU) + timedelta(days=40)).date()
    status, _, response = await manager.post(f"{base}/due", data={"csrf": csrf, "version": "1",
                                                                  "dueAt": due.isoformat()})
    assert status == 303 and response.headers["Location"] == base
    _, html, _ = await manager.get(base)
    assert "Due date moved" in html
    moved = await row(site, assessment_id)
    assert moved.due_at.astimezone(MACAU) == datetime.combine(due, datetime.min.time(), MACAU).replace(hour=18)
    assert moved.version == 2 and await actors(site, "assessment.rescheduled") == [MANAGER]

    status, html, _ = await manager.post(f"{base}/owner?lang=pt", data={"csrf": csrf, "version": "2",
                                                                        "owner": ADMIN})
    assert status == 403 and "Só a pode atribuir a alguém da sua equipa" in html  # not in lei.mei's team
    assert (await row(site, assessment_id)).owner == EMPLOYEE
    status, html, _ = await manager.post(f"{base}/owner", data={"csrf": csrf, "version": "2", "owner": ""})
    assert status == 400 and 'id="error-owner"' in html and "é obrigatório" in html
    status, _, _ = await manager.post(f"{base}/owner", data={"csrf": csrf, "version": "2", "owner": TEAMMATE})
    assert status == 303
    assert (await row(site, assessment_id)).owner == TEAMMATE
    assert await actors(site, "assessment.delegated") == [MANAGER]


async def test_a_manager_may_not_move_the_due_date_of_their_own_assessment(site: AdminSite) -> None:
    now = datetime.now(UTC)
    async with site.sessions.begin() as session:
        own = await assessments.create_assessment(session, at=now, title="Notify the DSAJ of the HR system",
                                                  type="notification", owner=MANAGER, due_at=now + timedelta(days=20),
                                                  source="admin", created_by=ADMIN)
    manager = await site.sign_in(MANAGER)
    assert await forms_shown(manager, own.id) == {"done", "owner", "snooze"}
    status, html, _ = await manager.post(f"/app/assessments/{own.id}/due?lang=zh-Hant", data={
        "csrf": await manager.csrf(), "version": "1", "dueAt": (now + timedelta(days=40)).date().isoformat()})
    assert status == 403 and "只有負責人的主管或管理員可以更改截止日期" in html
    assert (await row(site, own.id)).version == 1


async def test_the_owner_snoozes_the_reminders(site: AdminSite) -> None:
    assessment_id = await employees_assessment(site)
    owner = await site.sign_in(EMPLOYEE)
    assert await forms_shown(owner, assessment_id) == {"done", "owner", "snooze"}
    _, html, _ = await owner.get(f"/app/assessments/{assessment_id}?lang=en")
    assert 'id="snoozed-until"' not in html and f'<option value="{ADMIN}">' in html  # the owner hands it to anyone

    csrf = await owner.csrf()
    path = f"/app/assessments/{assessment_id}/snooze"
    status, html, _ = await owner.post(path, data={"csrf": csrf, "version": "1", "days": "7"})
    assert status == 400 and 'id="error-days"' in html
    before = datetime.now(UTC)
    status, _, _ = await owner.post(path, data={"csrf": csrf, "version": "1", "days": "3"})
    assert status == 303
    _, html, _ = await owner.get(f"/app/assessments/{assessment_id}")
    assert "Reminders snoozed" in html and 'id="snoozed-until"' in html
    held = (await row(site, assessment_id)).snoozed_until
    calendar = WorkCalendar()
    assert held is not None
    assert calendar.add_working_days(before, 3) <= held <= calendar.add_working_days(datetime.now(UTC), 3)
    assert await actors(site, "assessment.snoozed") == [EMPLOYEE]


async def test_an_overdue_assessment_cannot_be_snoozed(site: AdminSite) -> None:
    now = datetime.now(UTC)
    async with site.sessions.begin() as session:
        late = await assessments.create_assessment(session, at=now - timedelta(days=30), title="Late notification",
                                                   type="notification", owner=EMPLOYEE, due_at=now - timedelta(days=1),
                                                   source="admin", created_by=ADMIN)
    owner = await site.sign_in(EMPLOYEE)
    assert await forms_shown(owner, late.id) == {"done", "owner"}
    status, html, _ = await owner.post(f"/app/assessments/{late.id}/snooze?lang=zh-Hant",
                                       data={"csrf": await owner.csrf(), "version": "1", "days": "1"})
    assert status == 400 and "延後提醒：已逾期的評估不能延後提醒" in html


async def test_an_admin_waives_with_a_reason_and_a_manager_cannot(site: AdminSite) -> None:
    assessment_id = await employees_assessment(site)
    path = f"/app/assessments/{assessment_id}/waive"
    manager = await site.sign_in(MANAGER)
    assert "waive" not in await forms_shown(manager, assessment_id)
    status, html, _ = await manager.post(path, data={"csrf": await manager.csrf(), "version": "1",
                                                     "reason": "not needed"})
    assert status == 403 and 'id="forbidden"' in html

    admin = await site.sign_in(ADMIN)
    assert await forms_shown(admin, assessment_id) == {"due", "owner", "snooze", "waive"}
    csrf = await admin.csrf()
    status, html, _ = await admin.post(f"{path}?lang=zh-Hant", data={"csrf": csrf, "version": "1", "reason": " "})
    assert status == 400 and 'id="error-reason"' in html and "說明為何不需要進行此工作" in html
    status, _, _ = await admin.post(path, data={"csrf": csrf, "version": "1",
                                                "reason": "the payroll firm's contract has ended"})
    assert status == 303
    _, html, _ = await admin.get(f"/app/assessments/{assessment_id}?lang=en")
    assert "Waived; its reminders have stopped" in html and "the payroll firm&#39;s contract has ended" in html
    assert await forms_shown(admin, assessment_id) == set()  # closed: nothing more to change
    waived = await row(site, assessment_id)
    assert waived.status == "waived" and await actors(site, "assessment.waived") == [ADMIN]


async def test_a_stale_version_is_refused_in_the_pages_language(site: AdminSite) -> None:
    assessment_id = await employees_assessment(site)
    owner = await site.sign_in(EMPLOYEE)
    base = f"/app/assessments/{assessment_id}"
    assert (await owner.post(f"{base}/snooze", data={"csrf": await owner.csrf(), "version": "1",
                                                     "days": "1"}))[0] == 303
    admin = await site.sign_in(ADMIN)
    status, html, _ = await admin.post(f"{base}/due?lang=pt", data={
        "csrf": await admin.csrf(), "version": "1", "dueAt": (datetime.now(UTC) + timedelta(days=40)).date()})
    assert status == 409 and "Esta avaliação foi alterada depois de abrir esta página" in html
    assert 'id="assessment-error"' in html and (await row(site, assessment_id)).version == 2


async def test_change_forms_without_the_csrf_token_are_refused(site: AdminSite) -> None:
    assessment_id = await employees_assessment(site)
    admin = await site.sign_in(ADMIN)
    data = {"version": "1", "dueAt": (datetime.now(UTC) + timedelta(days=40)).date().isoformat(),
            "owner": TEAMMATE, "days": "1", "reason": "not needed"}
    for form in FORMS:
        for csrf in ({}, {"csrf": "0" * 64}):
            status, html, _ = await admin.post(f"/app/assessments/{assessment_id}/{form}?lang=en",
                                               data={**data, **csrf})
            assert status == 403 and "This form has expired" in html, (form, csrf)
    assert (await row(site, assessment_id)).version == 1
