"""The classification demo's acceptance, in real headless Chromium against `compliance-bot run` in sandbox mode.

"The sandbox page shows the whole flow: share a file as one user, answer the card, see the confirmation; switch
to the manager and see an escalation." What people do goes through the page (the 📎 file input, the card's
buttons, Forward…, the people list); the control API is only read, for what the page does not show. Follow-ups
are taken by `compliance-bot followups --at`, as if it were a working day later; the running bot sends them.

Debian's chromium only (`apt-get install chromium fonts-noto-cjk`); Playwright never downloads a browser here.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from playwright.async_api import Browser, Locator, Page, expect

from cards.card import PUBLIC_TEMPLATE_ID
from handlers.worktime import WorkCalendar
from tests.e2e.conftest import BATCH_SEND, REPLY_WITHIN_MS, SandboxControl
from tests.e2e.test_cli import CONNECTED, bot_env, compliance_bot, run_to_end

CARD_CREATE = "/v1.0/card/instances/createAndDeliver"
SHARER, MANAGER, COLLEAGUE = "cheang.kawai", "lei.mei", "ho.sioklan"  # an HR officer, her manager, another head
NAMES = {SHARER: ("鄭家慧", "Cheang Ka Wai"), MANAGER: ("李美", "Lei Mei"), COLLEAGUE: ("何淑蘭", "Ho Siok Lan")}
ANSWERED, UNANSWERED = "員工身份證副本.pdf", "客戶聯絡表.xlsx"
# The bot's defaults (CLASSIFY_NUDGE_HOURS, _ESCALATE_HOURS, _EXPIRE_HOURS) in its default calendar (Macau,
# 09:00-18:00 Monday to Friday, Macau public holidays skipped): the bot here runs without those settings.
NUDGE, ESCALATE, EXPIRE = timedelta(hours=4), timedelta(hours=8), timedelta(hours=40)


@dataclass
class Demo:
    page: Page
    control: SandboxControl
    env: dict[str, str]
    cwd: Path



@asynccontextmanager
async def demo_page(tmp_path: Path, browser: Browser, user: str) -> AsyncIterator[Demo]:
    """`compliance-bot run` in sandbox mode and the page open as `user`; a screenshot at the end or on failure."""
    env = bot_env(tmp_path, OUTBOX_INTERVAL="0.2")
    async with compliance_bot("run", env=env, cwd=tmp_path) as bot:
        url = await bot.sandbox_url()
        await bot.wait_for_line("stderr", CONNECTED)
        # In Macau time the page's time stamps agree with the times the bot writes on its cards.
        page = await browser.new_page(viewport={"width": 1280, "height": 1000}, timezone_id="Asia/Macau")
        page_errors: list[str] = []
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        try:
            async with aiohttp.ClientSession(base_url=url) as http:
                await page.goto(f"{url}/?user={user}")
                await expect(page.locator("#chat-title")).to_contain_text(NAMES[user][1])
                await expect(page.locator("#status-text")).to_contain_text("Bot online")
                yield Demo(page, SandboxControl(http), env, tmp_path)
            assert page_errors == []
            await screenshot(page, tmp_path / "demo-end.png")
        except BaseException:
            await screenshot(page, tmp_path / "demo-failed.png")
            print(bot.transcript())
            raise
        await page.close()
        assert await bot.terminate(within=10) == 0, bot.transcript()
    assert "Traceback" not in bot.stderr


async def screenshot(page: Page, path: Path) -> None:
    await page.screenshot(path=path, full_page=True)
    print(f"screenshot: {path}")


async def open_chat(page: Page, user: str) -> None:
    """Pick a colleague in the people list, as a person would, and wait for their chat to show."""
    await page.locator(".person").filter(has_text=NAMES[user][1]).click()
    await expect(page.locator("#chat-title")).to_contain_text(NAMES[user][1])


async def share(page: Page, file_name: str, content: bytes) -> Locator:
    """Share a file through the 📎 button; the question card about it, once the bot has sent it."""
    await page.locator("#file-input").set_input_files(
        {"name": file_name, "mimeType": "application/octet-stream", "buffer": content})
    await expect(page.locator(".row.out").filter(has_text=file_name)).to_have_count(1)
    card = page.locator(".card-row").filter(has_text=file_name)
    await expect(card).to_have_count(1, timeout=REPLY_WITHIN_MS)
    return card


def bot_message(page: Page, *texts: str) -> Locator:
    """The bot's messages (not cards) in the open chat that contain every one of `texts`."""
    found = page.locator(".row.bot:not(.card-row)")
    for text in texts:
        found = found.filter(has_text=text)
    return found


def button(card: Locator, label: str) -> Locator:
    return card.locator(".buttons").get_by_role("button", name=label, exact=True)


async def followups(demo: Demo, at: datetime) -> str:
    """`compliance-bot followups --at AT` on the running bot's database; the line it prints."""
    finished = await run_to_end("followups", "--at", at.isoformat(), env=demo.env, cwd=demo.cwd)
    assert finished.code == 0, finished
    return finished.stdout.strip()


