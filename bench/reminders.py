"""Reminders: N due at the same instant, to N different people, with DingTalk's send API limited to 20 calls/s.

Starts the sandbox in this process with a generated organisation of --reminders people and
`SandboxConfig(rate_limits={"/v1.0/card/instances/createAndDeliver": --sandbox-rate})`, then seeds a scratch
database (a new SQLite file, or --database-url: a scratch database, migrated here, that keeps what the bench
writes) with one assessment per person and its one reminder, all due at one instant two minutes ago: the rows the
planning job would insert (the planner's own rows and keys, under a saved rule of one reminder a day ahead, so
the bot's own planning job agrees with them). Then it runs one `compliance-bot run` process (the console script,
a clean environment, the bot's defaults but DINGTALK_RATE_LIMIT --bot-rate and BOT_TIMEZONE / ORG_WORKDAYS so
the instant is a working day) until no row is planned or being sent. A scheduled job that fails in the bot is
reported and the run goes on, as the bot does.

It reports the time from the first to the last delivered card against the floor the limit implies (N / rate;
strictly (N - burst) / rate, as the sandbox's bucket starts full), the throttling answers the sandbox gave
(403 Forbidden.AccessDenied.QpsLimitForAppkeyAndApi), the rows sent and failed, and the bot's peak memory
(VmHWM from /proc, at start and at the end) and CPU time. The directory is not synced beforehand: the bot syncs it
at start, as it always does, alongside the dispatch (one user/get per person, at the same rate limit on its own
route). Progress goes to stderr, the figures to stdout. Writes nothing unless asked (--json, --bot-log). A
benchmark, not a test.

    .venv/bin/python bench/reminders.py [--reminders 10000] [--database-url URL] [--bot-rate 20]
                                        [--sandbox-rate 20] [--json PATH] [--bot-log PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from bot.app import org_policy
from bot.settings import Settings, load_settings
from handlers.reminders.planner import AssessmentView, plan
from handlers.reminders.rules import ReminderRule
from handlers.reminders.schedule import CATCH_UP, HORIZON
from sandbox import Department, Org, Sandbox, SandboxConfig, User
from storage import assessments, reminders
from storage.db import create_engine, make_session_factory, normalize_database_url
from storage.migrate import upgrade_to_head
from storage.models import Reminder

API = "/_sandbox/api/"
CARD_CREATE = "/v1.0/card/instances/createAndDeliver"
THROTTLED = "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"
CONNECTED = "stream connected"
TIMEZONE = "Asia/Macau"
ASSESSMENT_TYPE = "transfer_route"
DEPARTMENT_SIZE = 100
# No card attempted and no row changed for this long: the run has failed, not merely been slow. Longer than the
# default lease (300 s), after which rows a failed dispatch left claimed are taken up again.
STALL_S = 420
JOB_FAILED = re.compile(r"job (\S+) failed")
PROGRESS_EVERY_S = 30


def progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def generated_org(people: int) -> Org:
    """`people` colleagues in departments of DEPARTMENT_SIZE under one root; each department's first is its head."""
    departments = [Department(1, "生成機構", "Generated Org Ltd.")]
    users: list[User] = []
    for n in range(people):
        dept = 2 + n // DEPARTMENT_SIZE
        head = f"staff.{(dept - 2) * DEPARTMENT_SIZE:05d}"
        if n % DEPARTMENT_SIZE == 0:
            departments.append(Department(dept, f"部門 {dept}", f"Department {dept}", 1, [head]))
        user_id = f"staff.{n:05d}"
        users.append(User(user_id, f"union-staff-{n:05d}", f"職員 {n:05d}", f"Staff {n:05d}", "Officer", [dept],
                          manager_userid="" if user_id == head else head,
                          leader_in_dept=[dept] if user_id == head else []))
    return Org(users, departments, [], corp_name="生成機構 Generated Org Ltd.")


@dataclass(frozen=True)
class Due:
    """The instant every reminder is due, and the ORG_WORKDAYS that make it a working day whatever today is."""

    at: datetime
    workdays: str

    @classmethod
    def two_minutes_ago(cls) -> Due:
        at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=2)
        local = at.astimezone(ZoneInfo(TIMEZONE)).date()
        return cls(at, ",".join(str(local + timedelta(days=d)) for d in (-1, 0, 1)))

    def rule(self) -> ReminderRule:
        """One reminder a day before the due date, none overdue, no escalation; quiet hours far from the instant."""
        quiet = (self.at.astimezone(ZoneInfo(TIMEZONE)) + timedelta(hours=12)).replace(second=0)
        return ReminderRule(assessment_type=ASSESSMENT_TYPE, lead_days=(1,), overdue_every_working_days=100,
                            escalation=(), quiet_start=quiet.time(), quiet_end=(quiet + timedelta(minutes=1)).time())


