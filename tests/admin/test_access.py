"""Every registered page, walked with every kind of caller: roles are enforced where the pages declare them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.admin import PAGES, Page
from handlers.api.caller import RANK
from tests.admin.conftest import ADMIN, EMPLOYEE, MANAGER, AdminSite, Browser, forged_token
from tests.admin.examples import EXAMPLES

IDENTITIES = ("none", "forged", "expired", "departed", "employee", "manager", "admin")
USERS = {"employee": EMPLOYEE, "manager": MANAGER, "admin": ADMIN}


def expected_status(page: Page, identity: str, allowed: int) -> int:
    if identity in ("none", "forged", "expired", "departed"):
        return 401
    return allowed if RANK[identity] >= RANK[page.access] else 403  # type: ignore[index]


async def browsers(site: AdminSite) -> dict[str, Browser]:
    now = datetime.now(UTC)
    tokens = site.deps.tokens
    return {"none": site.browser(), "forged": site.browser_with_token(forged_token()),
            "expired": site.browser_with_token(tokens.issue(ADMIN, now - tokens.ttl - timedelta(seconds=1)).token),
            "departed": site.browser_with_token(tokens.issue("no.such.person", now).token),
            **{identity: await site.sign_in(user) for identity, user in USERS.items()}}


async def test_every_page_answers_every_identity_as_it_declares(site: AdminSite) -> None:
    opened = await browsers(site)
    csrf = {identity: await browser.csrf() for identity, browser in opened.items() if identity in USERS}
    expected: dict[tuple[str, str, str], int] = {}
    observed: dict[tuple[str, str, str], int] = {}
    for page in PAGES.pages:
        if page.path == "/sign-out":
            continue  # signs the browser out; tests/admin/test_sign_in.py covers it
        example = EXAMPLES.get((page.method, page.path))
        for identity, browser in opened.items():
            request = await example(site) if example else {}
            path = request.get("path", page.url)
            assert "{" not in path, f"{page.method} {page.path} needs an example that fills in its path"
            if page.method == "GET":
                status, html, response = await browser.get(path)
            else:
                data = {**request.get("data", {}), "csrf": csrf.get(identity, "x" * 64)}
                status, html, response = await browser.post(path, data=data)
            key = (page.method, page.path, identity)
            expected[key] = expected_status(page, identity, request.get("expect", 200))
            observed[key] = status
            if status == 401:
                assert "data-signin" in html, key
            if status == 403:
                assert 'id="forbidden"' in html, key
    assert observed == expected
    assert len(PAGES.pages) >= 9


async def test_the_navigation_shows_only_what_the_role_may_open(site: AdminSite) -> None:
    for identity, user in USERS.items():
        _, html, _ = await (await site.sign_in(user)).get("/app/")
        for page in PAGES.pages:
            if page.nav is not None:
                link = f'<a href="{page.url}"'
                assert (link in html) == (RANK[identity] >= RANK[page.access]), (identity, page.url)  # type: ignore[index]
