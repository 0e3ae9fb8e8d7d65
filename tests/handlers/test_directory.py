"""The directory cache against the sandbox's org, through the real DingTalk client, on every database backend."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.dingtalk import DingTalkClient, DingTalkNotFoundError
from handlers.directory import (
    SyncReport,
    display_name,
    ensure_user,
    escalation_levels,
    managers_of,
    org_admins,
    role_of,
    sync_directory,
)
from sandbox import Org, Sandbox, SandboxConfig
from sandbox.errors import OapiError
from sandbox.org import Department
from storage import directory as store
from storage.models import DirectoryDepartment, DirectoryUser

T0 = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)
USER_GET = "/topapi/v2/user/get"
Sessions = async_sessionmaker[AsyncSession]


@dataclass
class DingTalk:
    sandbox: Sandbox
    client: DingTalkClient

    def calls(self, path: str) -> list[Any]:
        return [call.body for call in self.sandbox.state.calls.matching(path)]


@asynccontextmanager
async def dingtalk_with(org: Org | None = None) -> AsyncIterator[DingTalk]:
    """A sandbox serving `org` (the seeded one by default) and a real client pointed at it."""
    sandbox = Sandbox(SandboxConfig(ping_interval=0), org=org)
    await sandbox.start()
    client = DingTalkClient(client_id=sandbox.config.client_id, client_secret=sandbox.config.client_secret,
                            robot_code=sandbox.config.client_id, openapi_endpoint=sandbox.url,
                            oapi_endpoint=sandbox.url)
    try:
        yield DingTalk(sandbox, client)
    finally:
        await client.close()
        await sandbox.stop()


@pytest.fixture
async def dingtalk() -> AsyncIterator[DingTalk]:
    async with dingtalk_with() as dingtalk:
        yield dingtalk


def seeded_org_but(
    *,
    without: Collection[str] = (),
    users: Mapping[str, Mapping[str, Any]] | None = None,
    departments: Mapping[int, Mapping[str, Any]] | None = None,
    org_type: type[Org] = Org,
) -> Org:
    """The seeded org with users removed, and fields of users and departments replaced."""
    seed = Org.seeded()
    people = [replace(u, **(users or {}).get(u.userid, {})) for u in seed.users.values() if u.userid not in without]
    units = [replace(d, **(departments or {}).get(d.dept_id, {})) for d in seed.departments.values()]
    groups = [replace(g, members=[m for m in g.members if m not in without]) for g in seed.groups.values()]
    return org_type(people, units, groups, seed.corp_name)


class OrgHidingFinance(Org):
    """Department 4 is listed, but the app may not read it (errcode 60011, no permission)."""

    def department_detail(self, dept: Department) -> dict[str, Any]:
        if dept.dept_id == 4:
            raise OapiError(60011, "no permission for this department")
        return super().department_detail(dept)


async def cached_users(sessions: Sessions) -> dict[str, DirectoryUser]:
    async with sessions() as session:
        return {u.user_id: u for u in await session.scalars(select(DirectoryUser))}


async def test_a_full_sync_caches_the_seeded_org(session_factory: Sessions, dingtalk: DingTalk) -> None:
    report = await sync_directory(session_factory, dingtalk.client, T0)

    assert (report.departments, report.users, report.deactivated, report.errors) == (6, 10, 0, 0)
    assert 0 <= report.seconds < 10
    # sou.kamfai is listed in departments 2 and 3 but fetched once.
    assert sorted(body["userid"] for body in dingtalk.calls(USER_GET)) == sorted(Org.seeded().users)
    async with session_factory() as session:
        depts = {d.dept_id: d for d in await session.scalars(select(DirectoryDepartment))}
        assert await org_admins(session) == ["admin.wong"]
        assert await display_name(session, "lei.mei") == "李美"
        assert await display_name(session, "nobody") == "nobody"
    assert {i: (d.parent_id, d.manager_user_ids) for i, d in depts.items()} == {
        1: (None, []), 2: (1, ["chan.taiman"]), 3: (1, ["lei.mei"]), 4: (1, ["wong.kachun"]),
        5: (1, ["ho.sioklan"]), 6: (5, []),
    }
    assert depts[3].name == "人力資源部" and all(d.refreshed_at == T0 for d in depts.values())
    users = await cached_users(session_factory)
    assert len(users) == 10 and all(u.active and u.refreshed_at == T0 for u in users.values())
    boss, admin, dpo = users["chan.taiman"], users["admin.wong"], users["sou.kamfai"]
    assert (boss.is_boss, boss.manager_user_id, boss.leader_in_depts, boss.union_id) == (
        True, None, [2], "union-chan-taiman")
    assert (admin.is_org_admin, admin.is_boss, admin.manager_user_id) == (True, False, "chan.taiman")
    assert (dpo.dept_ids, dpo.leader_in_depts, dpo.title) == ([2, 3], [], "個人資料保護主任 Data Protection Officer")
    assert users["ieong.weng"].manager_user_id is None and users["ho.sioklan"].leader_in_depts == [5]
    assert sum(u.is_org_admin for u in users.values()) == 1


async def test_escalation_chains_in_the_seeded_org(session_factory: Sessions, dingtalk: DingTalk) -> None:
    await sync_directory(session_factory, dingtalk.client, T0)

    async with session_factory() as session:
        chains = {user: await managers_of(session, user) for user in [*Org.seeded().users, "nobody"]}
        staged = await escalation_levels(session, "ieong.weng")
    assert chains == {
        "chan.taiman": [],  # the boss heads department 2, and the root above it has no head
        "admin.wong": ["chan.taiman"],
        "sou.kamfai": ["chan.taiman"],  # in two departments; the direct manager comes first
        "lei.mei": ["chan.taiman"],  # a department head with a direct manager
        "cheang.kawai": ["lei.mei", "chan.taiman"],
        "wong.kachun": ["chan.taiman"],
        "lam.siuyin": ["wong.kachun", "chan.taiman"],
        "ho.sioklan": ["chan.taiman"],
        "leong.chifai": ["ho.sioklan", "chan.taiman"],
        "ieong.weng": ["ho.sioklan", "chan.taiman"],  # no manager, department 6 headless: up to 5's head
        "nobody": [],
    }
    assert staged == [["ho.sioklan"], ["chan.taiman"]]


async def test_escalation_without_direct_managers(session_factory: Sessions) -> None:
    org = seeded_org_but(
        users={"wong.kachun": {"manager_userid": ""}, "sou.kamfai": {"manager_userid": ""}},
        departments={4: {"parent_id": 5}},  # Finance moves under Customer Service
    )
    async with dingtalk_with(org) as dingtalk:
        await sync_directory(session_factory, dingtalk.client, T0)

    async with session_factory() as session:
        # A head with no manager goes to the parent department's heads, never to themself.
        assert await escalation_levels(session, "wong.kachun") == [["ho.sioklan"], ["chan.taiman"]]
        # Two departments without a direct manager: both heads form the first level.
        assert await escalation_levels(session, "sou.kamfai") == [["chan.taiman", "lei.mei"]]
        assert await managers_of(session, "sou.kamfai") == ["chan.taiman", "lei.mei"]
        assert await managers_of(session, "lam.siuyin") == ["wong.kachun", "ho.sioklan", "chan.taiman"]
        await store.deactivate_users(session, ["wong.kachun"])
        # An inactive direct manager, who is also the inactive head of her department: up a department.
        assert await managers_of(session, "lam.siuyin") == ["ho.sioklan", "chan.taiman"]


async def test_a_user_who_leaves_is_deactivated_not_deleted(session_factory: Sessions, dingtalk: DingTalk) -> None:
    await sync_directory(session_factory, dingtalk.client, T0)
    later = T0 + timedelta(days=1)

    async with dingtalk_with(seeded_org_but(without=["leong.chifai"])) as second:
        report = await sync_directory(session_factory, second.client, later)

    assert (report.departments, report.users, report.deactivated, report.errors) == (6, 9, 1, 0)
    users = await cached_users(session_factory)
    gone = users["leong.chifai"]
    assert (gone.active, gone.refreshed_at, gone.name) == (False, T0, "梁志輝")
    assert all(u.active and u.refreshed_at == later for uid, u in users.items() if uid != "leong.chifai")
    async with session_factory() as session:
        assert await store.users_managed_by(session, "ho.sioklan") == []
        assert await role_of(session, "ho.sioklan", ()) == "manager"  # still heads department 5
        assert await role_of(session, "leong.chifai", ()) == "employee"


async def test_an_unreadable_department_is_counted_and_spares_its_members(
    session_factory: Sessions, dingtalk: DingTalk
) -> None:
    await sync_directory(session_factory, dingtalk.client, T0)
    later = T0 + timedelta(days=1)
    org = seeded_org_but(without=["lam.siuyin", "leong.chifai"], org_type=OrgHidingFinance)

    async with dingtalk_with(org) as second:
        report = await sync_directory(session_factory, second.client, later)

    # Finance (4) is unread, so its members (wong.kachun; lam.siuyin, who left) keep their cached copies.
    assert (report.departments, report.users, report.deactivated, report.errors) == (5, 7, 1, 1)
    users = await cached_users(session_factory)
    assert {uid for uid, u in users.items() if not u.active} == {"leong.chifai"}
    assert users["lam.siuyin"].refreshed_at == T0 and users["wong.kachun"].refreshed_at == T0
    async with session_factory() as session:
        finance = await store.get_department(session, 4)
    assert finance is not None and finance.refreshed_at == T0


async def test_ensure_user_reads_through_the_cache(session_factory: Sessions, dingtalk: DingTalk) -> None:
    max_age = timedelta(hours=1)
    async with session_factory() as session:
        fetched = await ensure_user(session, dingtalk.client, "lei.mei", T0, max_age)
        assert fetched is not None
        assert (fetched.name, fetched.manager_user_id, fetched.leader_in_depts, fetched.refreshed_at) == (
            "李美", "chan.taiman", [3], T0)
        await session.commit()
        await store.upsert_user(session, user_id="lei.mei", union_id="union-lei-mei", name="Cached Lei",
                                refreshed_at=T0)
        await session.commit()

        fresh = await ensure_user(session, dingtalk.client, "lei.mei", T0 + max_age, max_age)
        assert fresh is not None and fresh.name == "Cached Lei"
        assert len(dingtalk.calls(USER_GET)) == 1

        stale = await ensure_user(session, dingtalk.client, "lei.mei", T0 + max_age * 2, max_age)
        await session.commit()
        assert stale is not None and (stale.name, stale.refreshed_at) == ("李美", T0 + max_age * 2)
        assert len(dingtalk.calls(USER_GET)) == 2


@pytest.mark.xfail(
    not issubclass(DingTalkNotFoundError, LookupError), raises=DingTalkNotFoundError, strict=True,
    reason="handlers see 'no such user' as LookupError; bot.dingtalk.DingTalkNotFoundError must subclass it",
)
async def test_ensure_user_of_someone_dingtalk_does_not_know(session_factory: Sessions, dingtalk: DingTalk) -> None:
    async with session_factory() as session:
        await store.upsert_user(session, user_id="former.staff", union_id="u-former", name="Former", refreshed_at=T0)
        await session.commit()
        later = T0 + timedelta(days=2)
        assert await ensure_user(session, dingtalk.client, "nobody", later, timedelta(hours=1)) is None
        assert await ensure_user(session, dingtalk.client, "former.staff", later, timedelta(hours=1)) is None
        await session.commit()
        former = await store.get_user(session, "former.staff")
        assert await store.get_user(session, "nobody") is None
    assert former is not None and not former.active


async def test_roles(session_factory: Sessions, dingtalk: DingTalk) -> None:
    report = await sync_directory(session_factory, dingtalk.client, T0)
    assert isinstance(report, SyncReport)

    async with session_factory() as session:
        roles = {user: await role_of(session, user, ["cheang.kawai"]) for user in Org.seeded().users}
        assert await role_of(session, "cheang.kawai", ()) == "employee"
        assert await role_of(session, "nobody", ()) == "employee"
        assert await role_of(session, "nobody", {"nobody"}) == "admin"
        await store.deactivate_users(session, ["admin.wong"])
        assert await role_of(session, "admin.wong", ()) == "employee"
    assert roles == {
        "chan.taiman": "manager",  # the boss is not an org admin here, but has reports and heads Management
        "admin.wong": "admin",  # org admin
        "sou.kamfai": "employee",
        "lei.mei": "manager",
        "cheang.kawai": "admin",  # in BOT_ADMINS
        "wong.kachun": "manager",
        "lam.siuyin": "employee",
        "ho.sioklan": "manager",
        "leong.chifai": "employee",
        "ieong.weng": "employee",
    }
