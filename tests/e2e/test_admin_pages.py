"""The admin pages in real headless Chromium against `compliance-bot run` in sandbox mode.

People sign in as they would in DingTalk: the page calls dd.requestAuthCode, here the sandbox's stand-in
script, which shows a picker of the org's people and mints a real free-login code. Everything after that is
the page itself: forms, the live preview, downloads. The control API is only read, for what DingTalk would
show elsewhere (the signers' cards).

Debian's chromium only (`apt-get install chromium fonts-noto-cjk`); Playwright never downloads a browser here.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from playwright.async_api import Browser, Page, expect

from storage import assessments, classifications
from storage.db import create_engine, make_session_factory
from tests.e2e.conftest import REPLY_WITHIN_MS, SandboxControl
from tests.e2e.test_cli import CONNECTED, BotCommand, bot_env, compliance_bot

ADMIN, MANAGER, EMPLOYEE, OTHER = "admin.wong", "lei.mei", "cheang.kawai", "lam.siuyin"
ADMIN_PAGES = r"Open (http://127\.0\.0\.1:\d+)/app/ for the admin pages"
DIRECTORY_SYNCED = r"directory sync: \d+ departments, \d+ users, \d+ deactivated, 0 errors"
CARD_CREATE = "/v1.0/card/instances/createAndDeliver"
PHONE = {"width": 390, "height": 844}


@dataclass
class Running:
    bot: BotCommand
    url: str  # the bot's HTTP server
    control: SandboxControl
    database_url: str


@asynccontextmanager
async def running_bot(tmp_path: Path) -> AsyncIterator[Running]:
    env = bot_env(tmp_path, OUTBOX_INTERVAL="0.2", BOT_ADMINS=ADMIN)
    async with compliance_bot("run", env=env, cwd=tmp_path) as bot:
        sandbox_url = await bot.sandbox_url()
        url = (await bot.wait_for_line("stdout", ADMIN_PAGES))[1]
        await bot.wait_for_line("stderr", CONNECTED)
        await bot.wait_for_line("stderr", DIRECTORY_SYNCED)  # roles and names come from the synced directory
        async with aiohttp.ClientSession(base_url=sandbox_url) as http:
            database = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'compliance-bot.sqlite3'}"
            try:
                yield Running(bot, url, SandboxControl(http), database)
            except BaseException:
                print(bot.transcript())
                raise
        assert await bot.terminate(within=10) == 0, bot.transcript()
    assert "Traceback" not in bot.stderr


@asynccontextmanager
async def opened(browser: Browser, tmp_path: Path, name: str, **options: object) -> AsyncIterator[Page]:
    """A page that must raise no script error and break no Content-Security-Policy rule; a screenshot on failure."""
    context = await browser.new_context(accept_downloads=True, timezone_id="Asia/Macau", **options)  # type: ignore[arg-type]
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text else None)
    try:
        yield page
        assert problems == []
    except BaseException:
        shot = tmp_path / f"{name}-failed.png"
        await page.screenshot(path=shot, full_page=True)
        print(f"screenshot: {shot}")
        raise
    finally:
        await context.close()


async def sign_in(page: Page, url: str, user: str, path: str = "/app/?lang=en") -> None:
    """Open a page signed out: the sandbox's free-login picker appears; pick `user`; land on the page."""
    await page.goto(url + path)
    picker = page.locator("#dd-sandbox-picker")
    await expect(picker).to_be_visible()
    await picker.locator(f'button[data-user-id="{user}"]').click()
    await expect(picker).to_have_count(0)
    await expect(page.locator(".who")).to_be_visible()


async def seed_files(database_url: str) -> None:
    """A file the employee shared, and one someone else shared, each asked about."""
    engine = create_engine(database_url)
    try:
        async with make_session_factory(engine).begin() as session:
            for n, (who, name) in enumerate(((EMPLOYEE, "my-own-file.xlsx"), (OTHER, "someone-elses-file.xlsx"))):
                at = datetime.now(UTC) - timedelta(hours=n + 1)
                shared = await classifications.add_shared_file(
                    session, file_name=name, shared_by=who, conversation_id=f"cid-{n}", conversation_title="1:1",
                    channel="direct", shared_at=at)
                await classifications.add_prompt(session, card_id=f"seed-card-{n}", file_id=shared.id, asked_user=who,
                                                 language="en", asked_at=at)
    finally:
        await engine.dispose()


