"""The register page and the export downloads: the same rows as the lists, by role; filters carried over."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from yarl import URL

from storage import classifications
from storage.models import AuditEvent
from tests.admin.conftest import ADMIN, EMPLOYEE, MANAGER, AdminSite, Sessions

OTHER = "lam.siuyin"  # not in lei.mei's team


async def seed(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        for n, who in enumerate((EMPLOYEE, OTHER)):
            at = datetime.now(UTC) - timedelta(hours=n + 1)
            shared = await classifications.add_shared_file(
                session, file_name=f"{who}-file.xlsx", shared_by=who, conversation_id="cid",
                conversation_title="1:1", channel="direct", shared_at=at)
            prompt = await classifications.add_prompt(session, card_id=f"card-{n}", file_id=shared.id,
                                                      asked_user=who, language="en", asked_at=at)
            prompt.status = "answered"
            await classifications.add_classification(
                session, prompt_id=prompt.id, file_id=shared.id, level="confidential", personal_data="staff",
                destination="mainland", reason=None, classified_by=who, classified_at=at,
                rules_version="test", obligation_ids=[])


def rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


async def test_the_classifications_export_holds_what_the_list_shows(site: AdminSite) -> None:
    await seed(site.sessions)
    employee = await site.sign_in(EMPLOYEE)
    _, html, _ = await employee.get("/app/classifications?status=answered&order=oldest")
    assert 'href="/app/exports/classifications.csv?status=answered"' in html  # filters kept, order dropped
    async with employee.http.get(site.base.join(URL("/app/exports/classifications.csv?status=answered"))) as response:
        assert response.status == 200 and response.content_type == "text/csv"
        assert response.headers["Content-Disposition"].startswith('attachment; filename="classifications-')
        exported = rows(await response.read())
    assert [row for row in exported if OTHER in str(row.values())] == []
    assert any(f"{EMPLOYEE}-file.xlsx" in row.values() for row in exported)
    async with site.sessions() as session:
        assert await session.scalar(select(AuditEvent.action).where(AuditEvent.actor == EMPLOYEE)) \
            == "export.downloaded"


async def test_exports_refuse_a_role_below_the_dataset_and_unknown_datasets(site: AdminSite) -> None:
    employee = await site.sign_in(EMPLOYEE)
    status, html, _ = await employee.get("/app/exports/audit-events.csv")
    assert status == 403 and 'id="forbidden"' in html
    assert (await employee.get("/app/exports/secrets.csv"))[0] == 404
    assert (await employee.get("/app/exports/classifications.pdf"))[0] == 404
    status, html, _ = await employee.get("/app/exports/classifications.csv?action=x")
    assert status == 400 and "does not apply to classifications" in html


async def test_the_register_shows_each_manager_their_teams_flows(site: AdminSite) -> None:
    await seed(site.sessions)
    status, html, _ = await (await site.sign_in(ADMIN)).get("/app/register?lang=en")
    assert status == 200 and "Register of data flows" in html and 'href="/app/exports/data-flows.csv"' in html
    assert html.count("<tr>") == 2  # the header and one flow: mainland China x staff data
    status, html, _ = await (await site.sign_in(MANAGER)).get("/app/register?destination=mainland")
    assert status == 200 and html.count("<tr>") == 2
    status, html, _ = await (await site.sign_in(MANAGER)).get("/app/register?destination=mars")
    assert status == 400 and 'id="error-destination"' in html
    assert (await (await site.sign_in(EMPLOYEE)).get("/app/register"))[0] == 403
