"""GET /classifications: the questions about shared files and their answers, as far as the caller may see.

Employees see their own, managers their team's (`team_of`), admins everyone's. Pages are keyed on the
question's id (the primary key, which grows in the order questions were asked), never on an OFFSET, so
page 10,000 costs what page 1 costs.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from handlers.api.caller import Caller
from handlers.api.models import (
    ClassificationItem,
    ClassificationPage,
    ClassificationQuery,
    Person,
    SharedFileOut,
)
from handlers.api.team import team_of
from storage.directory import names_of
from storage.models import Classification, ClassificationPrompt, SharedFile


async def visible_people(session: AsyncSession, caller: Caller, only: str | None = None) -> set[str] | None:
    """Whose classifications `caller` may see, narrowed to `only` if given (a filter); None means everyone's."""
    if caller.role == "admin":
        people = None
    elif caller.role == "manager":
        people = await team_of(session, caller.user_id)
    else:
        people = {caller.user_id}
    if only is None:
        return people
    return {only} if people is None else people & {only}


async def list_classifications(session: AsyncSession, caller: Caller, query: ClassificationQuery) -> ClassificationPage:
    """One page of the classifications `caller` may see, filtered as `query` asks."""
    people = await visible_people(session, caller, query.person)
    if people is not None and not people:
        return ClassificationPage(items=[], next_cursor=None)
    rows = await _page_rows(session, query, people)
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    names = await names_of(session, {prompt.asked_user for prompt, _, _ in rows})
    items = [_item(prompt, shared, record, names) for prompt, shared, record in rows]
    return ClassificationPage(items=items, next_cursor=items[-1].id if more else None)


async def _page_rows(
    session: AsyncSession, query: ClassificationQuery, people: Collection[str] | None
) -> list[tuple[ClassificationPrompt, SharedFile, Classification | None]]:
    prompt = ClassificationPrompt
    stmt = (
        select(prompt, SharedFile, Classification)
        .join(SharedFile, SharedFile.id == prompt.file_id)
        .outerjoin(Classification, Classification.prompt_id == prompt.id)
    )
    if people is not None:
        stmt = stmt.where(prompt.asked_user.in_(sorted(people)))
    if query.status is not None:
        stmt = stmt.where(prompt.status == query.status)
    if query.level is not None:
        stmt = stmt.where(Classification.level == query.level)
    # The key is the question's id; with a level filter the same value is read from the answer's prompt_id,
    # so that an index on (level, prompt_id) yields the rows in key order and the page stops at the limit.
    key = Classification.prompt_id if query.level is not None else prompt.id
    window = _window(prompt, query)
    if window:
        # Every question in the window lies between the window's first and last id, both read from the index
        # on (asked_at, id); bounding the key by them lets a window long ago start at its own rows instead of
        # walking past every newer one. `id + 0`: for a bare min(id) PostgreSQL walks the primary key from
        # its end, filtering on asked_at, which is that same walk again.
        inner = aliased(ClassificationPrompt)
        first = select(func.min(inner.id + 0)).where(*_window(inner, query)).scalar_subquery()
        last = select(func.max(inner.id + 0)).where(*_window(inner, query)).scalar_subquery()
        stmt = stmt.where(*window, key >= first, key <= last)
    newest = query.order == "newest"
    if query.cursor is not None:
        stmt = stmt.where(key < query.cursor if newest else key > query.cursor)
    stmt = stmt.order_by(key.desc() if newest else key.asc()).limit(query.limit + 1)
    return [(p, f, c) for p, f, c in (await session.execute(stmt)).all()]


def _window(prompt: type[ClassificationPrompt], query: ClassificationQuery) -> list[ColumnElement[bool]]:
    window = [prompt.asked_at >= query.since] if query.since is not None else []
    if query.until is not None:
        window.append(prompt.asked_at < query.until)
    return window


def _item(prompt: ClassificationPrompt, shared: SharedFile, record: Classification | None,
          names: dict[str, str]) -> ClassificationItem:
    answer: dict[str, Any] = {"level": None, "personal_data": None, "destination": None, "reason": None,
                              "classified_at": None, "rules_version": None}
    if record is not None:
        answer = {"level": record.level, "personal_data": record.personal_data, "destination": record.destination,
                  "reason": record.reason, "classified_at": record.classified_at,
                  "rules_version": record.rules_version}
    return ClassificationItem(
        id=prompt.id, status=prompt.status, asked_at=prompt.asked_at,
        person=Person(user_id=prompt.asked_user, name=names.get(prompt.asked_user, prompt.asked_user)),
        file=SharedFileOut(id=shared.id, name=shared.file_name, channel=shared.channel, shared_at=shared.shared_at),
        **answer,
    )

