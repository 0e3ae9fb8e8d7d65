"""The API as the running bot serves it: on by default, refused without a signing key outside the sandbox.

These tests wait for the wiring in bot/settings.py, bot/http.py and bot/app.py (API_SIGNING_KEY and friends)
and are skipped until it is there.
"""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from bot.app import Bot, StartupError
from bot.settings import Settings, SettingsError, load_settings
from sandbox import Sandbox
from tests.api.conftest import ADMIN
from tests.e2e.test_cli import bot_env, run_to_end

pytestmark = pytest.mark.skipif("api_signing_key" not in Settings.model_fields,
                                reason="bot.settings has no API_SIGNING_KEY yet")
KEY = "wiring-test-api-signing-key-0000"


def sandbox_settings(sandbox: Sandbox, database_url: str, **extra: object) -> Settings:
    config = sandbox.config
    return load_settings(dingtalk_client_id=config.client_id, dingtalk_client_secret=config.client_secret,
                         dingtalk_openapi_endpoint=sandbox.url, dingtalk_oapi_endpoint=sandbox.url,
                         database_url=database_url, http_port=0, _env_file=None, **extra)


async def test_the_bot_serves_the_api_and_signs_people_in(sandbox: Sandbox, database_url: str) -> None:
    bot = Bot(sandbox_settings(sandbox, database_url, api_signing_key=KEY, api_cors_origins="https://h5.example/"))
    await bot.start()
    try:
        async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{bot.http_port}") as http:
            async with http.get("/api/v1/openapi.json") as response:
                assert response.status == 200 and (await response.json())["openapi"] == "3.1.0"
                assert response.headers["Cache-Control"] == "no-store"  # the bot's own headers apply too
            async with aiohttp.ClientSession(base_url=sandbox.url) as control, \
                    control.post("/_sandbox/api/auth-codes", json={"userId": ADMIN}) as issued:
                code = (await issued.json())["authCode"]
            async with http.post("/api/v1/auth/dingtalk", json={"authCode": code}) as response:
                body = await response.json()
                assert response.status == 200, body
            headers = {"Authorization": f"Bearer {body['token']}", "Origin": "https://h5.example"}
            async with http.get("/api/v1/me", headers=headers) as response:
                assert response.status == 200 and (await response.json())["role"] == "admin"
                assert response.headers["Access-Control-Allow-Origin"] == "https://h5.example"
    finally:
        await bot.stop()


async def test_without_a_signing_key_the_bot_refuses_to_start(sandbox: Sandbox, database_url: str) -> None:
    with pytest.raises(StartupError, match="API_SIGNING_KEY is not set"):
        await Bot(sandbox_settings(sandbox, database_url)).start()


async def test_compliance_bot_run_exits_2_naming_the_setting(tmp_path: Path) -> None:
    env = bot_env(tmp_path, DINGTALK_CLIENT_ID="dingabc", DINGTALK_CLIENT_SECRET="not-used")
    finished = await run_to_end("run", env=env, cwd=tmp_path, within=30)
    assert finished.code == 2 and "API_SIGNING_KEY is not set" in finished.stderr, finished


def test_settings_check_the_api_values_and_never_echo_a_key() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None, api_signing_key="too-short-key", api_cors_origins="h5.example.com")
    message = str(caught.value)
    assert "API_SIGNING_KEY: must be at least 32 characters long" in message and "too-short-key" not in message
    assert "API_CORS_ORIGINS" in message
    sandbox = load_settings(_env_file=None)  # sandbox mode: a key made up for this process
    made_up = sandbox.model_dump()["api_signing_key"].get_secret_value()
    assert len(made_up) >= 32 and made_up in sandbox.secrets()
    assert load_settings(_env_file=None).model_dump()["api_signing_key"].get_secret_value() != made_up
    rotated = load_settings(_env_file=None, api_signing_key=KEY, api_previous_signing_keys=f"{'o' * 32},{'p' * 32}",
                            api_token_ttl="3600")
    assert {"o" * 32, "p" * 32, KEY} <= set(rotated.secrets())
