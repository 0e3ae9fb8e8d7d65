"""Sessions: the sign-in shell for anyone without a valid cookie, the cookie's flags, signing out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.admin.conftest import ADMIN, EMPLOYEE, AdminSite, forged_token


async def test_without_a_cookie_every_page_is_the_sign_in_shell(site: AdminSite) -> None:
    browser = site.browser()
    for path in ("/app/", "/app/classifications?status=open", "/app/audit"):
        status, html, _ = await browser.get(path)
        assert status == 401, path
        assert f'<script src="{site.config.jsapi_url}"></script>' in html
        assert f'data-corp-id="{site.config.corp_id}"' in html and 'data-signin="/api/v1/auth/dingtalk"' in html
        assert f'data-next="{path.replace("&", "&amp;")}"' in html


async def test_a_forged_or_expired_token_gets_the_shell(site: AdminSite) -> None:
    expired = site.deps.tokens.issue(ADMIN, datetime.now(UTC) - site.deps.tokens.ttl - timedelta(seconds=1)).token
    for token in (forged_token(), expired, "not-a-token"):
        status, html, _ = await site.browser_with_token(token).get("/app/audit")
        assert status == 401 and "data-signin" in html


async def test_the_corp_id_dingtalk_puts_in_the_url_is_used(site: AdminSite) -> None:
    _, html, _ = await site.browser().get("/app/?corpId=ding123")
    assert 'data-corp-id="ding123"' in html


async def test_signing_in_sets_a_strict_http_only_cookie_for_app_only(site: AdminSite) -> None:
    browser = await site.sign_in(EMPLOYEE)
    cookie = next(iter(browser.http.cookie_jar))
    assert (cookie.key, cookie["path"], cookie["samesite"], cookie["httponly"]) == ("cb_session", "/app", "Strict",
                                                                                     True)
    assert not cookie["secure"]  # plain http here; https requests get Secure
    status, html, _ = await browser.get("/app/")
    assert status == 200 and "data-signin" not in html


async def test_a_session_needs_a_valid_token_from_our_own_origin(site: AdminSite) -> None:
    browser = site.browser()
    token = site.deps.tokens.issue(EMPLOYEE, datetime.now(UTC)).token
    status, _, _ = await browser.post("/app/session", json={"token": token}, headers={"Origin": "https://evil.example"})
    assert status == 403 and browser.session_cookie() is None
    status, _, _ = await browser.post("/app/session", json={"token": forged_token()},
                                      headers={"Origin": str(site.base)})
    assert status == 401 and browser.session_cookie() is None
    status, body, response = await browser.post("/app/session", json={"token": token, "next": "https://evil.example/"},
                                                headers={"Origin": str(site.base)})
    assert status == 200 and (await response.json()) == {"next": "/app/"}


async def test_signing_out_clears_the_cookie(site: AdminSite) -> None:
    browser = await site.sign_in(ADMIN)
    status, _, response = await browser.post("/app/sign-out", data={"csrf": await browser.csrf()})
    assert status == 303 and response.headers["Location"] == "/app/signed-out"
    assert browser.session_cookie() is None
    status, html, _ = await browser.get("/app/")
    assert status == 401 and "data-signin" in html
