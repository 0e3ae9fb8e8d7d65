"""Assessment pages: the list by role, one with its history, and the owner marking it done."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from storage.models import Assessment, AuditEvent
from tests.admin.conftest import ADMIN, EMPLOYEE, MANAGER, AdminSite
from tests.admin.examples import employees_assessment


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
