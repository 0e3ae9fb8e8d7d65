"""Settings: defaults, validation with one clear message, and the CLI's exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings

ENV_NAMES = [
    "DINGTALK_CLIENT_ID", "DINGTALK_CLIENT_SECRET", "DINGTALK_ROBOT_CODE", "DATABASE_URL", "HTTP_PORT",
    "BOT_TIMEZONE", "BOT_ADMINS", "LOG_LEVEL", "LOG_FORMAT", "DINGTALK_OPENAPI_ENDPOINT",
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_are_sandbox_mode_with_sqlite() -> None:
    settings = load_settings()
    assert settings.sandbox_mode
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.bot_timezone == "Asia/Macau"
    assert settings.dingtalk_openapi_endpoint == "https://api.dingtalk.com"
    assert settings.dingtalk_oapi_endpoint == "https://oapi.dingtalk.com"


def test_robot_code_defaults_to_client_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DINGTALK_CLIENT_ID", "dingabc")
    monkeypatch.setenv("DINGTALK_CLIENT_SECRET", "s3cr3t-value")
    monkeypatch.setenv("BOT_ADMINS", " admin.wong, lei.mei ,")
    settings = load_settings()
    assert settings.dingtalk_robot_code == "dingabc"
    assert settings.bot_admins == ["admin.wong", "lei.mei"]
    assert not settings.sandbox_mode
    assert "s3cr3t-value" not in repr(settings)


def test_every_bad_value_is_named_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PORT", "abc")
    monkeypatch.setenv("DATABASE_URL", "mysql://nope")
    monkeypatch.setenv("BOT_TIMEZONE", "Mars/Olympus")
    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    for name in ("HTTP_PORT", "DATABASE_URL", "BOT_TIMEZONE", "LOG_FORMAT"):
        assert message.count(f"  {name}:") == 1, message


def test_secret_without_id_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DINGTALK_CLIENT_SECRET", "only-the-secret")
    with pytest.raises(SettingsError, match="DINGTALK_CLIENT_ID must be set") as caught:
        load_settings()
    assert "only-the-secret" not in str(caught.value)


@pytest.mark.parametrize(("name", "value"), [("HTTP_PORT", "abc"), ("DATABASE_URL", "not a url")])
def test_run_with_a_bad_setting_exits_2_without_traceback(name: str, value: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
    env[name] = value
    done = subprocess.run([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert name in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) <= 3
