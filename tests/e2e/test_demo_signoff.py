"""The annual sign-off's acceptance, in real headless Chromium against `compliance-bot run` in sandbox mode.

"The sandbox page shows the campaign from a signer's and an admin's view." An admin creates and starts the
campaign with `compliance-bot signoff create` / `start` on the running bot's database; the running bot sends
what they queue. What people do goes through the page: each signer reads the report from the card's link and
approves on the card; the admin reads the decisions in chat and opens the certificate from the last one.

Debian's chromium only (`apt-get install chromium fonts-noto-cjk`); Playwright never downloads a browser here.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
from playwright.async_api import Browser, Locator, Page, expect

from tests.e2e.conftest import REPLY_WITHIN_MS
from tests.e2e.test_cli import CONNECTED, bot_env, compliance_bot, run_to_end

CHAN, WONG, ADMIN = "chan.taiman", "wong.kachun", "admin.wong"  # the CEO, the finance director, IT admin
NAMES = {CHAN: ("陳大文", "Chan Tai Man"), WONG: ("王家俊", "Wong Ka Chun"), ADMIN: ("黃志明", "Wong Chi Ming")}
YEAR, TITLE = 2026, "2026 個人資料合規年度報告"
MACAU = ZoneInfo("Asia/Macau")
HTTP_SERVER = r"HTTP server on (http://127\.0\.0\.1:\d+) "
DIRECTORY_SYNCED = r"directory sync: \d+ departments, \d+ users, \d+ deactivated, 0 errors"
DECIDED = r"\d{4}-\d\d-\d\d \d\d:\d\d"



async def test_two_signers_approve_on_their_cards_and_the_admin_opens_the_certificate(
    tmp_path: Path, browser: Browser
) -> None:
    env = bot_env(tmp_path, OUTBOX_INTERVAL="0.2", BOT_ADMINS=ADMIN)
    async with compliance_bot("run", env=env, cwd=tmp_path) as bot:
        url = await bot.sandbox_url()
        public_url = (await bot.wait_for_line("stderr", HTTP_SERVER))[1]
        await bot.wait_for_line("stderr", CONNECTED)
        await bot.wait_for_line("stderr", DIRECTORY_SYNCED)  # the start-up sync: signers' names resolve
        # The admin's commands share the bot's database and settings; PUBLIC_URL tells them where the bot's
        # pages are, since HTTP_PORT=0 leaves them no port to build the report links from.
        due = datetime.now(MACAU).date() + timedelta(days=14)
        sha = await create_and_start(dict(env, PUBLIC_URL=public_url), tmp_path, due)

        # In Macau time the page's time stamps agree with the times the bot writes on its cards.
        page = await browser.new_page(viewport={"width": 1280, "height": 1000}, timezone_id="Asia/Macau")
        page_errors: list[str] = []
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        try:
            await page.goto(f"{url}/?user={CHAN}")
            await expect(page.locator("#chat-title")).to_contain_text(NAMES[CHAN][1])
            await expect(page.locator("#status-text")).to_contain_text("Bot online")

            card = await signoff_card(page, sha, due, signed=0)
            await screenshot(page, tmp_path / "signer-asked.png")
            await read_report(page, card, public_url, sha, tmp_path / "report.png")
            await approve(card, signed=1)
            await screenshot(page, tmp_path / "signer-approved.png")

            await open_chat(page, WONG)
            card = await signoff_card(page, sha, due, signed=1)  # Chan's approval already shows on Wong's card
            await approve(card, signed=2)

            await open_chat(page, ADMIN)
            await admin_sees_decisions_and_certificate(page, public_url, sha, tmp_path / "certificate.png")
            await screenshot(page, tmp_path / "admin.png")
            assert page_errors == []
        except BaseException:
            await screenshot(page, tmp_path / "demo-failed.png")
            print(bot.transcript())
            raise
        await page.close()
        assert await bot.terminate(within=10) == 0, bot.transcript()
    assert "Traceback" not in bot.stderr


async def create_and_start(env: dict[str, str], cwd: Path, due: date) -> str:
    """`compliance-bot signoff create` then `start`, as an admin runs them; the snapshot's SHA-256."""
    created = await run_to_end("signoff", "create", "--year", str(YEAR), "--title", TITLE,
                               "--signers", f"{CHAN},{WONG}", "--due", due.isoformat(), env=env, cwd=cwd)
    assert created.code == 0, created
    campaign = re.search(r"campaign (\d+) created \(draft\)", created.stdout)
    assert campaign, created
    started = await run_to_end("signoff", "start", campaign[1], env=env, cwd=cwd)
    assert started.code == 0, started
    sha = re.search(rf"campaign {campaign[1]} started; snapshot SHA-256 ([0-9a-f]{{64}})", started.stdout)
    assert sha, started
    return sha[1]