async def test_an_admin_signs_in_and_starts_a_campaign(tmp_path: Path, browser: Browser) -> None:
    async with running_bot(tmp_path) as bot, opened(browser, tmp_path, "admin") as page:
        await sign_in(page, bot.url, ADMIN)
        await expect(page.locator("h1")).to_have_text("Dashboard")
        await expect(page.locator(".who")).to_contain_text("(admin)")
        await seed_assessment(bot.database_url)
        await edit_a_reminder_rule(page)
        await start_a_campaign(page, bot)
        await seed_files(bot.database_url)
        await download_the_classifications(page)


async def seed_assessment(database_url: str) -> None:
    """An open assessment due in 10 days: its 7-days-before reminder falls within the preview's next 7 days."""
    now = datetime.now(UTC)
    engine = create_engine(database_url)
    try:
        async with make_session_factory(engine).begin() as session:
            await assessments.create_assessment(session, at=now, title="Notify the DSAJ of the new CRM",
                                                type="notification", owner=MANAGER, due_at=now + timedelta(days=10),
                                                source="admin", created_by=ADMIN)
    finally:
        await engine.dispose()


async def edit_a_reminder_rule(page: Page) -> None:
    """Change the days before the due date: the preview follows the fields before anything is saved; then save."""
    await page.locator("nav").get_by_role("link", name="Reminder rules").click()
    await page.locator('a[href="/app/reminder-rules/notification"]').click()
    leads = page.locator('input[name="leadDays"]')
    await expect(leads).to_have_value("30, 7, 1")
    preview = page.locator("#preview")
    await expect(preview.locator("#preview-list li")).to_have_count(1)
    await expect(preview.locator('li[data-kind="lead:7"]')).to_contain_text("Notify the DSAJ of the new CRM")

    await leads.fill("30, 1")  # no reminder this week any more
    await expect(preview.locator("#preview-empty")).to_have_text("Nothing would be sent in the next 7 days.")
    await leads.fill("9, 7, 1")  # two this week
    await expect(preview.locator("#preview-list li")).to_have_count(2)
    await expect(preview.locator('li[data-kind="lead:9"]')).to_have_count(1)
    await leads.fill("7, 7")
    await expect(preview.locator("#preview-errors")).to_be_visible()
    await leads.fill("9, 7, 1")
    await expect(preview.locator("#preview-list li")).to_have_count(2)

    await page.locator("#save-rule").click()
    await expect(page.locator(".flash")).to_have_text(
        "Rule saved; unsent reminders follow it from the next planning run.")
    await expect(leads).to_have_value("9, 7, 1")
    await page.locator("nav").get_by_role("link", name="Reminder rules").click()
    await expect(page.locator('[data-type="notification"]')).to_contain_text("9, 7, 1 days before the due date")


async def start_a_campaign(page: Page, bot: Running) -> None:
    """Create a draft through the form, start it, see it active; the sandbox got both signers' cards."""
    await page.locator("nav").get_by_role("link", name="Campaigns").click()
    await page.locator("#new-campaign").click()
    await page.locator('input[name="title"]').fill("2026 annual sign-off")
    picker = page.locator("#signer-picker")  # people by name and title: admins do not know userIds
    await picker.select_option(label=f"李美 · 人力資源經理 HR Manager ({MANAGER})")
    await page.locator("#add-signer").click()
    await picker.select_option(ADMIN)
    await page.locator("#add-signer").click()
    await page.locator("#add-signer").click()  # nothing chosen: nothing added
    await expect(page.locator('input[name="signers"]')).to_have_value(f"{MANAGER}, {ADMIN}")
    await page.locator('input[name="dueAt"]').fill((datetime.now(UTC) + timedelta(days=14)).date().isoformat())
    since = await bot.control.next_call_index()
    await page.get_by_role("button", name="Create draft").click()
    await expect(page.locator(".flash")).to_have_text("Draft created; nothing is sent until you start it.")
    await expect(page.locator("#campaign-status")).to_have_text("draft")
    page.once("dialog", lambda dialog: dialog.accept())
    await page.locator("#start-campaign").click()
    await expect(page.locator(".flash")).to_have_text("Started; the cards are on their way to the signers.")
    await expect(page.locator("#campaign-status")).to_have_text("active")
    await expect(page.locator("#signers tbody tr")).to_have_count(2)
    cards = await bot.control.wait_calls(CARD_CREATE, count=2, since=since, within=REPLY_WITHIN_MS / 1000)
    spaces = {call["body"]["openSpaceId"] for call in cards}
    assert spaces == {f"dtv1.card//IM_ROBOT.{user}" for user in (MANAGER, ADMIN)}