async def sent_to(control: SandboxControl, user: str) -> list[dict[str, str]]:
    """The msgParam of every robot message sent to `user`, oldest first."""
    return [json.loads(call["body"]["msgParam"]) for call in await control.calls(BATCH_SEND)
            if call["body"]["userIds"] == [user]]


async def test_a_shared_file_is_classified_on_its_card_and_confirmed(tmp_path: Path, browser: Browser) -> None:
    async with demo_page(tmp_path, browser, SHARER) as demo:
        card = await share(demo.page, ANSWERED, b"%PDF-1.4 staff ID copies")
        await check_public_template(demo.control)
        await forward_and_refuse(demo.page, card)
        await answer(demo.page, card)
        # The page shows a message's text; DingTalk shows its title in notifications and the chat list.
        assert (await sent_to(demo.control, SHARER))[-1]["title"] == "已記錄分類"


async def test_an_unanswered_file_is_nudged_then_escalated_to_the_manager(tmp_path: Path, browser: Browser) -> None:
    async with demo_page(tmp_path, browser, SHARER) as demo:
        page = demo.page
        await share(page, UNANSWERED, b"name,phone\n")
        # The bot took the share before its card showed, so its deadlines are no later than these instants',
        # which lie midway between two steps: the second or so in between cannot matter.
        calendar, seen = WorkCalendar(), datetime.now(UTC)
        nudge_at = calendar.add_working_time(seen, (NUDGE + ESCALATE) / 2)
        escalate_at = calendar.add_working_time(seen, (ESCALATE + EXPIRE) / 2)

        assert await followups(demo, nudge_at) == "nudged 1, escalated 0, expired 0"
        await expect(bot_message(page, "尚未分類", UNANSWERED)).to_have_count(1, timeout=REPLY_WITHIN_MS)
        assert await followups(demo, escalate_at) == "nudged 0, escalated 1, expired 0"

        await open_chat(page, MANAGER)
        escalation = bot_message(page, NAMES[SHARER][0], UNANSWERED, "經提醒後仍未分類")
        await expect(escalation).to_have_count(1, timeout=REPLY_WITHIN_MS)
        assert [message["title"] for message in await sent_to(demo.control, MANAGER)] == ["有檔案尚未分類"]


async def check_public_template(control: SandboxControl) -> None:
    """The card went out on DingTalk's public template, whose buttons send only an id with the answer in it."""
    [created] = await control.calls(CARD_CREATE)
    assert created["body"]["cardTemplateId"] == PUBLIC_TEMPLATE_ID
    layout = json.loads(created["body"]["cardData"]["cardParamMap"]["sys_full_json_obj"])
    ids = {b["id"] for b in layout["msgButtons"]}
    assert ids == {f"classify?level={level}&version=1" for level in ("public", "internal", "confidential")}, ids


async def forward_and_refuse(page: Page, card: Locator) -> None:
    """Forward the card to a colleague through the page; her click is refused privately and changes nothing."""
    await card.get_by_role("button", name="Forward… 轉發").click()
    await card.get_by_label("Forward to · 轉發給").select_option(COLLEAGUE)
    await card.get_by_role("button", name="Forward 轉發", exact=True).click()
    toast = page.locator("#toast")
    await expect(toast).to_contain_text(f"Forwarded to {NAMES[COLLEAGUE][0]}")
    await toast.get_by_role("button", name="Open their chat · 查看").click()
    await expect(page.locator("#chat-title")).to_contain_text(NAMES[COLLEAGUE][1])

    forwarded = page.locator(".card.forwarded").filter(has_text=ANSWERED)
    await expect(forwarded).to_contain_text(f"Forwarded by {NAMES[SHARER][0]}")
    await button(forwarded, "機密").click()
    refusal = bot_message(page, ANSWERED, "只有對方可以回答")  # "only the person asked can answer"
    await expect(refusal).to_have_count(1, timeout=REPLY_WITHIN_MS)
    await expect(refusal).to_contain_text(NAMES[SHARER][0])

    await open_chat(page, SHARER)
    await expect(card).to_contain_text("級別：—（建議：機密）")  # still unanswered, the level still suggested
    await expect(button(card, "機密")).to_be_visible()


async def answer(page: Page, card: Locator) -> None:
    """Answer the three questions, one at a time, and see the confirmation and the card's final state."""
    for label in ("機密", "員工資料", "中國內地（大灣區以外）"):
        await button(card, label).click()  # waits until the card shows this question's buttons
    confirmation = bot_message(page, "已記錄：", ANSWERED)
    await expect(confirmation).to_have_count(1, timeout=REPLY_WITHIN_MS)
    await expect(confirmation).to_contain_text(re.compile(r"機密.*員工資料.*中國內地.*第8/2005號法律"))
    await expect(card).to_contain_text(re.compile(f"✅ 由 {NAMES[SHARER][0]} 於 .* 分類"), timeout=REPLY_WITHIN_MS)
    await expect(card).to_contain_text("個人資料：員工資料 · 去向：中國內地（大灣區以外）")
    await expect(card.locator(".buttons .btn")).to_have_count(0)
