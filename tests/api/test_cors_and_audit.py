"""CORS only for the configured origins; the audit log and its check, for admins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from storage.audit import append_audit
from storage.models import AuditEvent
from tests.api.conftest import ADMIN, ORIGIN, ApiClient

PREFLIGHT = {"Origin": ORIGIN, "Access-Control-Request-Method": "GET",
             "Access-Control-Request-Headers": "authorization"}


async def test_preflight_is_answered_for_a_configured_origin_only(api: ApiClient) -> None:
    status, _, response = await api.call("OPTIONS", "/classifications", headers=PREFLIGHT)
    assert status == 204
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.headers["Access-Control-Allow-Methods"] == "GET"
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in response.headers

    status, _, response = await api.call("OPTIONS", "/classifications",
                                         headers={**PREFLIGHT, "Origin": "https://evil.example"})
    assert status == 403 and "Access-Control-Allow-Origin" not in response.headers
    status, _, _ = await api.call("OPTIONS", "/classifications",
                                  headers={**PREFLIGHT, "Access-Control-Request-Method": "DELETE"})
    assert status == 403


async def test_answers_carry_cors_headers_for_a_configured_origin_even_when_refused(api: ApiClient) -> None:
    status, _, response = await api.call("GET", "/me", headers={"Origin": ORIGIN})
    assert status == 401 and response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "WWW-Authenticate" in response.headers["Access-Control-Expose-Headers"]
    status, _, response = await api.call("GET", "/openapi.json", headers={"Origin": "https://evil.example"})
    assert status == 200 and "Access-Control-Allow-Origin" not in response.headers
    assert "Origin" in response.headers.getall("Vary")


async def test_admins_page_through_the_audit_log_and_verify_it(api: ApiClient) -> None:
    at = datetime(2026, 3, 2, tzinfo=UTC)
    async with api.sessions.begin() as session:
        for n in range(7):
            await append_audit(session, actor="lei.mei" if n % 2 else "system", action=f"test.{n % 3}",
                               subject=f"file:{n}", details={"n": n}, at=at + timedelta(minutes=n))
    admin = await api.sign_in(ADMIN)
    seen, cursor = [], None
    while True:
        params = {"limit": "3", "actor": "system", **({"cursor": cursor} if cursor else {})}
        status, body, _ = await api.call("GET", "/audit-events", token=admin, params=params)
        assert status == 200, body
        seen += [(item["seq"], item["actor"], item["details"]["n"]) for item in body["items"]]
        if (cursor := body["nextCursor"]) is None:
            break
    assert seen == [(1, "system", 0), (3, "system", 2), (5, "system", 4), (7, "system", 6)]
    _, body, _ = await api.call("GET", "/audit-events", token=admin, params={"action": "test.1"})
    assert [item["seq"] for item in body["items"]] == [2, 5]
    assert set(body["items"][0]) == {"seq", "at", "actor", "action", "subject", "details", "prevHash", "hash"}

    status, body, _ = await api.call("GET", "/audit-events/verify", token=admin)
    assert (status, body) == (200, {"ok": True, "checked": 7, "firstBrokenSeq": None, "reason": None})
    async with api.sessions.begin() as session:
        await session.execute(update(AuditEvent).where(AuditEvent.seq == 4).values(subject="file:tampered"))
    status, body, _ = await api.call("GET", "/audit-events/verify", token=admin)
    assert status == 200 and body["ok"] is False and body["firstBrokenSeq"] == 4
