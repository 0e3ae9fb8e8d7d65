"""Campaign pages: create through the form (field errors shown), start and cancel, CSRF refused."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from storage import directory
from storage.models import AuditEvent, OutboxMessage, SignoffCampaign
from tests.admin.conftest import ADMIN, EMPLOYEE, MANAGER, AdminSite
from tests.admin.examples import draft_campaign, rejected_campaign


def _due(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).date().isoformat()


async def test_an_admin_creates_a_draft_then_starts_it(site: AdminSite) -> None:
    admin = await site.sign_in(ADMIN)
    form = {"csrf": await admin.csrf("/app/campaigns/new"), "year": "2026", "title": "年度簽署 2026",
            "signers": f"{MANAGER}, {ADMIN}", "order": "sequential", "dueAt": _due(20), "note": "請於月底前簽署"}
    status, _, response = await admin.post("/app/campaigns", data=form)
    assert status == 303
    location = response.headers["Location"]
    assert re.fullmatch(r"/app/campaigns/\d+", location)
    status, html, _ = await admin.get(location + "?lang=en")
    assert status == 200 and "Draft created; nothing is sent until you start it." in html
    assert 'id="campaign-status">draft<' in html and "李美" in html and 'id="start-campaign"' in html
    _, html, _ = await admin.get(location)
    assert "Draft created" not in html  # the message is shown once

    status, _, response = await admin.post(location + "/start", data={"csrf": form["csrf"]})
    assert status == 303 and response.headers["Location"] == location
    _, html, _ = await admin.get(location)
    assert 'id="campaign-status">active<' in html and "/report?language=zh-Hant" in html
    async with site.sessions() as session:
        queued = await session.scalar(select(func.count()).select_from(OutboxMessage))
        actions = list(await session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))
    assert queued == 1  # sequential: the first signer's card only
    assert "signoff.created" in actions and any(a.startswith("signoff.start") for a in actions)

    status, html, _ = await admin.post(location + "/start", data={"csrf": form["csrf"]})
    assert status == 409 and 'id="campaign-error">This campaign is active; only a draft can be started.<' in html
    await admin.get(location + "?lang=zh-Hant")
    assert (await admin.post(location + "/cancel", data={"csrf": form["csrf"]}))[0] == 303
    status, html, _ = await admin.post(location + "/cancel", data={"csrf": form["csrf"]})
    assert status == 409 and "此簽署目前「已取消」，只有草稿或進行中的簽署可以取消。" in html


async def test_bad_fields_are_named_on_the_form(site: AdminSite) -> None:
    admin = await site.sign_in(ADMIN)
    form = {"csrf": await admin.csrf("/app/campaigns/new"), "year": "1999", "title": "x",
            "signers": "no.such.person", "order": "parallel", "dueAt": _due(10)}
    status, html, _ = await admin.post("/app/campaigns?lang=en", data=form)
    assert status == 400 and 'id="error-year"' in html and "Fix the marked fields." in html
    form["year"] = "2026"
    status, html, _ = await admin.post("/app/campaigns", data=form)
    assert status == 400 and 'id="error-signers"' in html and "not an active member" in html
    assert 'value="no.such.person"' in html  # what was typed stays in the form
    async with site.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(SignoffCampaign)) == 0


async def test_a_form_without_the_sessions_csrf_token_changes_nothing(site: AdminSite) -> None:
    campaign_id = await draft_campaign(site)
    admin, other = await site.sign_in(ADMIN), await site.sign_in(ADMIN)
    for data in ({}, {"csrf": "0" * 64}, {"csrf": await other.csrf()}):
        status, html, _ = await admin.post(f"/app/campaigns/{campaign_id}/cancel", data=data)
        assert status == 403 and "form has expired" in html.replace("表單已過期", "form has expired")
    async with site.sessions() as session:
        campaign = await session.get(SignoffCampaign, campaign_id)
        assert campaign is not None and campaign.status == "draft"


async def test_an_unknown_campaign_is_a_404_page(site: AdminSite) -> None:
    admin = await site.sign_in(ADMIN)
    assert (await admin.get("/app/campaigns/999999"))[0] == 404
    assert (await admin.post("/app/campaigns/999999/start", data={"csrf": await admin.csrf()}))[0] == 404


async def test_the_signer_picker_lists_the_active_people_by_name(site: AdminSite) -> None:
    """DingTalk userIds are opaque: the form offers people by name and title, departed ones left out."""
    async with site.sessions.begin() as session:
        await directory.deactivate_users(session, [EMPLOYEE])
    admin = await site.sign_in(ADMIN)
    status, html, _ = await admin.get("/app/campaigns/new?lang=en")
    assert status == 200 and 'id="signer-picker"' in html
    assert f'<option value="{MANAGER}">李美' in html and f'<option value="{ADMIN}">' in html
    assert f'<option value="{EMPLOYEE}">' not in html


async def test_a_rejected_campaign_offers_a_new_round(site: AdminSite) -> None:
    campaign_id = await rejected_campaign(site)
    admin = await site.sign_in(ADMIN)
    status, html, _ = await admin.get(f"/app/campaigns/{campaign_id}?lang=en")
    assert status == 200 and 'id="restart-campaign"' in html and 'id="start-campaign"' not in html
    csrf = await admin.csrf(f"/app/campaigns/{campaign_id}")
    status, _, response = await admin.post(f"/app/campaigns/{campaign_id}/restart", data={"csrf": csrf})
    assert status == 303
    renewed = response.headers["Location"]
    assert renewed != f"/app/campaigns/{campaign_id}"
    _, html, _ = await admin.get(renewed + "?lang=en")
    assert "New round started" in html and 'id="campaign-status">active<' in html
    status, html, _ = await admin.post(f"/app/campaigns/{campaign_id}/restart?lang=zh-Hant", data={"csrf": csrf})
    assert status == 409 and "只有進行中或被拒絕的簽署可以開始新一輪" in html