async def seed(sessions: async_sessionmaker[AsyncSession], people: list[str], due: Due) -> None:
    """One assessment per person, due a day after `due.at`, and its one reminder, due at `due.at`."""
    now = datetime.now(UTC)
    calendar = org_policy(load_settings(_env_file=None, bot_timezone=TIMEZONE, org_workdays=due.workdays,
                                        org_holidays="")).calendar
    rule = due.rule()
    async with sessions() as session, session.begin():
        await assessments.save_rule(session, ASSESSMENT_TYPE, rule.model_dump(mode="json"), by="bench", at=now)
        for owner in people:
            created = await assessments.create_assessment(
                session, at=now, title="Payroll transfer to Hangzhou", type=ASSESSMENT_TYPE, owner=owner,
                due_at=due.at + timedelta(days=1), data_flow={"destination": "mainland"}, source="admin",
                created_by="bench")
            view = AssessmentView(created.id, created.type, owner, created.due_at, created.status)
            [reminder] = plan(view, rule, calendar, now=now - CATCH_UP, horizon=now + HORIZON)
            await reminders.plan_reminder(session, idempotency_key=reminder.idempotency_key(owner),
                                          assessment_id=created.id, kind=reminder.kind, recipient=owner,
                                          send_at=reminder.send_at, reason=reminder.reason)


