"""What the API needs from the rest of the bot, built once by the app and handed to `add_api`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.api.limits import RateLimit
from bot.api.tokens import TokenSigner
from bot.dingtalk.models import FreeLoginUser
from handlers.context import OrgPolicy
from handlers.directory import DirectorySource


class LoginSource(DirectorySource, Protocol):
    """DingTalk as the API uses it: free-login codes and user records (`DingTalkClient` is one)."""

    async def user_id_by_auth_code(self, code: str) -> FreeLoginUser: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ApiDeps:
    """The API's collaborators and settings."""

    sessions: async_sessionmaker[AsyncSession]
    dingtalk: LoginSource
    tokens: TokenSigner
    bot_admins: frozenset[str] = frozenset()
    cors_origins: frozenset[str] = frozenset()
    clock: Callable[[], datetime] = utc_now
    sign_in_limit: RateLimit = field(default_factory=RateLimit)
    # How old a cached directory entry may be at sign-in before it is fetched again (the sync runs daily).
    directory_max_age: timedelta = timedelta(hours=24)
    # The org policy (calendar, card template, where pages are); a callable because the bot learns its own
    # HTTP port, part of the pages' address, only once the server listens.
    policy: Callable[[], OrgPolicy] = OrgPolicy
    # Called after a request committed, so queued messages (campaign cards) go out now, not at the next poll.
    on_committed: Callable[[], None] = lambda: None