async def test_an_employee_sees_only_their_own_files(tmp_path: Path, browser: Browser) -> None:
    async with running_bot(tmp_path) as bot, opened(browser, tmp_path, "employee") as page:
        await seed_files(bot.database_url)
        await sign_in(page, bot.url, EMPLOYEE, "/app/classifications?lang=en")
        await expect(page.locator("h1")).to_have_text("Classifications")
        rows = page.locator("#classifications tbody tr")
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_contain_text("my-own-file.xlsx")
        await expect(page.get_by_text("someone-elses-file.xlsx")).to_have_count(0)
        menu = page.locator("nav")
        await expect(menu.get_by_role("link")).to_have_text(["Dashboard", "Classifications", "Assessments"])

        await page.goto(bot.url + "/app/reminder-rules")
        await expect(page.locator("#forbidden")).to_have_text(
            "This page needs the admin role; you are signed in as employee.")


async def test_the_dashboard_fits_a_phone(tmp_path: Path, browser: Browser) -> None:
    async with running_bot(tmp_path) as bot, \
            opened(browser, tmp_path, "phone", viewport=PHONE, is_mobile=True, has_touch=True) as page:
        await sign_in(page, bot.url, ADMIN, "/app/")
        await expect(page.locator("h1")).to_have_text("總覽")
        for path in ("/app/", "/app/classifications", "/app/assessments", "/app/reminder-rules/notification",
                     "/app/campaigns", "/app/campaigns/new", "/app/audit", "/app/rules-pack"):
            await page.goto(bot.url + path)
            await expect(page.locator("main h1")).to_be_visible()
            overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path} is {overflow}px wider than the phone"
        await page.screenshot(path=tmp_path / "phone-dashboard.png", full_page=True)


async def download_the_classifications(page: Page) -> None:
    """The classifications page's CSV link downloads everyone's files for an admin, as the list shows them."""
    await page.locator("nav").get_by_role("link", name="Classifications").click()
    await expect(page.locator("#classifications tbody tr")).to_have_count(2)
    async with page.expect_download() as started:
        await page.get_by_role("link", name="Export CSV").click()
    download = await started.value
    assert re.fullmatch(r"classifications-\d{4}-\d\d-\d\d\.csv", download.suggested_filename)
    path = await download.path()
    rows = list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
    files = sorted(value for row in rows for value in row.values() if value.endswith(".xlsx"))
    assert files == ["my-own-file.xlsx", "someone-elses-file.xlsx"], rows


async def test_the_preview_says_so_when_the_session_has_run_out(tmp_path: Path, browser: Browser) -> None:
    """Editing after the session ended: the preview shows a short message, never the sign-in page inside it."""
    async with running_bot(tmp_path) as bot, opened(browser, tmp_path, "preview-expired") as page:
        await seed_assessment(bot.database_url)
        await sign_in(page, bot.url, ADMIN, "/app/reminder-rules/notification?lang=en")
        await expect(page.locator("#preview-list li")).to_have_count(1)
        await page.context.clear_cookies()
        await page.locator('input[name="leadDays"]').fill("30, 1")
        await expect(page.locator("#preview-failed")).to_have_text(
            "The preview could not be updated; reload the page (you may have been signed out).")
        await expect(page.locator("#preview h1")).to_have_count(0)
