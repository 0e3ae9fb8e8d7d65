"""The demo's acceptance test: `compliance-bot run` in sandbox mode, chatted with in real headless Chromium.

Debian's chromium only (`apt-get install chromium fonts-noto-cjk`); Playwright never downloads a browser here.
"""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, Page, expect

from tests.e2e.conftest import REPLY_WITHIN_MS
from tests.e2e.test_cli import CONNECTED, bot_env, compliance_bot


async def say(page: Page, text: str) -> None:
    """Type into the message box and press Enter, as a person would."""
    box = page.locator("#text")
    await box.fill(text)
    await box.press("Enter")
    await expect(box).to_have_value("")  # the page clears the box once the sandbox took the message


async def test_a_colleague_gets_help_in_chinese_then_in_english(tmp_path: Path, browser: Browser) -> None:
    async with compliance_bot("run", env=bot_env(tmp_path), cwd=tmp_path) as bot:
        url = await bot.sandbox_url()
        await bot.wait_for_line("stderr", CONNECTED)
        page = await browser.new_page()
        page_errors: list[str] = []
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        try:
            await page.goto(f"{url}/?user=chan.taiman")
            # The title is filled in after the page has wired up its message box.
            await expect(page.locator("#chat-title")).to_contain_text("Chan Tai Man")
            await expect(page.locator("#status-text")).to_contain_text("Bot online")

            bot_says = page.locator(".row.bot")
            await say(page, "help")
            await expect(bot_says.filter(has_text="合規助手")).to_have_count(1, timeout=REPLY_WITHIN_MS)
            await say(page, "language en")
            await expect(bot_says.filter(has_text="answer in English")).to_have_count(1, timeout=REPLY_WITHIN_MS)
            await say(page, "help")
            await expect(bot_says.filter(has_text="Compliance assistant")).to_have_count(1, timeout=REPLY_WITHIN_MS)
            await expect(bot_says).to_have_count(3)
            assert page_errors == []
        except BaseException:
            shot = tmp_path / "demo-page.png"
            await page.screenshot(path=shot, full_page=True)
            print(f"screenshot: {shot}\n{bot.transcript()}")
            raise

        # Ctrl-C with the page still open (its live-update stream connected) stops the bot cleanly.
        assert await bot.terminate(within=10) == 0, bot.transcript()
        await page.close()
    assert "Traceback" not in bot.stderr
