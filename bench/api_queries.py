"""The mini-program API's list, filter and dashboard queries over a million classification questions.

Creates a scratch database (PostgreSQL: `bench_api_<pid>` on the server --postgres-url names; --sqlite: a file in a
temporary directory), migrates it with the project's Alembic upgrade, seeds --rows questions with their shared
files and answers (bench/api_seed.py: ~2,000 people in a cached directory, a realistic spread over two years) by
COPY, runs VACUUM ANALYZE, then starts the real API app (`add_api` on an aiohttp TestServer in this process) and
times, over HTTP with tokens from the app's own TokenSigner, --runs requests of each case after --warmup untimed
ones: first pages as admin, manager and employee, 50 pages deep by nextCursor, the filters, and the dashboard
for each role. With --before REVISION the seeded database is first taken down to that revision (so the later
migrations' indexes are absent), measured, upgraded to head (the index build timed) and measured again.
--explain PATH writes EXPLAIN (ANALYZE, BUFFERS) of every statement of one request per case (PostgreSQL).
The database is dropped at the end unless --keep. Progress goes to stderr, the table to stdout. A benchmark,
not a test.

    .venv/bin/python bench/api_queries.py [--rows 1000000] [--people 2000] [--before 0006] [--sqlite]
                                          [--runs 40] [--explain PATH] [--json PATH] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web
from aiohttp.test_utils import TestServer
from api_seed import Org, generate_org, load_postgres, load_small, load_sqlite, questions
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.api import API_PREFIX, ApiDeps, TokenSigner, add_api
from storage.db import create_engine, make_session_factory, normalize_database_url
from storage.migrate import downgrade_to, head_revision, upgrade_to_head

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
DEEP_PAGES = 50


def progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class NoDingTalk:
    """The API's DingTalk side; the benchmark signs nobody in (tokens come from the app's own signer)."""

    async def user_id_by_auth_code(self, code: str) -> Any:
        raise RuntimeError("the benchmark does not sign in through DingTalk")

    async def get_user(self, user_id: str) -> Any:
        raise RuntimeError("the benchmark does not read DingTalk's directory")


@dataclass(frozen=True)
class Case:
    name: str
    who: str  # admin | manager | employee
    path: str
    params: dict[str, str]
    deep: bool = False  # time each of DEEP_PAGES pages by nextCursor instead of the first page
    most_runs: int | None = None  # a slow case (the whole register) is timed fewer times than --runs


def cases(org: Org, now: datetime) -> list[Case]:
    year_ago = {"from": (now - timedelta(days=400)).isoformat(), "to": (now - timedelta(days=370)).isoformat()}
    half = {"from": (now - timedelta(days=540)).isoformat(), "to": (now - timedelta(days=360)).isoformat()}
    lists = "/classifications"
    return [
        Case("list, first page", "admin", lists, {}),
        Case("list, first page", "manager", lists, {}),
        Case("list, first page", "employee", lists, {}),
        Case(f"list, {DEEP_PAGES} pages deep", "admin", lists, {}, deep=True),
        Case(f"list, {DEEP_PAGES} pages deep", "manager", lists, {}, deep=True),
        Case("filter level=confidential", "admin", lists, {"level": "confidential"}),
        Case("filter level=public", "manager", lists, {"level": "public"}),
        Case("filter status=open", "admin", lists, {"status": "open"}),
        Case("filter status=expired", "manager", lists, {"status": "expired"}),
        Case("filter person (heaviest sharer)", "admin", lists, {"person": org.heavy}),
        Case("filter a month, a year ago", "admin", lists, year_ago),
        Case("filter a month, a year ago", "manager", lists, year_ago),
        Case("combined: level+person+6 months", "admin", lists, {"level": "confidential", "person": org.heavy, **half}),
        Case("combined: status+level+month", "manager", lists, {"status": "answered", "level": "internal", **year_ago}),
        Case("dashboard", "employee", "/dashboard", {}),
        Case("dashboard", "manager", "/dashboard", {}),
        Case("dashboard", "admin", "/dashboard", {}),
        Case("register of data flows", "admin", "/data-flows", {}, most_runs=10),
        Case("register of data flows", "manager", "/data-flows", {}, most_runs=10),
    ]


@dataclass
class Figures:
    p50: float
    p95: float
    max: float
    rows: int  # items on the (last) page, or classifications counted by the dashboard


def figures(samples: list[float], rows: int) -> Figures:
    ordered = sorted(samples)
    at = lambda q: ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]  # noqa: E731
    return Figures(p50=at(0.5) * 1000, p95=at(0.95) * 1000, max=ordered[-1] * 1000, rows=rows)


async def _get(http: aiohttp.ClientSession, token: str, path: str, params: dict[str, str]) -> tuple[float, Any]:
    started = time.perf_counter()
    async with http.get(API_PREFIX + path, params=params, headers={"Authorization": f"Bearer {token}"}) as response:
        body = await response.json()
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise RuntimeError(f"GET {path} {params}: {response.status} {body}")
    return elapsed, body


def _rows(body: Any) -> int:
    return len(body["items"]) if "items" in body else int(body["classifications"]["total"])  # rows shown


async def run_case(http: aiohttp.ClientSession, token: str, case: Case, runs: int, warmup: int) -> Figures:
    samples: list[float] = []
    body: Any = None
    if case.deep:
        for _ in range(max(1, runs // DEEP_PAGES)):
            cursor = None
            for _ in range(DEEP_PAGES + 1):  # the first page, then DEEP_PAGES more, each timed
                page = {**case.params, **({"cursor": cursor} if cursor else {})}
                elapsed, body = await _get(http, token, case.path, page)
                samples.append(elapsed)
                cursor = body["nextCursor"]
        return figures(samples[1:], _rows(body))
    for n in range(warmup + runs):
        elapsed, body = await _get(http, token, case.path, case.params)
        if n >= warmup:
            samples.append(elapsed)
    return figures(samples, _rows(body))


async def explain(engine: AsyncEngine, statements: list[tuple[str, Any]]) -> str:
    out = []
    async with engine.connect() as connection:
        for sql, params in statements:
            plan = await connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            out.append(sql + "\n" + "\n".join(row[0] for row in plan) + "\n")
    return "\n".join(out)


async def measure(url: str, org: Org, args: argparse.Namespace, stage: str) -> dict[str, Figures]:
    """Every case against a fresh API app on `url`; EXPLAINs of one request per case into args.explain."""
    engine = create_engine(url)
    signer = TokenSigner("bench-api-signing-key-" + "0" * 24)
    deps = ApiDeps(sessions=make_session_factory(engine), dingtalk=NoDingTalk(), tokens=signer)  # type: ignore[arg-type]
    app = web.Application()
    add_api(app, deps)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    now = datetime.now(UTC)
    tokens = {who: signer.issue(getattr(org, who), now).token for who in ("admin", "manager", "employee")}
    results: dict[str, Figures] = {}
    plans: list[str] = []
    try:
        async with aiohttp.ClientSession(base_url=str(server.make_url(""))) as http:
            for case in cases(org, now):
                key = f"{case.name} ({case.who})"
                runs = min(args.runs, case.most_runs or args.runs)
                results[key] = await run_case(http, tokens[case.who], case, runs, args.warmup)
                f = results[key]
                progress(f"  {stage:6} {key:45} p50 {f.p50:8.1f}  p95 {f.p95:8.1f}  max {f.max:8.1f} ms")
                if args.explain and engine.dialect.name == "postgresql":
                    captured = await _capture(engine, lambda c=case: _get(http, tokens[c.who], c.path, c.params))
                    plans.append(f"### {stage}: {key}\n\n" + await explain(engine, captured))
    finally:
        await server.close()
        await engine.dispose()
    if args.explain:
        with args.explain.open("a", encoding="utf-8") as out:
            out.write("\n".join(plans))
    return results


async def _capture(engine: AsyncEngine, request: Callable[[], Awaitable[Any]]) -> list[tuple[str, Any]]:
    """The SELECTs one request runs against the classification tables and the dashboard's tables."""
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().startswith("SELECT") and "directory_" not in statement:
            captured.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        await request()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
    return captured


