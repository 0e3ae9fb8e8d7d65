"""Who is calling: the signed-in person and their role, from the cached directory, on every request."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.api.models import Me
from handlers.directory import DirectorySource, Role, ensure_user, role_of
from storage import directory as store

Access = Literal["public", "employee", "manager", "admin"]
RANK: Final[dict[Role, int]] = {"employee": 0, "manager": 1, "admin": 2}
# DingTalk's free-login sys_level: 1 main admin, 2 sub-admin (dingtalk-wire.md 6.2).
ADMIN_SYS_LEVELS: Final = frozenset({1, 2})


@dataclass(frozen=True)
class Caller:
    """The person a request acts for, as the directory knows them now."""

    user_id: str
    name: str
    title: str
    role: Role

    def may(self, access: Access) -> bool:
        """Whether this caller may use a route that needs `access`; roles rank employee < manager < admin."""
        return access == "public" or RANK[self.role] >= RANK[access]


async def resolve_caller(session: AsyncSession, user_id: str, bot_admins: Collection[str]) -> Caller | None:
    """The caller behind a token's subject; None when they are no longer an active member of the org.

    BOT_ADMINS are admins even if the directory has not cached them (yet).
    """
    user = await store.get_user(session, user_id)
    if user_id not in bot_admins and (user is None or not user.active):
        return None
    role = await role_of(session, user_id, bot_admins)
    name, title = (user.name, user.title) if user is not None else (user_id, "")
    return Caller(user_id=user_id, name=name or user_id, title=title, role=role)


async def signed_in_caller(
    session: AsyncSession, source: DirectorySource, user_id: str, *, sys_level: int, now: datetime,
    max_age: timedelta, bot_admins: Collection[str],
) -> Caller | None:
    """The caller a free-login code named, caching them first if the directory has not met them yet.

    A cached copy older than `max_age`, or one whose admin flag disagrees with the `sys_level` DingTalk just
    reported, is fetched again, so a new admin or a demoted one is seen at sign-in, not at the next sync.
    Writes go into `session`; the caller commits.
    """
    cached = await store.get_user(session, user_id)
    stale = cached is not None and cached.is_org_admin != (sys_level in ADMIN_SYS_LEVELS)
    await ensure_user(session, source, user_id, now, timedelta(0) if stale else max_age)
    return await resolve_caller(session, user_id, bot_admins)


def me(caller: Caller) -> Me:
    return Me(user_id=caller.user_id, name=caller.name, title=caller.title, role=caller.role)
