"""The cached DingTalk directory: users, departments and who manages whom."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, exists, func, select, true, type_coerce, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase

from storage.db import dialect_insert, dialect_name
from storage.models import DirectoryDepartment, DirectoryUser

_Model = TypeVar("_Model", bound=DeclarativeBase)
_ID_CHUNK = 500  # well under the bound-parameter limits of SQLite and asyncpg


async def upsert_user(
    session: AsyncSession,
    *,
    user_id: str,
    union_id: str,
    name: str,
    refreshed_at: datetime,
    title: str = "",
    manager_user_id: str | None = None,
    dept_ids: Sequence[int] = (),
    leader_in_depts: Sequence[int] = (),
    is_org_admin: bool = False,
    is_boss: bool = False,
    active: bool = True,
) -> DirectoryUser:
    """Insert or replace the cached copy of a user."""
    values: dict[str, Any] = {
        "user_id": user_id,
        "union_id": union_id,
        "name": name,
        "title": title,
        "manager_user_id": manager_user_id,
        "dept_ids": list(dept_ids),
        "leader_in_depts": list(leader_in_depts),
        "is_org_admin": is_org_admin,
        "is_boss": is_boss,
        "active": active,
        "refreshed_at": refreshed_at,
    }
    return await _upsert(session, DirectoryUser, "user_id", values)


async def get_user(session: AsyncSession, user_id: str) -> DirectoryUser | None:
    return await session.get(DirectoryUser, user_id)


async def upsert_department(
    session: AsyncSession,
    *,
    dept_id: int,
    name: str,
    refreshed_at: datetime,
    parent_id: int | None = None,
    manager_user_ids: Sequence[str] = (),
) -> DirectoryDepartment:
    """Insert or replace the cached copy of a department."""
    values: dict[str, Any] = {
        "dept_id": dept_id,
        "name": name,
        "parent_id": parent_id,
        "manager_user_ids": list(manager_user_ids),
        "refreshed_at": refreshed_at,
    }
    return await _upsert(session, DirectoryDepartment, "dept_id", values)


async def get_department(session: AsyncSession, dept_id: int) -> DirectoryDepartment | None:
    return await session.get(DirectoryDepartment, dept_id)


async def users_managed_by(session: AsyncSession, user_id: str) -> list[DirectoryUser]:
    """Active direct reports of `user_id`, by name."""
    stmt = (
        select(DirectoryUser)
        .where(DirectoryUser.manager_user_id == user_id, DirectoryUser.active.is_(True))
        .order_by(DirectoryUser.name, DirectoryUser.user_id)
    )
    return list(await session.scalars(stmt))


async def is_manager(session: AsyncSession, user_id: str) -> bool:
    """True if `user_id` has active direct reports or heads a department."""
    has_reports = exists().where(DirectoryUser.manager_user_id == user_id, DirectoryUser.active.is_(True))
    if await session.scalar(select(has_reports)):
        return True
    user = await get_user(session, user_id)
    if user is not None and user.leader_in_depts:
        return True
    return bool(await session.scalar(select(_heads_a_department(session, user_id))))


async def org_admin_ids(session: AsyncSession) -> list[str]:
    """Active users DingTalk marks as org admins, by name."""
    stmt = (
        select(DirectoryUser.user_id)
        .where(DirectoryUser.is_org_admin.is_(True), DirectoryUser.active.is_(True))
        .order_by(DirectoryUser.name, DirectoryUser.user_id)
    )
    return list(await session.scalars(stmt))


async def names_of(session: AsyncSession, user_ids: Collection[str]) -> dict[str, str]:
    """Cached display names by userId; people the directory does not know (or has no name for) are left out."""
    if not user_ids:
        return {}
    rows = await session.execute(
        select(DirectoryUser.user_id, DirectoryUser.name).where(DirectoryUser.user_id.in_(sorted(user_ids))))
    return {user_id: name for user_id, name in rows if name}


async def active_users(session: AsyncSession) -> list[DirectoryUser]:
    """Every active user, the org's bosses first, then by name."""
    stmt = (
        select(DirectoryUser)
        .where(DirectoryUser.active.is_(True))
        .order_by(DirectoryUser.is_boss.desc(), DirectoryUser.name, DirectoryUser.user_id)
    )
    return list(await session.scalars(stmt))


async def active_user_departments(session: AsyncSession) -> dict[str, list[int]]:
    """Every active user's cached department ids."""
    rows = await session.execute(
        select(DirectoryUser.user_id, DirectoryUser.dept_ids).where(DirectoryUser.active.is_(True))
    )
    return {user_id: list(dept_ids) for user_id, dept_ids in rows}


async def deactivate_users(session: AsyncSession, user_ids: Collection[str]) -> int:
    """Mark users inactive (they stay, since old records name them); returns how many were active."""
    ids = sorted(set(user_ids))
    changed = 0
    for start in range(0, len(ids), _ID_CHUNK):
        chunk = ids[start : start + _ID_CHUNK]
        stmt = (
            update(DirectoryUser)
            .where(DirectoryUser.user_id.in_(chunk), DirectoryUser.active.is_(True))
            .values(active=False)
            .returning(DirectoryUser.user_id)
            .execution_options(synchronize_session="fetch")
        )
        changed += len((await session.scalars(stmt)).all())
    return changed


def _heads_a_department(session: AsyncSession, user_id: str) -> ColumnElement[bool]:
    if dialect_name(session) == "postgresql":
        managers = type_coerce(DirectoryDepartment.manager_user_ids, JSONB)
        return exists().where(managers.contains([user_id]))
    member = func.json_each(DirectoryDepartment.manager_user_ids).table_valued("value")
    return select(DirectoryDepartment.dept_id).join(member, true()).where(member.c.value == user_id).exists()


async def _upsert(session: AsyncSession, model: type[_Model], key: str, values: dict[str, Any]) -> _Model:
    insert = dialect_insert(session, model).values(**values)
    upsert = insert.on_conflict_do_update(
        index_elements=[key],
        set_={column: insert.excluded[column] for column in values if column != key},
    ).returning(model)
    result = await session.scalars(upsert, execution_options={"populate_existing": True})
    return result.one()


async def user_by_union_id(session: AsyncSession, union_id: str) -> DirectoryUser | None:
    """The cached user with this unionId (events and storage APIs name people by unionId)."""
    stmt = select(DirectoryUser).where(DirectoryUser.union_id == union_id).limit(1)
    return await session.scalar(stmt)