async def signoff_card(page: Page, sha: str, due: date, signed: int) -> Locator:
    """The open chat's sign-off card, once the bot has sent it: year, title, fingerprint, due date, progress."""
    card = page.locator(".card-row").filter(has_text=TITLE)
    await expect(card).to_have_count(1, timeout=REPLY_WITHIN_MS)
    await expect(card.locator(".card-title")).to_have_text(f"{YEAR} 年度合規簽署")
    await expect(card.locator(".card-body strong").first).to_have_text(TITLE)
    await expect(card).to_contain_text(f"報告指紋（SHA-256）：{sha}")
    await expect(card).to_contain_text(f"請於 {due.isoformat()} 前批准或拒絕。已簽署 {signed}／2。")
    await expect(card.locator(".buttons .btn")).to_have_text(["批准", "拒絕"])
    await expect(button(card, "批准")).to_have_class(re.compile(r"\bprimary\b"))
    await expect(button(card, "拒絕")).to_have_class(re.compile(r"\bdanger\b"))
    return card


async def read_report(page: Page, card: Locator, public_url: str, sha: str, shot: Path) -> None:
    """The card's link opens the frozen report, served by the bot's HTTP server, in a new tab."""
    link = card.get_by_role("link", name="閱讀完整報告")
    await expect(link, "the card's report link must be an absolute, signed link to the bot's pages").to_have_attribute(
        "href", re.compile(rf"^{re.escape(public_url)}/signoff/reports/\d+/zh-Hant/[0-9a-f]{{40}}$"))
    async with page.context.expect_page() as opened:
        await link.click()
    report = await opened.value
    try:
        await expect(report).to_have_title(f"{YEAR}年度合規報告")
        await expect(report.locator("h1")).to_have_text(f"{YEAR}年度合規報告")
        await expect(report.locator(".sub")).to_contain_text(TITLE)
        await expect(report.locator("footer")).to_contain_text(f"快照 SHA-256：{sha}")
        await screenshot(report, shot)
    finally:
        await report.close()


async def approve(card: Locator, signed: int) -> None:
    """Click 批准 (Approve); the card says so, shows the progress and offers no buttons any more."""
    await button(card, "批准").click()
    await expect(card).to_contain_text(re.compile(f"✅ 你已於 {DECIDED} 批准此報告。已簽署 {signed}／2。"),
                                       timeout=REPLY_WITHIN_MS)
    await expect(card.locator(".buttons")).to_have_count(0)


async def admin_sees_decisions_and_certificate(page: Page, public_url: str, sha: str, shot: Path) -> None:
    """The admin is told of the first approval, then of the completion with a link to the certificate."""
    decision = bot_message(page, f"{NAMES[CHAN][0]} 已批准 {TITLE}。已簽署 1／2。")
    await expect(decision).to_have_count(1, timeout=REPLY_WITHIN_MS)
    completed = bot_message(page, f"✅ {TITLE} 已獲全部簽署。", f"報告 SHA-256 {sha}")
    await expect(completed).to_have_count(1, timeout=REPLY_WITHIN_MS)
    await expect(bot_message(page)).to_have_count(2)  # an org admin also in BOT_ADMINS is told once

    link = completed.get_by_role("link", name="證書")
    href = await link.get_attribute("href") or ""
    certificate_url = re.fullmatch(rf"{re.escape(public_url)}/signoff/certificates/\d+/([0-9a-f]{{40}})", href)
    assert certificate_url, href
    async with page.context.expect_page() as opened:
        await link.click()
    certificate = await opened.value
    try:
        await expect(certificate.locator("h1")).to_have_text("核准證明")
        await expect(certificate.locator(".sub")).to_contain_text(TITLE)
        await expect(certificate.locator(".statement")).to_contain_text(sha)
        rows = certificate.locator("table tr").filter(has=certificate.locator("td"))
        await expect(rows).to_have_count(2)
        for row, user in zip((rows.nth(0), rows.nth(1)), (CHAN, WONG), strict=True):
            await expect(row).to_contain_text(re.compile(
                f"{NAMES[user][0]}\\s*{user}\\s*union-{user.replace('.', '-')}\\s*核准\\s*{DECIDED}"))
        await expect(certificate.locator("footer")).to_contain_text(f"快照 SHA-256：{sha}")
        await screenshot(certificate, shot)
    finally:
        await certificate.close()
    # The address is a signed link: a guessed or altered one finds nothing.
    forged = href[:-1] + ("0" if href[-1] != "0" else "1")
    async with aiohttp.ClientSession() as http:
        async with http.get(href) as served:
            assert served.status == 200
        async with http.get(forged) as refused:
            assert refused.status == 404


async def open_chat(page: Page, user: str) -> None:
    """Pick a colleague in the people list, as a person would, and wait for their chat to show."""
    await page.locator(".person").filter(has_text=NAMES[user][1]).click()
    await expect(page.locator("#chat-title")).to_contain_text(NAMES[user][1])


def bot_message(page: Page, *texts: str) -> Locator:
    """The bot's messages (not cards) in the open chat that contain every one of `texts`."""
    found = page.locator(".row.bot:not(.card-row)")
    for text in texts:
        found = found.filter(has_text=text)
    return found


def button(card: Locator, label: str) -> Locator:
    return card.locator(".buttons").get_by_role("button", name=label, exact=True)


async def screenshot(page: Page, path: Path) -> None:
    await page.screenshot(path=path, full_page=True)
    print(f"screenshot: {path}")
