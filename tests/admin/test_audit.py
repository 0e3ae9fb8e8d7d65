"""The audit log page: each entry's actor by name beside their userId, and its action in the page's words."""

from __future__ import annotations

from tests.admin.conftest import ADMIN, EMPLOYEE, AdminSite
from tests.admin.examples import employees_assessment


async def test_entries_name_their_actor_and_word_their_action(site: AdminSite) -> None:
    assessment_id = await employees_assessment(site)
    owner = await site.sign_in(EMPLOYEE)
    status, _, _ = await owner.post(f"/app/assessments/{assessment_id}/done", data={
        "csrf": await owner.csrf(), "version": "1", "evidence": "contract signed"})
    assert status == 303
    admin = await site.sign_in(ADMIN)
    status, html, _ = await admin.get("/app/audit?action=assessment.done&lang=zh-Hant")
    assert status == 200
    assert f'<td>鄭家慧<br><small class="muted">{EMPLOYEE}</small></td>' in html
    assert "<td>標記為完成<br><code>assessment.done</code></td>" in html
