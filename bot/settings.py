"""Settings from the environment and an optional `.env`, validated once at start."""

from __future__ import annotations

import secrets
from datetime import date, time
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.admin.deps import DEFAULT_JSAPI_URL
from bot.api.config import check_origin, check_signing_key
from storage.db import normalize_database_url

DEFAULT_DATA_DIR = Path("data")


class SettingsError(Exception):
    """Raised with one message that names every bad setting."""


class Settings(BaseSettings):
    """Everything the bot reads from its environment."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    dingtalk_client_id: str = ""
    dingtalk_client_secret: SecretStr = SecretStr("")
    dingtalk_robot_code: str = ""
    # The org's corpId: the admin pages ask DingTalk's free-login (dd.requestAuthCode) for a code in this org.
    dingtalk_corp_id: str = Field(default="", description="the org's corpId, for the admin pages' free-login")
    # The DingTalk JSAPI script the admin pages load; sandbox mode points it at the sandbox's stand-in.
    dingtalk_jsapi_url: str = Field(default=DEFAULT_JSAPI_URL,
                                    description="the DingTalk JSAPI script (dingtalk.open.js) the admin pages load")
    # The same variable dingtalk-stream reads, so the SDK and our client always agree on the host.
    dingtalk_openapi_endpoint: str = "https://api.dingtalk.com"
    dingtalk_oapi_endpoint: str = "https://oapi.dingtalk.com"
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = ""
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)
    public_url: str = ""
    # Signs links to reports and certificates; by default derived from DINGTALK_CLIENT_SECRET.
    link_secret: SecretStr = SecretStr("")
    sandbox_host: str = "127.0.0.1"
    sandbox_port: int = Field(default=8765, ge=0, le=65535)
    bot_timezone: str = "Asia/Macau"
    bot_admins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "text"
    dingtalk_card_template_id: str = ""
    dingtalk_agent_id: int | None = None
    work_hours: str = "09:00-18:00"
    org_holidays: Annotated[list[date], NoDecode] = Field(default_factory=list)
    org_workdays: Annotated[list[date], NoDecode] = Field(default_factory=list)
    classify_nudge_hours: float = Field(default=4, gt=0)
    classify_escalate_hours: float = Field(default=8, gt=0)
    classify_expire_hours: float = Field(default=40, gt=0)
    classify_keywords: Annotated[list[str], NoDecode] = Field(default_factory=list)
    classify_drive_events: bool = False
    dingtalk_rate_limit: float = Field(default=20.0, gt=0)
    reminder_dispatch_seconds: float = Field(default=30.0, gt=0)
    reminder_lease_seconds: float = Field(default=300.0, gt=0)
    stream_idle_timeout: float = Field(default=120.0, gt=0)
    outbox_interval: float = Field(default=5.0, gt=0)
    # The mini-program API: session tokens are HS256 JWTs signed with API_SIGNING_KEY; tokens signed with a
    # key in API_PREVIOUS_SIGNING_KEYS are still accepted (key rotation). Sandbox mode makes up a key.
    api_signing_key: SecretStr = SecretStr("")
    api_previous_signing_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    api_token_ttl: float = Field(default=8 * 3600, ge=60, le=24 * 3600)
    api_cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("bot_admins", "classify_keywords", "org_holidays", "org_workdays", "api_previous_signing_keys",
                     "api_cors_origins", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("api_signing_key", "api_previous_signing_keys")
    @classmethod
    def _signing_keys(cls, value: SecretStr | list[SecretStr]) -> SecretStr | list[SecretStr]:
        for key in value if isinstance(value, list) else [value]:
            check_signing_key(key.get_secret_value())
        return value

    @field_validator("api_cors_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        return [check_origin(origin) for origin in value]

    @field_validator("work_hours")
    @classmethod
    def _work_hours(cls, value: str) -> str:
        parse_work_hours(value)
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_format(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("bot_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r} (use an IANA name such as Asia/Macau)") from None
        return value

    @field_validator("dingtalk_openapi_endpoint", "dingtalk_oapi_endpoint", "dingtalk_jsapi_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return normalize_database_url(value) if value else ""

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        if not self.database_url:
            path = (self.data_dir / "compliance-bot.sqlite3").resolve()
            self.database_url = f"sqlite+aiosqlite:///{path}"
        if not self.dingtalk_robot_code:
            self.dingtalk_robot_code = self.dingtalk_client_id
        has_id, has_secret = bool(self.dingtalk_client_id), bool(self.dingtalk_client_secret.get_secret_value())
        if not self.classify_nudge_hours < self.classify_escalate_hours < self.classify_expire_hours:
            raise ValueError("CLASSIFY_NUDGE_HOURS < CLASSIFY_ESCALATE_HOURS < CLASSIFY_EXPIRE_HOURS must hold")
        if has_id != has_secret:
            missing = "DINGTALK_CLIENT_SECRET" if has_id else "DINGTALK_CLIENT_ID"
            raise ValueError(f"{missing} must be set together with the other DingTalk credential")
        if not self.api_signing_key.get_secret_value() and self.sandbox_mode:
            # A key per process: sign-ins end when the sandbox bot stops. Elsewhere the bot refuses to start.
            self.api_signing_key = SecretStr(secrets.token_urlsafe(48))
        return self

    @property
    def sandbox_mode(self) -> bool:
        """True when no DingTalk credentials are set: the bot then talks to a local sandbox."""
        return not self.dingtalk_client_id

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.bot_timezone)

    def secrets(self) -> list[str]:
        """Values that must never reach a log line."""
        values = (self.dingtalk_client_secret.get_secret_value(), self.link_secret.get_secret_value(),
                  self.api_signing_key.get_secret_value(),
                  *(key.get_secret_value() for key in self.api_previous_signing_keys))
        return [value for value in values if value]

    def link_signing_secret(self) -> str:
        """What links to the bot's pages are signed with; every process of one installation agrees on it."""
        if self.link_secret.get_secret_value():
            return self.link_secret.get_secret_value()
        return "sandbox" if self.sandbox_mode else self.dingtalk_client_secret.get_secret_value()


def parse_work_hours(value: str) -> tuple[time, time]:
    """`09:00-18:00` -> (09:00, 18:00); ValueError with a clear message otherwise."""
    try:
        start, end = (time.fromisoformat(part.strip()) for part in value.split("-"))
    except ValueError:
        raise ValueError(f"{value!r} is not a range like 09:00-18:00") from None
    if start >= end:
        raise ValueError(f"{value!r} ends before it starts")
    return start, end


def load_settings(**overrides: object) -> Settings:
    """Read and validate settings; raise SettingsError naming every bad value."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(describe_validation_error(exc)) from None


def describe_validation_error(exc: ValidationError) -> str:
    lines = ["invalid settings:"]
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"])
        name = field.upper() if field else "settings"
        message = str(error["msg"]).removeprefix("Value error, ")
        value = error.get("input")
        hidden = "secret" in field or "key" in field
        shown = "" if hidden or not isinstance(value, str | int) else f" (got {value!r})"
        lines.append(f"  {name}: {message}{shown}")
    return "\n".join(lines)
