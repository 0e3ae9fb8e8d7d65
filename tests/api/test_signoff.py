"""/signoff-campaigns: admins create, start and cancel campaigns through the domain functions the CLI uses;
signers may read their own campaign, its report and certificate; everyone else gets 404 (or 403 where admin-only)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from handlers.context import CARD_CREATE, CARD_UPDATE
from storage import directory, preferences
from storage.models import AuditEvent, OutboxMessage, SignoffReport, SignoffSnapshot
from tests.api.conftest import ADMIN, EMPLOYEE, MANAGER, ApiClient, ApiFactory
from tests.api.examples_signoff import approve, completed, draft, reject, started

MACAU = ZoneInfo("Asia/Macau")
BOARD = ["chan.taiman", "wong.kachun", "sou.kamfai"]  # CEO, finance director, DPO


def future(days: int = 30) -> str:
    return (datetime.now(MACAU) + timedelta(days=days)).date().isoformat()


def body(**changes: Any) -> dict[str, Any]:
    return {"year": 2026, "title": "2026 個人資料合規年度報告", "signers": BOARD, "dueAt": future(), **changes}


async def outbox(api: ApiClient, kind: str) -> list[OutboxMessage]:
    async with api.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)
                                          .order_by(OutboxMessage.id)))


async def audit(api: ApiClient, action: str) -> list[AuditEvent]:
    async with api.sessions() as session:
        return list(await session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


async def test_an_admin_creates_a_draft_audited_under_their_user_id(api: ApiClient) -> None:
    admin = await api.sign_in(ADMIN)
    due = future(20)
    status, created, _ = await api.call("POST", "/signoff-campaigns", token=admin,
                                        json=body(dueAt=due, order="sequential", note="  請於月底前簽署 "))
    assert status == 200, created
    assert (created["status"], created["signingOrder"], created["round"], created["createdBy"]) == (
        "draft", "sequential", 1, ADMIN)
    assert created["note"] == "請於月底前簽署"
    assert [(s["userId"], s["name"], s["position"], s["status"]) for s in created["signers"]] == [
        ("chan.taiman", "陳大文", 0, "waiting"), ("wong.kachun", "王家俊", 1, "waiting"),
        ("sou.kamfai", "蘇錦輝", 2, "waiting")]
    # A date alone is due at 18:00 in the bot's timezone, as the CLI reads --due.
    assert datetime.fromisoformat(created["dueAt"]) == datetime.fromisoformat(f"{due}T18:00:00+08:00")
    assert created["snapshotSha256"] is None and created["links"] == {"report": None, "certificate": None}
    [entry] = await audit(api, "signoff.created")
    assert (entry.actor, entry.subject) == (ADMIN, f"campaign:{created['id']}")
    assert await outbox(api, CARD_CREATE) == []  # nothing is sent before it starts

    at = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    status, exact, _ = await api.call("POST", "/signoff-campaigns", token=admin,
                                      json=body(dueAt=at.astimezone(MACAU).isoformat(), signers=[EMPLOYEE]))
    assert status == 200 and datetime.fromisoformat(exact["dueAt"]) == at

    status, page, _ = await api.call("GET", "/signoff-campaigns", token=admin, params={"limit": 1})
    assert status == 200 and [item["id"] for item in page["items"]] == [exact["id"]]  # newest first
    status, rest, _ = await api.call("GET", "/signoff-campaigns", token=admin, params={"cursor": page["nextCursor"]})
    [first] = rest["items"]
    assert rest["nextCursor"] is None and first["id"] == created["id"]
    assert first["signers"] == {"waiting": 3, "pending": 0, "approved": 0, "rejected": 0, "total": 3}
    assert (first["year"], first["status"], first["signingOrder"]) == (2026, "draft", "sequential")


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"signers": []}, "signers", "at least 1"),
    ({"signers": [f"user.{n}" for n in range(21)]}, "signers", "at most 20"),
    ({"signers": ["chan.taiman", "no.such.person"]}, "signers.1", "not an active member"),
    ({"signers": ["chan.taiman", "lei.mei", "chan.taiman"]}, "signers.2", "more than once"),
    ({"signers": [""]}, "signers.0", "at least 1"),
    ({"order": "random"}, "order", "parallel"),
    ({"dueAt": "2020-01-31"}, "dueAt", "in the future"),
    ({"dueAt": "2099-01-31T18:00:00"}, "dueAt", "UTC offset"),
    ({"dueAt": "next friday"}, "dueAt", "must be a date"),
    ({"dueAt": "9999-12-31"}, "dueAt", "between the years"),
    ({"title": "a\x00b"}, "title", "control characters"),
    ({"title": "   "}, "title", "at least 1"),
    ({"year": 1999}, "year", "greater than or equal"),
    ({"colour": "red"}, "colour", "not expected"),
])
async def test_create_names_the_field_to_fix(api: ApiClient, changes: dict[str, Any], field: str,
                                             words: str) -> None:
    status, problem, _ = await api.call("POST", "/signoff-campaigns", token=await api.sign_in(ADMIN),
                                        json=body(**changes))
    assert status == 400, problem
    assert [(e["field"], e["in"]) for e in problem["errors"]] == [(field, "body")]
    assert words in problem["errors"][0]["message"] and field in problem["detail"]


async def test_a_signer_who_left_the_org_is_refused(api: ApiClient) -> None:
    async with api.sessions.begin() as session:
        await directory.deactivate_users(session, ["wong.kachun"])
    status, problem, _ = await api.call("POST", "/signoff-campaigns", token=await api.sign_in(ADMIN), json=body())
    assert status == 400 and [e["field"] for e in problem["errors"]] == ["signers.1"]


async def test_start_freezes_the_snapshot_and_queues_one_card_per_signer(make_api: ApiFactory) -> None:
    kicks: list[int] = []
    api = await make_api(on_committed=lambda: kicks.append(1))
    admin = await api.sign_in(ADMIN)
    _, created, _ = await api.call("POST", "/signoff-campaigns", token=admin, json=body())
    kicks.clear()

    status, campaign, _ = await api.call("POST", f"/signoff-campaigns/{created['id']}/start", token=admin)
    assert status == 200, campaign
    assert kicks == [1]  # the outbox is kicked after the commit, so the cards go out now
    assert campaign["status"] == "active" and {s["status"] for s in campaign["signers"]} == {"pending"}
    cards = await outbox(api, CARD_CREATE)
    assert sorted(c.payload["userId"] for c in cards) == sorted(BOARD)
    async with api.sessions() as session:
        [snapshot] = list(await session.scalars(select(SignoffSnapshot)))
    assert campaign["snapshotSha256"] == snapshot.sha256
    assert all(snapshot.sha256 in str(c.payload["paramMap"]) for c in cards)
    [entry] = await audit(api, "signoff.started")
    assert entry.actor == ADMIN and entry.details["sha256"] == snapshot.sha256
    base = f"/api/v1/signoff-campaigns/{created['id']}"
    assert campaign["links"] == {"report": f"{base}/report", "certificate": None}

    status, problem, _ = await api.call("POST", f"/signoff-campaigns/{created['id']}/start", token=admin)
    assert status == 409 and problem["detail"] == (
        f"campaign {created['id']} is active; only a draft can be started")
    assert len(await outbox(api, CARD_CREATE)) == len(BOARD)


async def test_a_sequential_campaign_asks_its_first_signer_only(api: ApiClient) -> None:
    admin = await api.sign_in(ADMIN)
    _, created, _ = await api.call("POST", "/signoff-campaigns", token=admin, json=body(order="sequential"))
    _, campaign, _ = await api.call("POST", f"/signoff-campaigns/{created['id']}/start", token=admin)
    assert [s["status"] for s in campaign["signers"]] == ["pending", "waiting", "waiting"]
    assert [c.payload["userId"] for c in await outbox(api, CARD_CREATE)] == ["chan.taiman"]


async def test_cancel_a_draft_or_an_active_campaign_but_nothing_else(api: ApiClient) -> None:
    admin = await api.sign_in(ADMIN)
    waiting, running = await draft(api), await started(api)
    status, campaign, _ = await api.call("POST", f"/signoff-campaigns/{waiting}/cancel", token=admin)
    assert (status, campaign["status"]) == (200, "cancelled") and campaign["closedAt"] is not None
    status, campaign, _ = await api.call("POST", f"/signoff-campaigns/{running}/cancel", token=admin)
    assert (status, campaign["status"]) == (200, "cancelled")
    assert len(await outbox(api, CARD_UPDATE)) == 2  # both signers' cards now say it was closed
    assert {e.actor for e in await audit(api, "signoff.cancelled")} == {ADMIN}
    _, page, _ = await api.call("GET", "/signoff-campaigns", token=admin, params={"status": "cancelled"})
    assert [item["id"] for item in page["items"]] == [running, waiting]
    assert page["items"][0]["signers"] == {"waiting": 0, "pending": 2, "approved": 0, "rejected": 0, "total": 2}

    status, problem, _ = await api.call("POST", f"/signoff-campaigns/{waiting}/cancel", token=admin)
    assert status == 409 and "cancelled" in problem["detail"]
    status, problem, _ = await api.call("POST", f"/signoff-campaigns/{waiting}/start", token=admin)
    assert status == 409 and "only a draft" in problem["detail"]


async def test_the_report_is_the_stored_html_whose_hash_the_campaign_shows(api: ApiClient) -> None:
    admin, employee = await api.sign_in(ADMIN), await api.sign_in(EMPLOYEE)
    waiting = await draft(api)
    status, problem, _ = await api.call("GET", f"/signoff-campaigns/{waiting}/report", token=admin)
    assert status == 404 and "frozen when the campaign starts" in problem["detail"]

    running = await started(api)
    _, campaign, _ = await api.call("GET", f"/signoff-campaigns/{running}", token=admin)
    status, html, response = await api.call("GET", f"/signoff-campaigns/{running}/report", token=admin,
                                            params={"language": "en"})
    assert status == 200 and response.content_type == "text/html" and response.charset == "utf-8"
    assert response.headers["Content-Disposition"].startswith("inline;")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]  # no script runs in a report
    async with api.sessions() as session:
        stored = await session.scalar(select(SignoffReport).where(SignoffReport.language == "en"))
    assert stored is not None and html == stored.html.encode("utf-8")
    assert hashlib.sha256(html).hexdigest() == stored.sha256 == campaign["reportSha256"]["en"]

    # Without `language`: the caller's preference, else zh-Hant.
    async with api.sessions.begin() as session:
        await preferences.set_language(session, EMPLOYEE, "pt", datetime.now(UTC))
    _, html, _ = await api.call("GET", f"/signoff-campaigns/{running}/report", token=employee)
    assert hashlib.sha256(html).hexdigest() == campaign["reportSha256"]["pt"]
    _, html, _ = await api.call("GET", f"/signoff-campaigns/{running}/report", token=admin)
    assert hashlib.sha256(html).hexdigest() == campaign["reportSha256"]["zh-Hant"]
    status, problem, _ = await api.call("GET", f"/signoff-campaigns/{running}/report", token=admin,
                                        params={"language": "fr"})
    assert status == 400 and problem["errors"][0]["field"] == "language"


async def test_the_certificate_appears_once_every_signer_approves(api: ApiClient) -> None:
    admin, manager = await api.sign_in(ADMIN), await api.sign_in(MANAGER)
    running = await started(api)
    await approve(api, running, EMPLOYEE)
    status, problem, _ = await api.call("GET", f"/signoff-campaigns/{running}/certificate", token=admin)
    assert status == 404 and "it is active" in problem["detail"]

    await approve(api, running, MANAGER)  # the last approval completes it, through the card click's handler
    _, campaign, _ = await api.call("GET", f"/signoff-campaigns/{running}", token=manager)
    assert campaign["status"] == "completed" and campaign["certificateSha256"]
    assert [(s["userId"], s["status"]) for s in campaign["signers"]] == [(EMPLOYEE, "approved"), (MANAGER, "approved")]
    assert all(s["decidedAt"] for s in campaign["signers"])
    assert campaign["links"]["certificate"] == f"/api/v1/signoff-campaigns/{running}/certificate"
    for token in (admin, manager):
        status, html, response = await api.call("GET", f"/signoff-campaigns/{running}/certificate", token=token)
        assert status == 200 and response.content_type == "text/html"
        assert hashlib.sha256(html).hexdigest() == campaign["certificateSha256"]
        assert campaign["snapshotSha256"] in html.decode("utf-8")


async def test_signers_read_their_own_campaign_and_no_one_elses(api: ApiClient) -> None:
    employee, manager = await api.sign_in(EMPLOYEE), await api.sign_in(MANAGER)
    outsider = await api.sign_in("lam.siuyin")
    theirs, other = await completed(api), await completed(api, ["chan.taiman"])
    for path in ("", "/report", "/certificate"):
        for token in (employee, manager):
            status, _, _ = await api.call("GET", f"/signoff-campaigns/{theirs}{path}", token=token)
            assert status == 200, path
        status, problem, _ = await api.call("GET", f"/signoff-campaigns/{theirs}{path}", token=outsider)
        assert status == 404 and problem["detail"] == f"no sign-off campaign {theirs}", path
        # lei.mei manages cheang.kawai, but is no signer of `other`: a manager sees no more than anyone else.
        status, problem, _ = await api.call("GET", f"/signoff-campaigns/{other}{path}", token=manager)
        assert (status, problem["detail"]) == (404, f"no sign-off campaign {other}"), path
    status, problem, _ = await api.call("GET", "/signoff-campaigns/999999", token=await api.sign_in(ADMIN))
    assert (status, problem["detail"]) == (404, "no sign-off campaign 999999")


async def test_managers_and_employees_may_not_manage_campaigns(api: ApiClient) -> None:
    campaign = await draft(api)
    for who in (MANAGER, EMPLOYEE):  # both sign `campaign`, and still may not run it
        token = await api.sign_in(who)
        for method, path, sent in (("GET", "/signoff-campaigns", None), ("POST", "/signoff-campaigns", body()),
                                   ("POST", f"/signoff-campaigns/{campaign}/start", None),
                                   ("POST", f"/signoff-campaigns/{campaign}/cancel", None)):
            status, problem, _ = await api.call(method, path, token=token, json=sent)
            assert status == 403 and "admin role" in problem["detail"], (who, method, path)
    status, campaign_now, _ = await api.call("GET", f"/signoff-campaigns/{campaign}", token=await api.sign_in(ADMIN))
    assert campaign_now["status"] == "draft"


async def test_a_rejected_campaign_starts_a_new_round_with_new_cards(api: ApiClient) -> None:
    admin = await api.sign_in(ADMIN)
    campaign_id = await started(api)
    status, problem, _ = await api.call("POST", f"/signoff-campaigns/{campaign_id}/restart",
                                        token=await api.sign_in(MANAGER))
    assert status == 403
    await reject(api, campaign_id, MANAGER, "the register misses the payroll flow")
    cards_before = len(await outbox(api, CARD_CREATE))
    status, renewed, _ = await api.call("POST", f"/signoff-campaigns/{campaign_id}/restart", token=admin)
    assert status == 200, renewed
    assert renewed["id"] != campaign_id and renewed["round"] == 2 and renewed["previousId"] == campaign_id
    assert renewed["status"] == "active" and renewed["snapshotSha256"]
    assert [s["status"] for s in renewed["signers"]] == ["pending", "pending"]
    _, old, _ = await api.call("GET", f"/signoff-campaigns/{campaign_id}", token=admin)
    assert old["status"] == "superseded"
    assert len(await outbox(api, CARD_CREATE)) == cards_before + 2
    assert [event.actor for event in await audit(api, "signoff.superseded")] == [ADMIN]
    status, problem, _ = await api.call("POST", f"/signoff-campaigns/{campaign_id}/restart", token=admin)
    assert status == 409 and "superseded" in problem["detail"]
    status, problem, _ = await api.call("POST", f"/signoff-campaigns/{await draft(api)}/restart", token=admin)
    assert status == 409
