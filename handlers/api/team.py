"""Whose records a manager may see: their reports, all the way down, and everyone in the departments they head."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DirectoryDepartment, DirectoryUser

_TEAMS: Final = "api.teams"  # session.info key


async def team_of(session: AsyncSession, manager_id: str) -> set[str]:
    """`manager_id` and everyone below them in the cached directory, inactive people included.

    Below means: a direct report, or a member of a department they head (or of its sub-departments), and
    recursively the same for each of those. Former staff stay in, since their records still belong to the team.
    Worked out once per session (one request): a request may ask several times (may they see it, may they
    hand it to that person), and each answer reads the whole directory.
    """
    teams: dict[str, set[str]] = session.info.setdefault(_TEAMS, {})
    if manager_id not in teams:
        teams[manager_id] = await _team_of(session, manager_id)
    return set(teams[manager_id])


async def _team_of(session: AsyncSession, manager_id: str) -> set[str]:
    users = (await session.execute(
        select(DirectoryUser.user_id, DirectoryUser.manager_user_id, DirectoryUser.dept_ids,
               DirectoryUser.leader_in_depts))).all()
    departments = (await session.execute(
        select(DirectoryDepartment.dept_id, DirectoryDepartment.parent_id,
               DirectoryDepartment.manager_user_ids))).all()
    reports: defaultdict[str, set[str]] = defaultdict(set)
    members: defaultdict[int, set[str]] = defaultdict(set)
    headed: defaultdict[str, set[int]] = defaultdict(set)
    children: defaultdict[int, set[int]] = defaultdict(set)
    for user_id, manager, dept_ids, leads in users:
        if manager:
            reports[manager].add(user_id)
        for dept_id in dept_ids:
            members[dept_id].add(user_id)
        headed[user_id].update(leads)
    for dept_id, parent_id, heads in departments:
        if parent_id is not None:
            children[parent_id].add(dept_id)
        for head in heads:
            headed[head].add(dept_id)

    team, queue = {manager_id}, [manager_id]
    while queue:
        person = queue.pop()
        below = set(reports[person])
        for dept_id in _with_sub_departments(headed[person], children):
            below |= members[dept_id]
        for user_id in below - team:
            team.add(user_id)
            queue.append(user_id)
    return team


def _with_sub_departments(roots: Iterable[int], children: dict[int, set[int]]) -> set[int]:
    found: set[int] = set()
    queue = list(roots)
    while queue:
        dept_id = queue.pop()
        if dept_id not in found:  # a cached cycle must not loop forever
            found.add(dept_id)
            queue.extend(children.get(dept_id, ()))
    return found
