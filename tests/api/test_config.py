"""The API's settings: no signing key outside the sandbox means no start; bad values are named."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from bot.api import ApiConfigError, api_deps, check_origin, check_signing_key, token_signer
from handlers.context import OrgPolicy
from tests.api.conftest import Sessions


@dataclass
class FakeSettings:
    api_signing_key: SecretStr = SecretStr("")
    api_previous_signing_keys: list[SecretStr] = field(default_factory=list)
    api_token_ttl: float = 8 * 3600
    api_cors_origins: list[str] = field(default_factory=list)
    bot_admins: list[str] = field(default_factory=list)


def test_a_missing_key_is_refused_with_a_message_saying_what_to_set() -> None:
    with pytest.raises(ApiConfigError, match=r"API_SIGNING_KEY is not set.*secrets.token_urlsafe"):
        token_signer(FakeSettings())
    with pytest.raises(ApiConfigError, match="at least 32 bytes"):
        token_signer(FakeSettings(api_signing_key=SecretStr("k" * 40), api_previous_signing_keys=[SecretStr("x")]))


def test_settings_become_the_api_dependencies() -> None:
    settings = FakeSettings(api_signing_key=SecretStr("k" * 40), api_previous_signing_keys=[SecretStr("o" * 32)],
                            api_token_ttl=600, api_cors_origins=["https://h5.example"], bot_admins=["sou.kamfai"])
    deps = api_deps(settings, Sessions(), dingtalk=None, clock=lambda: datetime.now(UTC),  # type: ignore[arg-type]
                    policy=OrgPolicy, on_committed=lambda: None)
    assert deps.tokens.ttl.total_seconds() == 600
    assert deps.cors_origins == {"https://h5.example"} and deps.bot_admins == {"sou.kamfai"}
    old = token_signer(FakeSettings(api_signing_key=SecretStr("o" * 32))).issue("lei.mei", datetime.now(UTC))
    assert deps.tokens.verify(old.token, datetime.now(UTC)).user_id == "lei.mei"


def test_field_checks_for_the_settings() -> None:
    assert check_signing_key("") == "" and check_signing_key("k" * 32) == "k" * 32
    with pytest.raises(ValueError, match="at least 32 characters"):
        check_signing_key("short")
    assert check_origin("https://h5.example.com/") == "https://h5.example.com"
    assert check_origin("http://127.0.0.1:5173") == "http://127.0.0.1:5173"
    for bad in ("h5.example.com", "https://h5.example.com/app", "*", "ftp://x"):
        with pytest.raises(ValueError, match="is not an origin"):
            check_origin(bad)
