"""The rules pack page: check without saving, save a new version, problems by line, a stale edit refused."""

from __future__ import annotations

import re

from sqlalchemy import select

from handlers.rules.active import default_text
from storage.models import AuditEvent
from tests.admin.conftest import ADMIN, AdminSite, Browser


async def submit(admin: Browser, action: str, text: str, based_on: str = "0") -> tuple[int, str, str | None]:
    data = {"csrf": await admin.csrf("/app/rules-pack"), "text": text.replace("\n", "\r\n"), "basedOn": based_on,
            "note": "new version string", "action": action}
    status, html, response = await admin.post("/app/rules-pack?lang=en", data=data)
    return status, html, response.headers.get("Location")


async def test_check_then_save_a_new_version(site: AdminSite) -> None:
    admin = await site.sign_in(ADMIN)
    status, html, _ = await admin.get("/app/rules-pack?lang=en")
    assert status == 200 and "shipped with the bot" in html and "No version saved yet" in html
    edited = default_text().replace('version: "2026.1"', 'version: "2026.2"', 1)
    assert edited != default_text()

    status, html, _ = await submit(admin, "validate", edited)
    assert status == 200 and 'id="pack-valid"' in html and "2026.2" in html  # the edit stays in the editor
    status, _, location = await submit(admin, "save", edited)
    assert (status, location) == (303, "/app/rules-pack")
    _, html, _ = await admin.get("/app/rules-pack")
    assert "Saved as a new version" in html and re.search(r"macau-pdpa 2026\.2 · version 1", html)
    _, html, _ = await admin.get("/app/rules-pack/versions/1")
    assert 'version: &#34;2026.2&#34;' in html
    async with site.sessions() as session:
        assert await session.scalar(select(AuditEvent.action).where(AuditEvent.actor == ADMIN)) == "rules_pack.updated"

    status, html, _ = await submit(admin, "save", default_text(), based_on="0")  # opened before version 1
    assert status == 409 and "Another admin saved a new version after you opened this page" in html
    data = {"csrf": await admin.csrf(), "text": default_text(), "basedOn": "0", "action": "save"}
    status, html, _ = await admin.post("/app/rules-pack?lang=zh-Hant", data=data)
    assert status == 409 and "另一位管理員已儲存了新版本" in html and "reload it" not in html


async def test_problems_are_named_by_line_and_nothing_is_saved(site: AdminSite) -> None:
    admin = await site.sign_in(ADMIN)
    broken = default_text().replace('version: "2026.1"', "version: [", 1)
    for action in ("validate", "save"):
        status, html, _ = await submit(admin, action, broken)
        assert status == 400 and 'id="pack-problems"' in html and "line " in html
    assert (await admin.get("/app/rules-pack/versions/1"))[0] == 404
