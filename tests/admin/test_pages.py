"""What every page shares: security headers, the three languages, error pages, static files."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.admin.render import strings
from storage import preferences
from tests.admin.conftest import ADMIN, EMPLOYEE, AdminSite

KNOWN = {"zh-Hant": "未分類檔案", "en": "Unclassified files", "pt": "Ficheiros por classificar"}
CONFIDENTIAL = {"zh-Hant": "機密", "en": "Confidential", "pt": "Confidencial"}  # the rules pack's own labels


def test_every_string_is_in_all_three_languages() -> None:
    for key, texts in strings().items():
        assert set(texts) == {"zh-Hant", "en", "pt"} and all(texts.values()), key


async def test_pages_carry_the_security_headers(site: AdminSite) -> None:
    admin = await site.sign_in(ADMIN)
    for browser, path, status in ((site.browser(), "/app/", 401), (admin, "/app/", 200), (admin, "/app/audit", 200),
                                  (admin, "/app/no-such-page", 404)):
        got, _, response = await browser.get(path)
        assert got == status, path
        headers = response.headers
        csp = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
        assert csp["default-src"] == "'self'" and csp["style-src"] == "'self'" and csp["base-uri"] == "'none'"
        assert csp["script-src"] == f"'self' {site.config.jsapi_origin}"  # never 'unsafe-inline'
        assert csp["frame-ancestors"] == "'none'" and csp["form-action"] == "'self'"
        assert csp["img-src"] == "'self' data:"
        assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer" and headers["Cache-Control"] == "no-store"


async def test_no_page_has_inline_script_or_handlers(site: AdminSite) -> None:
    admin = await site.sign_in(ADMIN)
    for path in ("/app/", "/app/classifications", "/app/audit", "/app/campaigns", "/app/campaigns/new"):
        _, html, _ = await admin.get(path)
        assert "<script>" not in html and " onclick=" not in html and " style=" not in html, path
    _, shell, _ = await site.browser().get("/app/")
    scripts = [line for line in shell.splitlines() if "<script" in line]
    assert all(' src="' in line for line in scripts) and len(scripts) == 2


async def test_static_files_are_served_and_may_be_cached(site: AdminSite) -> None:
    for name, kind in (("app.js", "text/javascript"), ("app.css", "text/css")):
        status, text, response = await site.browser().get(f"/app/static/{name}")
        assert status == 200 and response.content_type == kind and text
        assert response.headers["Cache-Control"].startswith("public")
    assert (await site.browser().get("/app/static/../bot.py"))[0] == 404
    status, _, response = await site.browser().get("/app")
    assert status == 308 and response.headers["Location"] == "/app/"


@pytest.mark.parametrize("language", ["zh-Hant", "en", "pt"])
async def test_each_language_renders_and_lang_is_remembered(site: AdminSite, language: str) -> None:
    browser = await site.sign_in(EMPLOYEE)
    status, html, _ = await browser.get(f"/app/?lang={language}")
    assert status == 200 and KNOWN[language] in html and f'<html lang="{language}">' in html
    assert f'<span class="level">{CONFIDENTIAL[language]}</span>' in html
    _, html, _ = await browser.get("/app/")
    assert KNOWN[language] in html
    async with site.sessions() as session:
        assert await preferences.get_language(session, EMPLOYEE) == language


async def test_zh_hant_by_default_and_a_stored_preference_wins(site: AdminSite) -> None:
    browser = await site.sign_in(EMPLOYEE)
    _, html, _ = await browser.get("/app/")
    assert KNOWN["zh-Hant"] in html
    async with site.sessions.begin() as session:
        await preferences.set_language(session, EMPLOYEE, "pt", datetime.now(UTC))
    _, html, _ = await browser.get("/app/?lang=klingon")
    assert KNOWN["pt"] in html


async def test_the_sign_in_shell_speaks_the_browsers_language(site: AdminSite) -> None:
    _, html, _ = await site.browser().get("/app/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "Signing you in through DingTalk" in html
    _, html, _ = await site.browser().get("/app/?lang=pt")
    assert "A iniciar sessão pelo DingTalk" in html


async def test_an_employee_is_told_which_role_a_page_needs(site: AdminSite) -> None:
    browser = await site.sign_in(EMPLOYEE)
    status, html, _ = await browser.get("/app/audit?lang=en")
    assert status == 403 and "This page needs the admin role; you are signed in as employee." in html