async def seed(url: str, org: Org, args: argparse.Namespace, now: datetime, rng: random.Random) -> float:
    started = time.monotonic()
    engine = create_engine(url)
    try:
        await load_small(engine, org, now, rng, args.assessments)
        chunks = questions(args.rows, org, now, rng)
        if engine.dialect.name == "postgresql":
            await load_postgres(make_url(url).set(drivername="postgresql").render_as_string(False), chunks)
        else:
            await load_sqlite(engine, chunks)
        seeded = time.monotonic() - started
        progress(f"  seeded {args.rows:,} questions in {seeded:.1f} s; analysing")
        await analyse(engine)
    finally:
        await engine.dispose()
    return seeded


async def analyse(engine: AsyncEngine) -> None:
    # VACUUM too: it sets the visibility map, as autovacuum would have on a live database, so that
    # index-only scans are possible.
    async with engine.connect() as connection:
        conn = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await conn.exec_driver_sql("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE")


async def bench(url: str, args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    now = datetime.now(UTC)
    org = generate_org(args.people, now, rng)
    await upgrade_to_head(url)
    if args.before:
        await downgrade_to(url, args.before)
    seeded = await seed(url, org, args, now, rng)
    stages: dict[str, dict[str, Figures]] = {}
    index_build = None
    if args.before:
        stages[args.before] = await measure(url, org, args, args.before)
        started = time.monotonic()
        await upgrade_to_head(url)
        index_build = time.monotonic() - started
        progress(f"  upgraded {args.before} -> {head_revision()} in {index_build:.1f} s")
        engine = create_engine(url)
        try:
            await analyse(engine)
        finally:
            await engine.dispose()
    stages[head_revision()] = await measure(url, org, args, head_revision())
    return {"seeded_s": seeded, "index_build_s": index_build, "stages": stages,
            "people": {k: getattr(org, k) for k in ("admin", "manager", "employee", "heavy")}}


def report(result: dict[str, Any], args: argparse.Namespace, before: str) -> str:
    stages: dict[str, dict[str, Figures]] = result["stages"]
    names = list(stages)
    head = "| case | rows | " + " | ".join(f"{s}: p50 / p95 / max (ms)" for s in names) + " |"
    lines = [f"{args.rows:,} questions, {args.people:,} people, {'SQLite' if args.sqlite else 'PostgreSQL'}; "
             f"{args.runs} runs per case after {args.warmup} warm-up; {before}",
             f"seeding {result['seeded_s']:.1f} s" + (f"; index build {result['index_build_s']:.1f} s"
                                                      if result["index_build_s"] is not None else ""),
             "", head, "|---|---|" + "---|" * len(names)]
    for key in stages[names[-1]]:
        cells = [f"{stages[s][key].p50:.1f} / {stages[s][key].p95:.1f} / {stages[s][key].max:.1f}" for s in names]
        lines.append(f"| {key} | {stages[names[-1]][key].rows} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine() -> str:
    return (f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")


async def with_database(args: argparse.Namespace) -> dict[str, Any]:
    if args.sqlite:
        with tempfile.TemporaryDirectory(prefix="bench-api-") as scratch:
            path = Path(args.keep_dir or scratch) / "bench.sqlite3"
            return await bench(normalize_database_url(f"sqlite:///{path}"), args)
    server = make_url(args.postgres_url)
    name = f"bench_api_{os.getpid()}"
    admin = await asyncpg.connect(server.set(drivername="postgresql").render_as_string(False))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            return await bench(normalize_database_url(server.set(database=name).render_as_string(False)), args)
        finally:
            if args.keep:
                progress(f"  kept database {name}")
            else:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="classification questions (default 1000000)")
    parser.add_argument("--people", type=int, default=2_000, help="people in the directory (default 2000)")
    parser.add_argument("--assessments", type=int, default=20_000, help="assessments (default 20000)")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES, help=f"the server (default {DEFAULT_POSTGRES})")
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead of PostgreSQL")
    parser.add_argument("--before", metavar="REVISION", help="measure at REVISION first, then upgrade to head")
    parser.add_argument("--runs", type=int, default=40, help="timed requests per case (default 40)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests before each case (default 3)")
    parser.add_argument("--seed", type=int, default=6, help="random seed of the generated data (default 6)")
    parser.add_argument("--explain", type=Path, metavar="PATH", help="append EXPLAIN ANALYZE of each case here")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument("--keep-dir", type=Path, metavar="DIR", help="with --sqlite: put the file here and keep it")
    args = parser.parse_args()
    if args.rows < DEEP_PAGES * 50 * 2 or args.people < 100 or args.runs < 1:
        parser.error(f"--rows must be at least {DEEP_PAGES * 100}, --people at least 100, --runs at least 1")
    before = machine()
    progress(f"api_queries: {before}")
    result = asyncio.run(with_database(args))
    print(report(result, args, before))
    if args.json:
        stages = {s: {k: vars(f) for k, f in figs.items()} for s, figs in result["stages"].items()}
        args.json.write_text(json.dumps({"machine": before, **result, "stages": stages}, indent=2) + "\n",
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