async def status_counts(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with sessions() as session:
        rows = await session.execute(select(Reminder.status, func.count()).group_by(Reminder.status))
        return {status: count for status, count in rows.all()}


def bot_command() -> list[str]:
    script = Path(sys.executable).with_name("compliance-bot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


def bot_env(scratch: Path, **settings: str) -> dict[str, str]:
    """This environment without any bot setting, a scratch DATA_DIR and a free HTTP port, then `settings`."""
    ours = {name.upper() for name in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if k not in ours and not k.startswith("DINGTALK_")}
    env.update(DATA_DIR=str(scratch / "data"), HTTP_PORT="0", **settings)
    return env


def proc_status(pid: int) -> dict[str, int]:
    """VmHWM and VmRSS in KiB, and CPU seconds (user + system, x100), of a live process."""
    figures: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            figures[name] = int(value.split()[0])
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    figures["cpu_cs"] = (int(fields[11]) + int(fields[12])) * 100 // ticks
    return figures


class BotProcess:
    """`compliance-bot run`; stderr is read as it comes (kept, and counted), stdout discarded."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.connected = asyncio.Event()
        self.log: list[str] = []
        self.not_sent = 0  # "reminders to one recipient not sent": a card that ran out of the client's retries
        self.jobs_failed: Counter[str] = Counter()  # "job NAME failed": a scheduled job raised
        assert process.stderr is not None
        self._reader = asyncio.create_task(self._read(process.stderr))

    async def _read(self, stream: asyncio.StreamReader) -> None:
        while line := (await stream.readline()).decode(errors="replace"):
            self.log.append(line)
            if CONNECTED in line:
                self.connected.set()
            if "reminders to one recipient not sent" in line:
                self.not_sent += 1
            if found := JOB_FAILED.search(line):
                self.jobs_failed[found[1]] += 1
                progress(f"  bot: {line.strip()}")

    def tail(self) -> str:
        return "".join(self.log[-40:])

    async def stop(self) -> int:
        if self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
        code = await self.process.wait()
        await self._reader
        return code


@dataclass
class Result:
    reminders: int
    database: str
    sandbox_rate: float
    bot_rate: float
    first_to_last_card_s: float = 0.0
    floor_s: float = 0.0
    strict_floor_s: float = 0.0
    spawn_to_last_card_s: float = 0.0
    cards_delivered: int = 0
    cards_per_s: float = 0.0
    throttled: int = 0
    calls_by_status: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    cards_out_of_retries: int = 0
    jobs_failed: dict[str, int] = field(default_factory=dict)
    bot_vmhwm_connected_mib: float = 0.0
    bot_vmhwm_end_mib: float = 0.0
    bot_cpu_s: float = 0.0
    directory_calls: int = 0
    setup_s: float = 0.0
    problems: list[str] = field(default_factory=list)


async def watch(http: aiohttp.ClientSession, sessions: async_sessionmaker[AsyncSession], bot: BotProcess,
                total: int) -> dict[str, int]:
    """Follow the sandbox's event stream until no row is planned or being sent; the rows' final statuses.

    Each card attempted is an event; the database is looked at once a second at most, and once more whenever a
    second passes without events (the last rows being recorded, or a retry delay).
    """
    started = last_change = time.monotonic()
    last_look = last_report = 0.0
    attempted, seen = 0, dict[str, int]()
    async with http.get(API + "events", timeout=aiohttp.ClientTimeout(total=None, sock_read=None)) as events:
        while True:
            try:
                line = await asyncio.wait_for(events.content.readline(), 1.0)
            except TimeoutError:
                line = b""
            else:
                if not line:
                    raise RuntimeError("the sandbox's event stream ended (this reader fell behind)")
            if line.startswith(b"data: ") and b'"call"' in line:
                event = json.loads(line[6:])
                if event.get("type") == "call" and event.get("path") == CARD_CREATE:
                    attempted += 1
                    last_change = time.monotonic()
            now = time.monotonic()
            if now - last_look < 1.0:
                continue
            last_look = now
            counts = await status_counts(sessions)
            if counts != seen:
                seen, last_change = counts, now
            if bot.process.returncode is not None:
                raise RuntimeError(f"the bot exited with {bot.process.returncode}:\n{bot.tail()}")
            if counts.get("planned", 0) + counts.get("sending", 0) == 0 and sum(counts.values()) == total:
                return counts
            if now - last_change > STALL_S:
                raise RuntimeError(f"no progress for {STALL_S} s: {counts}\n{bot.tail()}")
            if now - last_report >= PROGRESS_EVERY_S:
                last_report = now
                progress(f"  {now - started:6.0f} s: {attempted} cards attempted, rows {counts}")


async def measure(database_url: str, scratch: Path, args: argparse.Namespace) -> Result:
    result = Result(args.reminders, database_url.split(":", 1)[0].split("+", 1)[0], args.sandbox_rate,
                    args.bot_rate)
    setup_started = time.monotonic()
    sandbox = Sandbox(SandboxConfig(rate_limits={CARD_CREATE: args.sandbox_rate}), org=generated_org(args.reminders))
    await sandbox.start()
    engine = create_engine(database_url)
    # The bench only reads while the bot runs. The bot's engine takes SQLite's write lock for every transaction
    # (BEGIN IMMEDIATE), so its looks would queue behind the bot's writes and slow them; a plain engine's reads
    # (WAL) never wait.
    watcher = create_async_engine(database_url)
    try:
        await upgrade_to_head(database_url)
        due = Due.two_minutes_ago()
        await seed(make_session_factory(engine), sorted(sandbox.state.org.users), due)
        await engine.dispose()
        sessions = make_session_factory(watcher)
        assert await status_counts(sessions) == {"planned": args.reminders}
        result.setup_s = time.monotonic() - setup_started
        progress(f"  seeded {args.reminders} reminders due at {due.at:%H:%M:%S} UTC in {result.setup_s:.1f} s")

        config = sandbox.config
        env = bot_env(scratch, DINGTALK_CLIENT_ID=config.client_id, DINGTALK_CLIENT_SECRET=config.client_secret,
                      API_SIGNING_KEY="bench-api-signing-key-" + "0" * 16,
                      DINGTALK_OPENAPI_ENDPOINT=sandbox.url, DINGTALK_OAPI_ENDPOINT=sandbox.url,
                      DATABASE_URL=database_url, BOT_TIMEZONE=TIMEZONE, ORG_WORKDAYS=due.workdays,
                      DINGTALK_RATE_LIMIT=str(args.bot_rate))
        spawned_ms = time.time() * 1000
        process = await asyncio.create_subprocess_exec(
            *bot_command(), "run", env=env, cwd=scratch, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        bot = BotProcess(process)
        try:
            await asyncio.wait_for(bot.connected.wait(), 60)
            result.bot_vmhwm_connected_mib = proc_status(process.pid)["VmHWM"] / 1024
            progress(f"  bot connected (pid {process.pid}); waiting for every row to be sent")
            async with aiohttp.ClientSession(base_url=sandbox.url) as http:
                result.rows = await watch(http, sessions, bot, args.reminders)
                end = proc_status(process.pid)
                result.bot_vmhwm_end_mib, result.bot_cpu_s = end["VmHWM"] / 1024, end["cpu_cs"] / 100
                async with http.get(API + "calls", params={"path": CARD_CREATE}) as response:
                    calls: list[dict[str, Any]] = (await response.json())["calls"]
                async with http.get(API + "calls") as response:
                    everything: list[dict[str, Any]] = (await response.json())["calls"]
        finally:
            code = await bot.stop()
            if code != 0:
                result.problems.append(f"the bot exited with {code} on SIGTERM")
            if args.bot_log:
                args.bot_log.write_text("".join(bot.log), encoding="utf-8")
    finally:
        await watcher.dispose()
        await engine.dispose()
        await sandbox.stop()

    delivered = [c for c in calls if c["status"] == 200]
    result.cards_delivered = len(delivered)
    result.calls_by_status = {str(k): v for k, v in sorted(Counter(c["status"] for c in calls).items())}
    result.throttled = sum(1 for c in calls if (c["response"] or {}).get("code") == THROTTLED)
    result.cards_out_of_retries = bot.not_sent
    result.jobs_failed = dict(bot.jobs_failed)
    result.directory_calls = sum(1 for c in everything if c["path"].startswith("/topapi/"))
    if delivered:
        first, last = delivered[0]["at"], delivered[-1]["at"]
        result.first_to_last_card_s = (last - first) / 1000
        result.spawn_to_last_card_s = (last - spawned_ms) / 1000
        result.cards_per_s = (len(delivered) - 1) / max(result.first_to_last_card_s, 1e-9)
    burst = max(1.0, args.sandbox_rate)
    result.floor_s = args.reminders / args.sandbox_rate
    result.strict_floor_s = max(0.0, args.reminders - burst) / args.sandbox_rate
    per_card = Counter(c["body"]["outTrackId"] for c in delivered)
    if any(n > 1 for n in per_card.values()):
        result.problems.append("a card was delivered more than once")
    if result.rows != {"sent": args.reminders}:
        result.problems.append(f"not every row was sent: {result.rows}")
    return result


def machine() -> str:
    return (f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")


def report(result: Result, before: str, after: str) -> str:
    r = result
    return "\n".join([
        f"{r.reminders} reminders due at once, {r.reminders} recipients, {r.database}; sandbox send limit "
        f"{r.sandbox_rate:g} calls/s, bot DINGTALK_RATE_LIMIT {r.bot_rate:g}",
        f"before: {before}",
        f"after:  {after}",
        "",
        f"first -> last delivered card   {r.first_to_last_card_s:8.1f} s   ({r.cards_per_s:.2f} cards/s)",
        f"floor N / rate                 {r.floor_s:8.1f} s   (strictly (N - burst) / rate: {r.strict_floor_s:.1f} s; "
        f"over it by {r.first_to_last_card_s - r.strict_floor_s:.1f} s, "
        f"{(r.first_to_last_card_s / r.strict_floor_s - 1) * 100 if r.strict_floor_s else 0:.1f} %)",
        f"bot spawn -> last card         {r.spawn_to_last_card_s:8.1f} s   (first dispatch runs 30 s after start)",
        f"cards delivered                {r.cards_delivered:8d}",
        f"createAndDeliver answers       {r.calls_by_status}",
        f"throttled (403 QpsLimit)       {r.throttled:8d}",
        f"cards out of client retries    {r.cards_out_of_retries:8d}   (rows put back for a later attempt)",
        f"rows                           {r.rows}",
        f"scheduled jobs that failed     {r.jobs_failed or 'none'}",
        f"bot peak memory (VmHWM)        {r.bot_vmhwm_end_mib:8.1f} MiB   (at connected: "
        f"{r.bot_vmhwm_connected_mib:.1f} MiB)",
        f"bot CPU time                   {r.bot_cpu_s:8.1f} s",
        f"directory calls (bot's sync)   {r.directory_calls:8d}",
        f"set-up (org, seeding)          {r.setup_s:8.1f} s",
        *(f"PROBLEM: {p}" for p in r.problems),
    ])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reminders", type=int, default=10_000, help="reminders and recipients (default 10000)")
    parser.add_argument("--database-url", metavar="URL",
                        help="a scratch database instead of a new SQLite file, e.g. postgresql://user@host/db")
    parser.add_argument("--bot-rate", type=float, default=20.0, help="the bot's DINGTALK_RATE_LIMIT (default 20)")
    parser.add_argument("--sandbox-rate", type=float, default=20.0,
                        help="the sandbox's limit on createAndDeliver, calls/s (default 20)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures here")
    parser.add_argument("--bot-log", type=Path, metavar="PATH", help="write the bot's log (stderr) here")
    args = parser.parse_args()
    if args.reminders < 2 or args.bot_rate <= 0 or args.sandbox_rate <= 0:
        parser.error("--reminders must be at least 2 and the rates positive")

    before = machine()
    with tempfile.TemporaryDirectory(prefix="bench-reminders-") as scratch:
        url = normalize_database_url(args.database_url or f"sqlite:///{Path(scratch, 'bench.sqlite3')}")
        result = asyncio.run(measure(url, Path(scratch), args))
    print(report(result, before, machine()))
    if args.json:
        args.json.write_text(json.dumps({"machine": before, **asdict(result)}, indent=2) + "\n", encoding="utf-8")
    return 1 if result.problems else 0


if __name__ == "__main__":
    sys.exit(main())
