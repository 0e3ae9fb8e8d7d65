"""What tests/admin/test_access.py sends to a page beyond a plain GET: each maps (method, path) to an Example
that returns `path` (parameters filled in) and, for a POST, the form `data` (the walk adds the CSRF token),
and `expect`, the status an allowed caller gets (200 for a GET, 303 for a form that worked). An Example may
create what it needs first; it is called once per identity."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from handlers.api import rules_pack
from handlers.api.caller import Caller
from handlers.api.signoff import signoff_context, start_campaign
from handlers.rules.active import default_text
from storage import assessments, signoff
from storage.assessments import save_rule
from storage.models import SignoffCampaign
from tests.admin.conftest import ADMIN, EMPLOYEE, MANAGER, AdminSite

Example = Callable[[AdminSite], Awaitable[dict[str, Any]]]
SIGNERS = (MANAGER, ADMIN)
TEAMMATE = "sou.kamfai"  # in lei.mei's department, beside EMPLOYEE


async def draft_campaign(site: AdminSite, title: str = "2026 私隱合規") -> int:
    now = datetime.now(UTC)
    async with site.sessions.begin() as session:
        campaign = await signoff.create_campaign(
            session, year=2026, title=title, note="", signing_order="parallel", due_at=now + timedelta(days=14),
            signers=SIGNERS, created_by=ADMIN, at=now)
        return campaign.id


async def started_campaign(site: AdminSite) -> int:
    campaign_id = await draft_campaign(site)
    now = datetime.now(UTC)
    admin = Caller(user_id=ADMIN, name=ADMIN, title="", role="admin")
    async with site.sessions.begin() as session:
        await start_campaign(signoff_context(session, now, site.deps.policy(), "test"), admin, campaign_id)
    return campaign_id


async def completed_campaign(site: AdminSite) -> int:
    campaign_id = await draft_campaign(site)
    async with site.sessions.begin() as session:
        campaign = await session.get(SignoffCampaign, campaign_id)
        assert campaign is not None
        campaign.status, campaign.certificate_html = "completed", "<p>certificate</p>"
        campaign.certificate_sha256 = signoff.sha256_hex(campaign.certificate_html)
    return campaign_id


async def _create(site: AdminSite) -> dict[str, Any]:
    due = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    return {"data": {"year": "2026", "title": "年度簽署", "signers": f"{MANAGER}, {ADMIN}", "order": "parallel",
                     "dueAt": due, "note": ""}, "expect": 303}


async def _detail(site: AdminSite) -> dict[str, Any]:
    return {"path": f"/app/campaigns/{await draft_campaign(site)}"}


async def _start(site: AdminSite) -> dict[str, Any]:
    return {"path": f"/app/campaigns/{await draft_campaign(site)}/start", "expect": 303}


async def _cancel(site: AdminSite) -> dict[str, Any]:
    return {"path": f"/app/campaigns/{await draft_campaign(site)}/cancel", "expect": 303}


async def rejected_campaign(site: AdminSite) -> int:
    """A campaign whose round ended in a rejection (the card path is tested in tests/api/test_signoff.py)."""
    campaign_id = await started_campaign(site)
    async with site.sessions.begin() as session:
        campaign = await session.get(SignoffCampaign, campaign_id)
        assert campaign is not None
        campaign.status = "rejected"
    return campaign_id


async def _restart(site: AdminSite) -> dict[str, Any]:
    return {"path": f"/app/campaigns/{await rejected_campaign(site)}/restart", "expect": 303}


async def _report(site: AdminSite) -> dict[str, Any]:
    return {"path": f"/app/campaigns/{await started_campaign(site)}/report?language=en"}


async def _certificate(site: AdminSite) -> dict[str, Any]:
    return {"path": f"/app/campaigns/{await completed_campaign(site)}/certificate"}


async def _sign_out(site: AdminSite) -> dict[str, Any]:
    return {"expect": 303}


async def _export(site: AdminSite) -> dict[str, Any]:
    return {"path": "/app/exports/classifications.csv?status=open"}


async def _check_pack(site: AdminSite) -> dict[str, Any]:
    return {"data": {"text": default_text(), "basedOn": "0", "action": "validate"}}


async def _pack_version(site: AdminSite) -> dict[str, Any]:
    now = datetime.now(UTC)
    edited = default_text().replace('version: "2026.1"', f'version: "x{now.timestamp()}"', 1)
    admin = Caller(user_id=ADMIN, name=ADMIN, title="", role="admin")
    async with site.sessions.begin() as session:
        active = await rules_pack.get_active(session)
        saved = await rules_pack.save(session, admin, rules_pack.RulesPackUpdate(text=edited, based_on=active.version),
                                      now)
    return {"path": f"/app/rules-pack/versions/{saved.version}"}


RULE_FORM = {"leadDays": "30, 7, 1", "overdueEveryWorkingDays": "2", "step0.after": "2", "step0.to": "manager",
             "channel": "card", "quietStart": "20:00", "quietEnd": "09:00"}
RULE_TYPE = "{type:[a-z_]{1,64}}"


async def _rule(site: AdminSite) -> dict[str, Any]:
    return {"path": "/app/reminder-rules/notification"}


async def _rule_preview_button(site: AdminSite) -> dict[str, Any]:
    return {"path": "/app/reminder-rules/notification", "data": {**RULE_FORM, "action": "preview"}}


async def _rule_preview(site: AdminSite) -> dict[str, Any]:
    return {"path": "/app/reminder-rules/notification/preview", "data": RULE_FORM}


async def _rule_reset(site: AdminSite) -> dict[str, Any]:
    async with site.sessions.begin() as session:
        await save_rule(session, "notification", {"lead_days": [5]}, by=ADMIN, at=datetime.now(UTC))
    return {"path": "/app/reminder-rules/notification/reset", "expect": 303}


async def employees_assessment(site: AdminSite) -> int:
    now = datetime.now(UTC)
    async with site.sessions.begin() as session:
        row = await assessments.create_assessment(session, at=now, title="Processor contract with the payroll firm",
                                                  type="processor_contract", owner=EMPLOYEE,
                                                  due_at=now + timedelta(days=20), source="admin", created_by=ADMIN)
        return row.id


async def _assessment(site: AdminSite) -> dict[str, Any]:
    return {"path": f"/app/assessments/{await employees_assessment(site)}"}


async def _done(site: AdminSite) -> dict[str, Any]:
    return {"path": f"/app/assessments/{await employees_assessment(site)}/done",
            "data": {"version": "1", "evidence": "signed contract in the shared drive"}, "expect": 303}


def _later_date(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).date().isoformat()


async def _move_due(site: AdminSite) -> dict[str, Any]:
    return {"path": f"/app/assessments/{await employees_assessment(site)}/due",
            "data": {"version": "1", "dueAt": _later_date(40)}, "expect": 303}


async def _hand_over(site: AdminSite) -> dict[str, Any]:
    # sou.kamfai is in lei.mei's team, so the owner, her manager and an admin may all hand it to him.
    return {"path": f"/app/assessments/{await employees_assessment(site)}/owner",
            "data": {"version": "1", "owner": TEAMMATE}, "expect": 303}


async def _snooze(site: AdminSite) -> dict[str, Any]:
    return {"path": f"/app/assessments/{await employees_assessment(site)}/snooze",
            "data": {"version": "1", "days": "1"}, "expect": 303}


async def _waive(site: AdminSite) -> dict[str, Any]:
    return {"path": f"/app/assessments/{await employees_assessment(site)}/waive",
            "data": {"version": "1", "reason": "the payroll firm's contract was ended"}, "expect": 303}


async def _new_assessment(site: AdminSite) -> dict[str, Any]:
    due = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    return {"path": "/app/assessments", "data": {"title": "Transfer route: HR files to the Hangzhou processor",
                                                 "type": "transfer_route", "owner": EMPLOYEE, "dueAt": due},
            "expect": 303}


ID = "{id:[0-9]{1,18}}"
EXAMPLES: dict[tuple[str, str], Example] = {
    ("POST", "/sign-out"): _sign_out,
    ("POST", "/campaigns"): _create,
    ("POST", "/assessments"): _new_assessment,
    ("GET", f"/campaigns/{ID}"): _detail,
    ("POST", f"/campaigns/{ID}/start"): _start,
    ("POST", f"/campaigns/{ID}/cancel"): _cancel,
    ("POST", f"/campaigns/{ID}/restart"): _restart,
    ("GET", f"/campaigns/{ID}/report"): _report,
    ("GET", f"/campaigns/{ID}/certificate"): _certificate,
    ("GET", "/exports/{dataset:[a-z-]+}.{format:[a-z]+}"): _export,
    ("POST", "/rules-pack"): _check_pack,
    ("GET", f"/reminder-rules/{RULE_TYPE}"): _rule,
    ("POST", f"/reminder-rules/{RULE_TYPE}"): _rule_preview_button,
    ("POST", f"/reminder-rules/{RULE_TYPE}/preview"): _rule_preview,
    ("POST", f"/reminder-rules/{RULE_TYPE}/reset"): _rule_reset,
    ("GET", f"/assessments/{ID}"): _assessment,
    ("POST", f"/assessments/{ID}/done"): _done,
    ("POST", f"/assessments/{ID}/due"): _move_due,
    ("POST", f"/assessments/{ID}/owner"): _hand_over,
    ("POST", f"/assessments/{ID}/snooze"): _snooze,
    ("POST", f"/assessments/{ID}/waive"): _waive,
    ("GET", "/rules-pack/versions/{version:[0-9]{1,9}}"): _pack_version,
}
