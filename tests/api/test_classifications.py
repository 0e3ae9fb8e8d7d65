"""GET /classifications: own for employees, team for managers, all for admins; filters; keyset pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import classifications
from storage.models import ClassificationPrompt
from tests.api.conftest import ADMIN, EMPLOYEE, MANAGER, ApiClient, Sessions

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
# (who, status, level): interleaved so that one person's ids are not contiguous.
SEED: list[tuple[str, str, str | None]] = [
    (EMPLOYEE, "answered", "confidential"), ("lam.siuyin", "answered", "internal"), (MANAGER, "answered", "internal"),
    (EMPLOYEE, "open", None), ("sou.kamfai", "answered", "confidential"), ("ieong.weng", "expired", None),
    (EMPLOYEE, "answered", "internal"), (ADMIN, "answered", "public"), ("lam.siuyin", "open", None),
    (EMPLOYEE, "expired", None), (MANAGER, "answered", "confidential"), ("lam.siuyin", "answered", "public"),
    (EMPLOYEE, "answered", "public"),
]
HR_TEAM = {MANAGER, EMPLOYEE, "sou.kamfai"}  # lei.mei heads HR; sou.kamfai is in HR too


async def seed(sessions: Sessions) -> list[int]:
    """The SEED questions, asked a minute apart from T0; returns their ids in order."""
    ids = []
    async with sessions.begin() as session:
        for n, (who, status, level) in enumerate(SEED):
            at = T0 + timedelta(minutes=n)
            shared = await classifications.add_shared_file(
                session, file_name=f"file-{n}.xlsx", shared_by=who, conversation_id="cid", conversation_title="1:1",
                channel="direct", shared_at=at)
            prompt = await classifications.add_prompt(session, card_id=f"card-{n}", file_id=shared.id, asked_user=who,
                                                      language="en", asked_at=at)
            prompt.status = status  # type: ignore[assignment]
            if level is not None:
                await classifications.add_classification(
                    session, prompt_id=prompt.id, file_id=shared.id, level=level, personal_data="staff",
                    destination="internal_only", reason=None, classified_by=who,
                    classified_at=at + timedelta(seconds=30), rules_version="test", obligation_ids=[])
            ids.append(prompt.id)
    return ids


def expected(ids: list[int], keep: Any) -> list[int]:
    return sorted((ids[n] for n, row in enumerate(SEED) if keep(*row)), reverse=True)


async def walk(api: ApiClient, token: str, **params: Any) -> tuple[list[int], int]:
    """Every page of a listing; returns the ids in order and how many pages it took."""
    seen: list[int] = []
    pages, cursor = 0, None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        status, body, _ = await api.call("GET", "/classifications", token=token, params=query)
        assert status == 200, body
        pages += 1
        seen += [item["id"] for item in body["items"]]
        cursor = body["nextCursor"]
        if cursor is None:
            return seen, pages


async def test_each_role_sees_its_own_rows_across_keyset_pages(api: ApiClient) -> None:
    ids = await seed(api.sessions)
    tokens = {role: await api.sign_in(who) for role, who in (("employee", EMPLOYEE), ("manager", MANAGER),
                                                                ("admin", ADMIN))}
    visible = {"employee": {EMPLOYEE}, "manager": HR_TEAM, "admin": {who for who, _, _ in SEED}}
    for role, token in tokens.items():
        want = expected(ids, lambda who, *_, people=visible[role]: who in people)
        got, pages = await walk(api, token, limit=2)
        assert got == want, role
        assert pages == -(-len(want) // 2), role  # a full last page says it is the last: no empty page after it
        oldest, _ = await walk(api, token, limit=3, order="oldest")
        assert oldest == sorted(want), role


async def test_filters_narrow_within_what_the_caller_may_see(api: ApiClient) -> None:
    ids = await seed(api.sessions)
    manager, admin = await api.sign_in(MANAGER), await api.sign_in(ADMIN)

    got, _ = await walk(api, admin, level="confidential")
    assert got == expected(ids, lambda who, status, level: level == "confidential")
    got, _ = await walk(api, manager, status="open")
    assert got == expected(ids, lambda who, status, level: status == "open" and who in HR_TEAM)
    got, _ = await walk(api, manager, person=EMPLOYEE, level="public")
    assert got == expected(ids, lambda who, status, level: who == EMPLOYEE and level == "public")
    got, _ = await walk(api, manager, person="lam.siuyin")  # not in HR: nothing, as if there were nothing
    assert got == []
    window = {"from": (T0 + timedelta(minutes=3)).isoformat(), "to": (T0 + timedelta(minutes=7)).isoformat()}
    got, _ = await walk(api, admin, **window)
    assert got == sorted(ids[3:7], reverse=True)


async def test_items_carry_the_file_the_person_and_the_answer(api: ApiClient) -> None:
    ids = await seed(api.sessions)
    status, body, _ = await api.call("GET", "/classifications", token=await api.sign_in(EMPLOYEE),
                                     params={"limit": 1, "order": "oldest"})
    assert status == 200
    [item] = body["items"]
    assert item["id"] == ids[0] and item["status"] == "answered"
    assert item["person"] == {"userId": EMPLOYEE, "name": "鄭家慧"}
    assert item["file"]["name"] == "file-0.xlsx" and item["file"]["channel"] == "direct"
    assert (item["level"], item["personalData"], item["destination"]) == ("confidential", "staff", "internal_only")
    assert datetime.fromisoformat(item["askedAt"]) == T0
    assert datetime.fromisoformat(item["classifiedAt"]) == T0 + timedelta(seconds=30)


async def test_pages_are_keyed_on_the_primary_key_never_an_offset(api: ApiClient, engine: AsyncEngine) -> None:
    await seed(api.sessions)
    admin = await api.sign_in(ADMIN)
    _, first, _ = await api.call("GET", "/classifications", token=admin, params={"limit": 2})
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if "FROM classification_prompts" in statement:
            statements.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        status, _, _ = await api.call("GET", "/classifications", token=admin,
                                      params={"limit": 2, "cursor": first["nextCursor"], "status": "answered"})
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
    assert status == 200
    [(sql, parameters)] = statements
    assert "classification_prompts.id <" in sql and "ORDER BY classification_prompts.id DESC" in sql
    if engine.dialect.name == "sqlite":
        # SQLite spells every LIMIT as LIMIT ? OFFSET ?; the offset is always 0.
        assert parameters[-1] == 0 and sql.rstrip().endswith("LIMIT ? OFFSET ?")
        async with engine.connect() as connection:
            plan = (await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters)).all()
        steps = " | ".join(str(row[-1]) for row in plan)
        assert "TEMP B-TREE" not in steps, steps  # read in key order and stopped at the limit, never sorted
        # The cursor is a range on the key (SQLite's indexes end in the rowid, so the status index serves too).
        assert any(step.startswith("SEARCH classification_prompts") and ("rowid<?" in step or "AND id<?" in step)
                   for step in steps.split(" | ")), steps
    else:
        assert "OFFSET" not in sql


async def test_a_date_window_finds_every_question_in_it_even_when_ids_and_times_disagree(api: ApiClient) -> None:
    """The window is also bounded by its first and last id, for speed; that must never lose a row, even when
    a question was recorded after a later one (clock skew between replicas)."""
    ids = await seed(api.sessions)
    shuffled = {ids[0]: 9, ids[1]: 4, ids[2]: 12, ids[3]: 0, ids[4]: 5, ids[5]: 6, ids[6]: 3}  # id -> minute
    async with api.sessions.begin() as session:
        for prompt_id, minute in shuffled.items():
            prompt = await session.get(ClassificationPrompt, prompt_id)
            assert prompt is not None
            prompt.asked_at = T0 + timedelta(minutes=minute)
    minute_of = {prompt_id: n for n, prompt_id in enumerate(ids)} | shuffled
    admin = await api.sign_in(ADMIN)
    window = {"from": (T0 + timedelta(minutes=4)).isoformat(), "to": (T0 + timedelta(minutes=10)).isoformat()}
    got, _ = await walk(api, admin, limit=2, **window)
    assert got == sorted((i for i in ids if 4 <= minute_of[i] < 10), reverse=True)
    got, _ = await walk(api, admin, limit=1, order="oldest", level="confidential", **window)
    confidential = {ids[n] for n, (_, _, level) in enumerate(SEED) if level == "confidential"}
    assert got == sorted(i for i in confidential if 4 <= minute_of[i] < 10)
    assert got  # the case is not empty by accident
