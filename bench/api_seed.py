"""Seeding for bench/api_queries.py: a generated organisation and N classification questions with their files
and answers, spread the way real use spreads them, bulk loaded (COPY on PostgreSQL, executemany INSERTs on SQLite).

Deterministic for a given --seed. Shapes of the spread (all generated, no real data):
- people: departments of varied size in two levels under one root; each department's first member heads it;
  a few heavy sharers (Pareto weights), 5 % have left (inactive) but keep their rows;
- questions: ids grow with asked_at, over two years, busier lately (a quarter more per year); the last 3 days
  are a third open, older ones answered (94 %) or expired; expired ones and open ones past a day escalated;
- answers: internal 60 %, confidential 25 %, public 15 %; personal data none 55 %, staff 25 %, customer 15 %,
  sensitive 5 %; destinations Macau 80 %, the GBA 7 %, the mainland 6 %, Hong Kong 5 %, elsewhere 2 %.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import asyncpg
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import (
    ASSESSMENT_TYPES,
    Assessment,
    Base,
    DirectoryDepartment,
    DirectoryUser,
    SignoffCampaign,
    SignoffSigner,
)

CHUNK: Final = 50_000
SPAN: Final = timedelta(days=730)
FILES: Final = ("薪酬表", "payroll", "客戶名單", "contract", "報價單", "invoice", "會議記錄", "roster", "budget")
EXTENSIONS: Final = (".xlsx", ".docx", ".pdf", ".pptx", ".csv")
LEVELS: Final = (("internal", 60), ("confidential", 25), ("public", 15))
PERSONAL: Final = (("none", 55), ("staff", 25), ("customer", 15), ("sensitive", 5))
DESTINATIONS: Final = (("macau", 80), ("mainland_gba", 7), ("mainland", 6), ("hong_kong", 5), ("elsewhere", 2))
CHANNELS: Final = (("direct", 70), ("group_quote", 20), ("drive", 10))

FILE_COLUMNS: Final = ("id", "file_name", "dingtalk_file_id", "space_id", "download_code", "size", "sha256",
                       "shared_by", "conversation_id", "conversation_title", "channel", "shared_at")
PROMPT_COLUMNS: Final = ("id", "card_id", "file_id", "asked_user", "status", "version", "level", "personal_data",
                         "destination", "suggested_level", "previous_level", "awaiting_reason", "reason", "language",
                         "asked_at", "next_check_at", "nudged_at", "escalated_at", "escalated_to", "closed_at")
ANSWER_COLUMNS: Final = ("id", "prompt_id", "file_id", "level", "personal_data", "destination", "reason",
                         "classified_by", "classified_at", "rules_version", "obligation_ids")
JSON_COLUMNS: Final = frozenset({"escalated_to", "obligation_ids"})


@dataclass(frozen=True)
class Org:
    """The generated directory, and the people the benchmark acts as."""

    users: list[dict[str, Any]]
    departments: list[dict[str, Any]]
    admin: str
    manager: str  # heads the largest top-level department
    employee: str  # an ordinary member of that department, with a typical number of questions
    heavy: str  # the person with the most questions
    weights: list[float]


def _pick(rng: random.Random, table: Sequence[tuple[str, int]]) -> str:
    return rng.choices([name for name, _ in table], weights=[w for _, w in table])[0]


def generate_org(people: int, now: datetime, rng: random.Random) -> Org:
    """`people` colleagues: staff.00000 is the org admin heading the root; 40 departments in two levels."""
    top, sub = 10, 30
    departments = [{"dept_id": 1, "name": "基準機構", "parent_id": None, "manager_user_ids": ["staff.00000"]}]
    for n in range(top + sub):
        parent = 1 if n < top else 2 + rng.randrange(top)
        departments.append({"dept_id": 2 + n, "name": f"部門 {2 + n}", "parent_id": parent, "manager_user_ids": []})
    sizes = [rng.paretovariate(1.5) for _ in range(top + sub)]
    heads: dict[int, str] = {1: "staff.00000"}
    users: list[dict[str, Any]] = []
    for n in range(people):
        user_id = f"staff.{n:05d}"
        dept = 1 if n == 0 else 2 + rng.choices(range(top + sub), weights=sizes)[0]
        head = heads.setdefault(dept, user_id)
        leads = [dept] if head == user_id else []
        parent = departments[dept - 1]["parent_id"]
        manager = None if n == 0 else (heads.get(parent or 1, "staff.00000") if leads else head)
        users.append({"user_id": user_id, "union_id": f"union-{n:05d}", "name": f"職員 {n:05d}", "title": "Officer",
                      "manager_user_id": manager, "dept_ids": [dept], "leader_in_depts": leads,
                      "is_org_admin": n == 0, "is_boss": n == 0, "active": n == 0 or rng.random() > 0.05,
                      "refreshed_at": now})
    for dept, head in heads.items():
        departments[dept - 1]["manager_user_ids"] = [head]
    for department in departments:
        department["refreshed_at"] = now
    weights = [min(rng.paretovariate(1.2), 200.0) for _ in users]
    biggest = max(range(2, 2 + top), key=lambda d: sum(u["dept_ids"] == [d] for u in users))
    members = sorted((weights[i], u["user_id"]) for i, u in enumerate(users)
                     if u["dept_ids"] == [biggest] and not u["leader_in_depts"])
    heaviest = users[max(range(people), key=weights.__getitem__)]["user_id"]
    return Org(users=users, departments=departments, admin="staff.00000", manager=heads[biggest],
               employee=members[len(members) // 2][1], heavy=heaviest, weights=weights)


def questions(rows: int, org: Org, now: datetime, rng: random.Random) -> Iterator[tuple[list[tuple[Any, ...]], ...]]:
    """Chunks of (files, prompts, answers) rows; ids 1..rows, asked in id order over SPAN before `now`."""
    start = now - SPAN
    ids = [u["user_id"] for u in org.users]
    heads = {u["user_id"]: u["manager_user_id"] for u in org.users}
    answer_id = 0
    for first in range(1, rows + 1, CHUNK):
        files, prompts, answers = [], [], []
        people = rng.choices(ids, weights=org.weights, k=min(CHUNK, rows - first + 1))
        for offset, who in enumerate(people):
            n = first + offset
            # A quarter busier each year: the n-th question of `rows` sits at this fraction of the span.
            asked = start + SPAN * (n / rows) ** 0.85
            age = now - asked
            channel = _pick(rng, CHANNELS)
            name = f"{rng.choice(FILES)}-{n}{rng.choice(EXTENSIONS)}"
            files.append((n, name, f"dtf-{n}", None, None, rng.randrange(2_000, 5_000_000), f"{n:064x}", who,
                          f"cid-{rng.randrange(500)}", "1:1" if channel == "direct" else "群組", channel, asked))
            if age < timedelta(days=3):
                status = "open" if rng.random() < 0.35 else "answered"
            else:
                status = "answered" if rng.random() < 0.94 else "expired"
            escalated = status == "expired" or (status == "open" and age > timedelta(days=1))
            level = personal = destination = None
            closed = asked + timedelta(days=5) if status == "expired" else None
            if status == "answered":
                answer_id += 1
                level, personal, destination = _pick(rng, LEVELS), _pick(rng, PERSONAL), _pick(rng, DESTINATIONS)
                closed = min(asked + timedelta(minutes=rng.randrange(2, 2_880)), now)
                answers.append((answer_id, n, n, level, personal, destination, None, who, closed, "2026.1", []))
            prompts.append((n, f"bench-card-{n}", n, who, status, 1, level, personal, destination, level, None,
                            False, None, "zh-Hant", asked, asked + timedelta(days=1) if status == "open" else None,
                            None, asked + timedelta(days=1) if escalated else None,
                            [heads[who]] if escalated and heads[who] else [], closed))
        yield files, prompts, answers


def assessments(count: int, org: Org, now: datetime, rng: random.Random) -> list[dict[str, Any]]:
    """Assessments owned mostly by department heads, due from a year ago to a year ahead."""
    owners = [u["user_id"] for u in org.users if u["leader_in_depts"]] * 5 + [u["user_id"] for u in org.users]
    rows = []
    for n in range(1, count + 1):
        due = now + timedelta(days=rng.uniform(-365, 365))
        past = due < now
        status = ("done" if rng.random() < 0.85 else "open") if past else rng.choice(("open", "open", "in_progress"))
        rows.append({"id": n, "title": f"Assessment {n}", "type": rng.choice(ASSESSMENT_TYPES),
                     "owner": rng.choice(owners), "due_at": due, "status": status, "data_flow": {}, "evidence": None,
                     "waived_reason": None, "source": "admin", "obligation_id": None, "pending_obligation_id": None,
                     "programme_id": None, "step": None, "snoozed_until": None, "created_by": org.admin,
                     "created_at": due - timedelta(days=60), "updated_at": due - timedelta(days=60),
                     "closed_at": due if status == "done" else None, "version": 1})
    return rows


def campaigns(org: Org, now: datetime) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """An active campaign waiting for the bench's manager, a draft, and last year's completed one."""
    others = sorted(u["user_id"] for u in org.users if u["leader_in_depts"] and u["user_id"] != org.manager)
    heads = [org.manager, *others]
    rows, signers = [], []
    for id_, status, year in ((1, "completed", now.year - 1), (2, "active", now.year), (3, "draft", now.year)):
        rows.append({"id": id_, "year": year, "title": f"Sign-off {year}", "note": "", "signing_order": "parallel",
                     "due_at": now + timedelta(days=30 * (id_ - 1)), "status": status, "round": 1,
                     "previous_id": None, "snapshot_id": None, "created_by": org.admin, "created_at": now,
                     "started_at": None, "closed_at": None, "certificate_html": None, "certificate_sha256": None})
        for position, user_id in enumerate(heads[:6]):
            live = "pending" if position % 2 == 0 else "approved"
            state = {"completed": "approved", "draft": "waiting"}.get(status, live)
            signers.append({"id": len(signers) + 1, "campaign_id": id_, "user_id": user_id, "position": position,
                            "status": state, "awaiting_reason": False})
    return rows, signers


async def load_small(engine: AsyncEngine, org: Org, now: datetime, rng: random.Random, count: int) -> None:
    """The directory, the assessments and the campaigns, through SQLAlchemy (a few thousand rows)."""
    campaign_rows, signer_rows = campaigns(org, now)
    async with engine.begin() as connection:
        for model, rows in ((DirectoryDepartment, org.departments), (DirectoryUser, org.users),
                            (Assessment, assessments(count, org, now, rng)), (SignoffCampaign, campaign_rows),
                            (SignoffSigner, signer_rows)):
            for at in range(0, len(rows), 5_000):
                await connection.execute(insert(model), rows[at:at + 5_000])


TABLES: Final = (("shared_files", FILE_COLUMNS), ("classification_prompts", PROMPT_COLUMNS),
                 ("classifications", ANSWER_COLUMNS))


async def load_postgres(dsn: str, chunks: Iterator[tuple[list[tuple[Any, ...]], ...]]) -> None:
    """COPY each chunk in, then move each id sequence past the ids given."""
    connection = await asyncpg.connect(dsn)
    try:
        for chunk in chunks:
            async with connection.transaction():
                for (table, columns), rows in zip(TABLES, chunk, strict=True):
                    encode = [i for i, c in enumerate(columns) if c in JSON_COLUMNS]
                    if encode:
                        rows = [_with_json(row, encode) for row in rows]
                    await connection.copy_records_to_table(table, records=rows, columns=columns)
        for table in (*(t for t, _ in TABLES), "assessments", "signoff_campaigns", "signoff_signers"):
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    finally:
        await connection.close()


def _with_json(row: tuple[Any, ...], indexes: list[int]) -> tuple[Any, ...]:
    values = list(row)
    for i in indexes:
        values[i] = json.dumps(values[i])
    return tuple(values)


async def load_sqlite(engine: AsyncEngine, chunks: Iterator[tuple[list[tuple[Any, ...]], ...]]) -> None:
    """executemany INSERTs through SQLAlchemy, one transaction per chunk."""
    tables = [Base.metadata.tables[name] for name, _ in TABLES]
    async with engine.connect() as connection:
        for chunk in chunks:
            async with connection.begin():
                for table, (_, columns), rows in zip(tables, TABLES, chunk, strict=True):
                    await connection.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
