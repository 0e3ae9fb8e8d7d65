from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.directory import (
    active_user_departments,
    deactivate_users,
    get_department,
    get_user,
    is_manager,
    org_admin_ids,
    upsert_department,
    upsert_user,
    users_managed_by,
)

T0 = datetime(2025, 2, 1, tzinfo=UTC)
DEPT = 8_000_000_000  # DingTalk department ids exceed 32 bits


async def test_upsert_user_inserts_then_replaces(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_factory.begin() as session:
        user = await upsert_user(
            session, user_id="u1", union_id="un1", name="陳大文", refreshed_at=T0, dept_ids=[DEPT, 2]
        )
        assert (user.name, user.title, user.dept_ids, user.active, user.manager_user_id) == (
            "陳大文",
            "",
            [DEPT, 2],
            True,
            None,
        )
    async with session_factory.begin() as session:
        before = await get_user(session, "u1")
        updated = await upsert_user(
            session,
            user_id="u1",
            union_id="un1",
            name="Chan Tai Man",
            title="DPO",
            manager_user_id="boss",
            leader_in_depts=[2],
            is_org_admin=True,
            refreshed_at=T0 + timedelta(days=1),
        )
        assert updated is before  # the session's copy is refreshed, not left stale
    async with session_factory() as session:
        stored = await get_user(session, "u1")
        assert await get_user(session, "nobody") is None
    assert stored is not None
    assert (stored.name, stored.title, stored.manager_user_id, stored.dept_ids, stored.leader_in_depts) == (
        "Chan Tai Man",
        "DPO",
        "boss",
        [],
        [2],
    )
    assert (stored.is_org_admin, stored.is_boss, stored.refreshed_at) == (True, False, T0 + timedelta(days=1))


async def test_upsert_department(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_factory.begin() as session:
        await upsert_department(session, dept_id=DEPT, name="法務部", parent_id=1, refreshed_at=T0)
        await upsert_department(session, dept_id=DEPT, name="Legal", manager_user_ids=["m1"], refreshed_at=T0)
    async with session_factory() as session:
        dept = await get_department(session, DEPT)
        assert await get_department(session, 42) is None
    assert dept is not None
    assert (dept.dept_id, dept.name, dept.parent_id, dept.manager_user_ids) == (DEPT, "Legal", None, ["m1"])


async def test_reports_and_managers(session: AsyncSession) -> None:
    for user_id, name, manager, active in [
        ("boss", "Boss", None, True),
        ("b", "Bella", "boss", True),
        ("a", "Albert", "boss", True),
        ("gone", "Former", "boss", False),
        ("lead", "Team Lead", "boss", True),
        ("solo", "Solo", None, True),
        ("head", "Dept Head", None, True),
    ]:
        await upsert_user(
            session,
            user_id=user_id,
            union_id=f"un-{user_id}",
            name=name,
            manager_user_id=manager,
            active=active,
            leader_in_depts=[7] if user_id == "lead" else [],
            refreshed_at=T0,
        )
    await upsert_department(session, dept_id=9, name="Ops", manager_user_ids=["x", "head"], refreshed_at=T0)
    await session.commit()

    assert [user.user_id for user in await users_managed_by(session, "boss")] == ["a", "b", "lead"]
    assert await users_managed_by(session, "solo") == []
    assert [await is_manager(session, uid) for uid in ("boss", "lead", "head", "solo", "a", "he", "nobody")] == [
        True,
        True,
        True,
        False,
        False,
        False,
        False,
    ]


async def test_admins_memberships_and_deactivation(session: AsyncSession) -> None:
    for user_id, name, admin, active, depts in [
        ("it", "Wong", True, True, [2]),
        ("ceo", "Chan", True, True, [2, 3]),
        ("old-admin", "Former", True, False, [2]),
        ("clerk", "Lam", False, True, []),
    ]:
        await upsert_user(session, user_id=user_id, union_id=f"un-{user_id}", name=name, is_org_admin=admin,
                          active=active, dept_ids=depts, refreshed_at=T0)
    await session.commit()

    assert await org_admin_ids(session) == ["ceo", "it"]
    assert await active_user_departments(session) == {"it": [2], "ceo": [2, 3], "clerk": []}
    clerk = await get_user(session, "clerk")
    # More ids than one statement takes; unknown and already inactive ones are not counted.
    unknown = [f"nobody-{n}" for n in range(1200)]
    assert await deactivate_users(session, [*unknown, "clerk", "old-admin", "clerk"]) == 1
    assert await deactivate_users(session, []) == 0
    assert clerk is not None and clerk.active is False  # the session's copy follows the update
    await session.commit()
    assert await active_user_departments(session) == {"it": [2], "ceo": [2, 3]}
    stored = await get_user(session, "clerk")
    assert stored is not None and (stored.active, stored.refreshed_at) == (False, T0)
