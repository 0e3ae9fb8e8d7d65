"""The API's settings as the app reads them, and the start-up checks that refuse a bot without a signing key.

`Settings` in `bot.settings` satisfies `ApiSettings`: API_SIGNING_KEY, API_PREVIOUS_SIGNING_KEYS,
API_TOKEN_TTL (seconds) and API_CORS_ORIGINS. In sandbox mode the settings fill in a random key per process
(sessions then end with the process); otherwise the bot refuses to start without one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Final, Protocol
from urllib.parse import urlsplit

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.api.deps import ApiDeps, LoginSource
from bot.api.tokens import MIN_KEY_BYTES, TokenSigner
from handlers.context import OrgPolicy

MISSING_KEY: Final = (
    "API_SIGNING_KEY is not set: the mini-program API signs its session tokens with it. Set it to a random "
    f"value of at least {MIN_KEY_BYTES} characters, the same on every replica, e.g. the output of "
    "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
)


class ApiConfigError(Exception):
    """The API cannot be served with these settings; the message says what to set."""


class ApiSettings(Protocol):
    @property
    def api_signing_key(self) -> SecretStr: ...
    @property
    def api_previous_signing_keys(self) -> Sequence[SecretStr]: ...
    @property
    def api_token_ttl(self) -> float: ...
    @property
    def api_cors_origins(self) -> Sequence[str]: ...
    @property
    def bot_admins(self) -> Sequence[str]: ...


def check_signing_key(value: str) -> str:
    """For the settings' field validator: an empty key (unset) passes; a short one does not."""
    if value and len(value.encode()) < MIN_KEY_BYTES:
        raise ValueError(f"must be at least {MIN_KEY_BYTES} characters long")
    return value


def check_origin(value: str) -> str:
    """For the settings' field validator: `https://host[:port]`, no path; returned without a trailing slash."""
    parts = urlsplit(value.rstrip("/"))
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query or parts.fragment:
        raise ValueError(f"{value!r} is not an origin like https://app.example.com")
    return f"{parts.scheme}://{parts.netloc}"


def token_signer(settings: ApiSettings) -> TokenSigner:
    """The signer for these settings; ApiConfigError when the key is missing."""
    current = settings.api_signing_key.get_secret_value()
    if not current:
        raise ApiConfigError(MISSING_KEY)
    previous = tuple(key.get_secret_value() for key in settings.api_previous_signing_keys)
    try:
        return TokenSigner(current, previous, ttl=timedelta(seconds=settings.api_token_ttl))
    except ValueError as exc:
        raise ApiConfigError(f"API_SIGNING_KEY: {exc}") from None


def api_deps(settings: ApiSettings, sessions: async_sessionmaker[AsyncSession], dingtalk: LoginSource,
             clock: Callable[[], datetime], policy: Callable[[], OrgPolicy],
             on_committed: Callable[[], None]) -> ApiDeps:
    """What `add_api` needs, from settings; ApiConfigError when they cannot serve the API."""
    return ApiDeps(sessions=sessions, dingtalk=dingtalk, tokens=token_signer(settings),
                   bot_admins=frozenset(settings.bot_admins), cors_origins=frozenset(settings.api_cors_origins),
                   clock=clock, policy=policy, on_committed=on_committed)
