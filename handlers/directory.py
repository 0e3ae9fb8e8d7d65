"""The cached org directory: the sync job, read-through lookups, escalation chains and roles.

DingTalk is reached through `DirectorySource`, which `bot.dingtalk.DingTalkClient` satisfies structurally
(handlers never import `bot`). A source signals "no such user" by raising a `LookupError`.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final, Literal, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import directory as store
from storage.models import DirectoryDepartment, DirectoryUser

log = logging.getLogger(__name__)

ROOT_DEPT: Final = 1
WRITE_BATCH: Final = 100  # rows per transaction, so a long sync never holds one transaction open

Role = Literal["admin", "manager", "employee"]
_Item = TypeVar("_Item")


class SourceLeadership(Protocol):
    @property
    def dept_id(self) -> int: ...
    @property
    def leader(self) -> bool: ...


class SourceUser(Protocol):
    """A user's full record (`/topapi/v2/user/get`); an empty `manager_userid` means none."""

    @property
    def userid(self) -> str: ...
    @property
    def unionid(self) -> str | None: ...
    @property
    def name(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def manager_userid(self) -> str | None: ...
    @property
    def dept_id_list(self) -> Sequence[int]: ...
    @property
    def leader_in_dept(self) -> Sequence[SourceLeadership]: ...
    @property
    def admin(self) -> bool: ...
    @property
    def boss(self) -> bool: ...


class SourceMember(Protocol):
    """One entry of a department's member list; DingTalk's never names the manager."""

    @property
    def userid(self) -> str: ...


class SourceDepartmentRef(Protocol):
    @property
    def dept_id(self) -> int: ...


class SourceDepartment(Protocol):
    @property
    def dept_id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def parent_id(self) -> int | None: ...
    @property
    def dept_manager_userid_list(self) -> Sequence[str]: ...


class DirectorySource(Protocol):
    """Where the directory comes from. `get_user` raises a `LookupError` for a user that does not exist."""

    async def get_user(self, user_id: str) -> SourceUser: ...
    async def get_department(self, dept_id: int) -> SourceDepartment: ...
    async def list_sub_departments(self, dept_id: int) -> Sequence[SourceDepartmentRef]: ...
    async def list_department_users(self, dept_id: int) -> Sequence[SourceMember]: ...


@dataclass(frozen=True)
class SyncReport:
    """What one sync did: departments and users refreshed, users deactivated, failed reads, duration."""

    departments: int
    users: int
    deactivated: int
    errors: int
    seconds: float


@dataclass
class _Walk:
    """What a breadth-first walk of the department tree found."""

    departments: list[SourceDepartment] = field(default_factory=list)
    user_ids: dict[str, None] = field(default_factory=dict)  # members in first-seen order, each once
    failed: set[int] = field(default_factory=set)  # departments whose details, members or children are unknown


async def sync_directory(
    sessions: async_sessionmaker[AsyncSession], source: DirectorySource, now: datetime
) -> SyncReport:
    """Refresh the cached directory from DingTalk; users no longer in the org become inactive.

    A department or user that cannot be read is logged and counted in `errors`; its cached copy stays, and
    no one who might be in the unread part of the org is deactivated.
    """
    started = time.monotonic()
    walk = await _walk_departments(source)
    await _write_in_batches(sessions, walk.departments, lambda session, dept: _save_department(session, dept, now))
    users: list[SourceUser] = []
    errors = len(walk.failed)
    for user_id in walk.user_ids:
        try:
            users.append(await source.get_user(user_id))
        except Exception as exc:  # counted, and the user still counts as seen, so nobody is deactivated
            log.warning("directory sync: user %s could not be read: %s: %s", user_id, type(exc).__name__, exc)
            errors += 1
    await _write_in_batches(sessions, users, lambda session, user: _save_user(session, user, now))
    async with sessions.begin() as session:
        deactivated = await _deactivate_missing(session, walk)
    report = SyncReport(len(walk.departments), len(users), deactivated, errors, time.monotonic() - started)
    log.info("directory sync: %d departments, %d users, %d deactivated, %d errors in %.1f s",
             report.departments, report.users, report.deactivated, report.errors, report.seconds)
    return report


async def _walk_departments(source: DirectorySource) -> _Walk:
    walk = _Walk()
    queue, queued = deque([ROOT_DEPT]), {ROOT_DEPT}
    while queue:
        dept_id = queue.popleft()
        try:
            dept = await source.get_department(dept_id)
            members = await source.list_department_users(dept_id)
            children = await source.list_sub_departments(dept_id)
        except Exception as exc:
            log.warning("directory sync: department %s could not be read: %s: %s", dept_id, type(exc).__name__, exc)
            walk.failed.add(dept_id)
            continue
        walk.departments.append(dept)
        walk.user_ids.update(dict.fromkeys(member.userid for member in members))
        for child in children:
            if child.dept_id not in queued:
                queued.add(child.dept_id)
                queue.append(child.dept_id)
    return walk


async def _write_in_batches(
    sessions: async_sessionmaker[AsyncSession],
    items: Sequence[_Item],
    save: Callable[[AsyncSession, _Item], Awaitable[object]],
) -> None:
    for start in range(0, len(items), WRITE_BATCH):
        async with sessions.begin() as session:
            for item in items[start : start + WRITE_BATCH]:
                await save(session, item)


async def _deactivate_missing(session: AsyncSession, walk: _Walk) -> int:
    """Deactivate active users the walk did not meet, unless they may be in a part it could not read."""
    if ROOT_DEPT in walk.failed:
        return 0
    listed = {dept.dept_id for dept in walk.departments}
    cached = await store.active_user_departments(session)
    gone = [
        user_id for user_id, dept_ids in cached.items()
        if user_id not in walk.user_ids and (not walk.failed or (dept_ids and set(dept_ids) <= listed))
    ]
    if gone:
        log.info("directory sync: no longer in the org: %s", ", ".join(sorted(gone)))
    return await store.deactivate_users(session, gone)


async def _save_department(session: AsyncSession, dept: SourceDepartment, now: datetime) -> DirectoryDepartment:
    return await store.upsert_department(session, dept_id=dept.dept_id, name=dept.name, parent_id=dept.parent_id,
                                         manager_user_ids=dept.dept_manager_userid_list, refreshed_at=now)


async def _save_user(session: AsyncSession, user: SourceUser, now: datetime) -> DirectoryUser:
    # Anyone DingTalk returns belongs to the org, so the copy is active (DingTalk's own `active` only says
    # whether the account has been activated).
    return await store.upsert_user(
        session, user_id=user.userid, union_id=user.unionid or "", name=user.name, title=user.title,
        manager_user_id=user.manager_userid or None, dept_ids=user.dept_id_list,
        leader_in_depts=[lead.dept_id for lead in user.leader_in_dept if lead.leader],
        is_org_admin=user.admin, is_boss=user.boss, active=True, refreshed_at=now,
    )


async def ensure_user(
    session: AsyncSession, source: DirectorySource, user_id: str, now: datetime, max_age: timedelta
) -> DirectoryUser | None:
    """The cached user if refreshed within `max_age`, else fetched and cached; None if DingTalk has no such user.

    Writes go into `session`; the caller commits. A user DingTalk no longer knows is marked inactive.
    """
    cached = await store.get_user(session, user_id)
    if cached is not None and now - cached.refreshed_at <= max_age:
        return cached
    try:
        fetched = await source.get_user(user_id)
    except LookupError:
        await store.deactivate_users(session, [user_id])
        return None
    return await _save_user(session, fetched, now)


async def display_name(session: AsyncSession, user_id: str) -> str:
    """The cached name, or the id when the user is unknown."""
    user = await store.get_user(session, user_id)
    return user.name if user is not None and user.name else user_id


async def org_admins(session: AsyncSession) -> list[str]:
    """Active users DingTalk marks as org admins, by name."""
    return await store.org_admin_ids(session)


async def role_of(session: AsyncSession, user_id: str, bot_admins: Collection[str]) -> Role:
    """admin: an org admin or in BOT_ADMINS; manager: has active direct reports or heads a department."""
    if user_id in bot_admins:
        return "admin"
    user = await store.get_user(session, user_id)
    if user is None or not user.active:
        return "employee"
    if user.is_org_admin:
        return "admin"
    return "manager" if await store.is_manager(session, user_id) else "employee"


async def managers_of(session: AsyncSession, user_id: str) -> list[str]:
    """Everyone above `user_id`, nearest first: the flattened `escalation_levels`."""
    return [manager for level in await escalation_levels(session, user_id) for manager in level]


async def escalation_levels(session: AsyncSession, user_id: str) -> list[list[str]]:
    """Who to escalate to, one level at a time, nearest first; never the user, nobody twice.

    One level above a person is their direct manager if that manager is cached and active; otherwise the
    heads of each of their departments, walking up `parent_id` to the first department with an active head
    (starting at the parent for a department they head themselves). The levels stop where no one is above.
    """
    user = await store.get_user(session, user_id)
    if user is None:
        return []
    levels: list[list[str]] = []
    seen = {user_id}
    current = [user]
    while current:
        level: list[DirectoryUser] = []
        for person in current:
            for above in await _one_level_up(session, person, seen):
                seen.add(above.user_id)
                level.append(above)
        if level:
            levels.append([above.user_id for above in level])
        current = level
    return levels


async def _one_level_up(session: AsyncSession, person: DirectoryUser, exclude: set[str]) -> list[DirectoryUser]:
    manager = await _eligible(session, person.manager_user_id, exclude)
    if manager is not None:
        return [manager]
    heads: dict[str, DirectoryUser] = {}
    for dept_id in person.dept_ids:
        for head in await _nearest_heads(session, dept_id, person, exclude):
            heads.setdefault(head.user_id, head)
    return list(heads.values())


async def _nearest_heads(
    session: AsyncSession, dept_id: int, person: DirectoryUser, exclude: set[str]
) -> list[DirectoryUser]:
    dept = await store.get_department(session, dept_id)
    if dept is not None and (person.user_id in dept.manager_user_ids or dept_id in person.leader_in_depts):
        dept = await _parent(session, dept)
    walked: set[int] = set()
    while dept is not None and dept.dept_id not in walked:  # a cached cycle must not loop forever
        walked.add(dept.dept_id)
        heads = [head for uid in dept.manager_user_ids if (head := await _eligible(session, uid, exclude))]
        if heads:
            return heads
        dept = await _parent(session, dept)
    return []


async def _parent(session: AsyncSession, dept: DirectoryDepartment) -> DirectoryDepartment | None:
    return None if dept.parent_id is None else await store.get_department(session, dept.parent_id)


async def _eligible(session: AsyncSession, user_id: str | None, exclude: set[str]) -> DirectoryUser | None:
    if not user_id or user_id in exclude:
        return None
    user = await store.get_user(session, user_id)
    return user if user is not None and user.active else None
