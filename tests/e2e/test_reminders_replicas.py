"""Reminders from two `compliance-bot run` processes on one PostgreSQL database: each row is sent exactly once.

Two real bot processes share a fresh PostgreSQL database and the sandbox, which plays an organisation generated
for the test. 1,000 reminder rows, the planner's own (its rows and idempotency keys, under a saved rule of one
reminder a day ahead), are due at one instant two minutes ago. Exactly once is judged
from both sides: every row ends `sent` with the card id it was given at claim time, and the sandbox's record
of `createAndDeliver` calls shows one delivered card (HTTP 200) per card id, to the row's recipient, naming
exactly the assessments of that card's rows; any second attempt at a card is a 400 `param.cardAlreadyExist`,
which delivers nothing. Waits are the sandbox's `wait` long-polls and the bots' own output lines, never sleeps.

PostgreSQL only (SQLite's single writer makes the race moot): skipped, with the reason, when it does not answer
at TEST_POSTGRES_URL, and failed instead under REQUIRE_POSTGRES=1 (see tests/conftest.py).
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import org_policy
from bot.dingtalk import DingTalkClient
from bot.settings import load_settings
from handlers.directory import sync_directory
from handlers.reminders.planner import AssessmentView, plan
from handlers.reminders.rules import ReminderRule
from handlers.reminders.schedule import CATCH_UP, HORIZON
from sandbox import Department, Org, Sandbox, SandboxConfig, User
from storage import assessments, reminders
from storage.db import create_engine, make_session_factory
from storage.models import Reminder
from tests.conftest import PostgresServer
from tests.e2e.conftest import SandboxControl
from tests.e2e.test_cli import CONNECTED, BotCommand, bot_env, compliance_bot

CARD_CREATE = "/v1.0/card/instances/createAndDeliver"
ALREADY_DELIVERED = "param.cardAlreadyExist"
TIMEZONE = "Asia/Macau"
ASSESSMENT_TYPE = "transfer_route"
DEPARTMENT_SIZE = 50
# Both bots at 200 calls/s (settings the brief fixes); leases short enough that a crash is recovered in seconds.
BOT_SETTINGS = {"REMINDER_DISPATCH_SECONDS": "1", "REMINDER_LEASE_SECONDS": "5", "DINGTALK_RATE_LIMIT": "200"}
JOB_FAILED = re.compile(r"job reminders-dispatch failed")
ITEM_NUMBER = re.compile(r" · #(\d+)\n")


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
    """The instant the reminders are due, and the one setting the bots need to plan them the same way."""

    at: datetime
    workdays: str  # ORG_WORKDAYS: the days around the instant, so that it is a working day whatever today is

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


@dataclass(frozen=True)
class Seeded:
    rows: int
    assessments: dict[int, str]  # assessment id -> owner


async def seed(sessions: async_sessionmaker[AsyncSession], sandbox: Sandbox, due: Due, per_person: int) -> Seeded:
    """Sync the directory from the sandbox, open `per_person` assessments each and plan their reminders.

    Each assessment is due a day after `due.at`, so its one reminder is due at `due.at`, already past. The rows
    are what the planning job would insert (the planner's own rows and keys), without its per-row queries.
    """
    now = datetime.now(UTC)
    config = sandbox.config
    async with DingTalkClient(client_id=config.client_id, client_secret=config.client_secret,
                              robot_code=config.client_id, openapi_endpoint=sandbox.url, oapi_endpoint=sandbox.url,
                              default_rate_limit=None) as client:
        report = await sync_directory(sessions, client, now)
    assert report.errors == 0 and report.users == len(sandbox.state.org.users), report
    calendar = org_policy(load_settings(_env_file=None, bot_timezone=TIMEZONE, org_workdays=due.workdays,
                                        org_holidays="")).calendar
    rule = due.rule()
    owners: dict[int, str] = {}
    async with sessions() as session, session.begin():
        await assessments.save_rule(session, ASSESSMENT_TYPE, rule.model_dump(mode="json"), by="admin.test", at=now)
        for owner in sorted(sandbox.state.org.users):
            for n in range(per_person):
                created = await assessments.create_assessment(
                    session, at=now, title=f"Payroll transfer to Hangzhou, part {n + 1}", type=ASSESSMENT_TYPE,
                    owner=owner, due_at=due.at + timedelta(days=1), data_flow={"destination": "mainland"},
                    source="admin", created_by="admin.test")
                owners[created.id] = owner
                view = AssessmentView(created.id, created.type, owner, created.due_at, created.status)
                [reminder] = plan(view, rule, calendar, now=now - CATCH_UP, horizon=now + HORIZON)
                assert (reminder.kind, reminder.recipient_role, reminder.send_at) == ("lead:1", "owner", due.at)
                await reminders.plan_reminder(session, idempotency_key=reminder.idempotency_key(owner),
                                              assessment_id=created.id, kind=reminder.kind, recipient=owner,
                                              send_at=reminder.send_at, reason=reminder.reason)
    assert await status_counts(sessions) == {"planned": len(owners)}
    return Seeded(len(owners), owners)


class Fleet:
    """Bot processes on one database and sandbox; each is killed at the latest when the test ends."""

    def __init__(self, stack: AsyncExitStack, tmp_path: Path, env: dict[str, str]) -> None:
        self._stack, self._tmp_path, self._env = stack, tmp_path, env
        self.bots: list[BotCommand] = []

    async def start(self, count: int = 1) -> list[BotCommand]:
        started = [await self._stack.enter_async_context(compliance_bot("run", env=self._env, cwd=self._tmp_path))
                   for _ in range(count)]
        self.bots += started
        await asyncio.gather(*(bot.wait_for_line("stderr", CONNECTED) for bot in started))
        return started

    def check(self) -> None:
        """Fail at once, with its output, if a dispatch job raised in any bot."""
        for bot in self.bots:
            if JOB_FAILED.search(bot.stderr):
                raise AssertionError(f"a reminder dispatch failed\n{bot.transcript()}")

    def assert_clean(self) -> None:
        for bot in self.bots:
            assert "Traceback" not in bot.stderr, bot.transcript()


async def status_counts(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with sessions() as session:
        rows = await session.execute(select(Reminder.status, func.count()).group_by(Reminder.status))
        return {status: count for status, count in rows.all()}


async def wait_for_calls(control: SandboxControl, since: int, count: int = 1, within: float = 0.5) -> tuple[bool, int]:
    """Long-poll until `count` createAndDeliver calls were made from call index `since` on, or `within` s passed.

    Returns whether they were, and the index to wait from next time.
    """
    body = {"path": CARD_CREATE, "count": count, "since": since, "timeout": within}
    async with control.http.post("/_sandbox/api/wait", json=body) as response:
        assert response.status in (200, 408), await response.text()
        return response.status == 200, int((await response.json())["next"])


async def wait_for_attempts(control: SandboxControl, count: int) -> None:
    """Until `count` cards were attempted in all."""
    reached, _ = await wait_for_calls(control, 0, count=count, within=20)
    assert reached, f"fewer than {count} createAndDeliver calls within 20 s"


async def wait_all_sent(control: SandboxControl, sessions: async_sessionmaker[AsyncSession], fleet: Fleet,
                        total: int, within: float = 40) -> dict[str, int]:
    """Wait until no row is planned or being sent; each look at the database follows a sandbox long-poll."""
    since = 0
    try:
        async with asyncio.timeout(within):
            while True:
                fleet.check()
                counts = await status_counts(sessions)
                if counts.get("planned", 0) + counts.get("sending", 0) == 0:
                    assert sum(counts.values()) == total, counts
                    return counts
                # Returns as soon as another card is attempted, or after half a second if none is (the last
                # rows are being recorded, or waiting out a retry delay), to look at the rows again.
                _, since = await wait_for_calls(control, since)
    except TimeoutError:
        raise AssertionError(f"rows still unsent after {within} s: {await status_counts(sessions)}") from None


@dataclass(frozen=True)
class Outcome:
    cards: int
    already_delivered: int  # second attempts at a card, answered param.cardAlreadyExist
    reclaimed: int  # rows claimed more than once
    failed_calls: Counter[int]  # other non-200 answers by HTTP status


async def assert_exactly_once(control: SandboxControl, sessions: async_sessionmaker[AsyncSession],
                              seeded: Seeded) -> Outcome:
    """Every row sent once, in one delivered card, to its owner, and that card names exactly those rows."""
    async with sessions() as session:
        rows = list(await session.scalars(select(Reminder)))
    assert len(rows) == seeded.rows
    assert Counter(r.status for r in rows) == {"sent": seeded.rows}
    by_card: dict[str, list[Reminder]] = defaultdict(list)
    for row in rows:
        assert row.recipient == seeded.assessments[row.assessment_id]
        by_card[str((row.delivery or {}).get("outTrackId"))].append(row)

    calls = await control.calls(CARD_CREATE)
    delivered = [c for c in calls if c["status"] == 200]
    per_card = Counter(c["body"]["outTrackId"] for c in delivered)
    assert [card for card, n in per_card.items() if n > 1] == [], "a card was delivered more than once"
    assert set(per_card) == set(by_card), "delivered cards and the rows' card ids differ"
    named: Counter[int] = Counter()
    for call in delivered:
        card_rows = by_card[call["body"]["outTrackId"]]
        assert {call["body"]["openSpaceId"]} == {f"dtv1.card//IM_ROBOT.{r.recipient}" for r in card_rows}
        markdown = call["body"]["cardData"]["cardParamMap"]["staticMsgContent"]
        numbers = [int(n) for n in ITEM_NUMBER.findall(markdown + "\n")]
        assert sorted(numbers) == sorted(r.assessment_id for r in card_rows), (
            f"card {call['body']['outTrackId']} names {sorted(numbers)}, its rows are for "
            f"{sorted(r.assessment_id for r in card_rows)}")
        named.update(numbers)
    assert named == Counter(dict.fromkeys(seeded.assessments, 1)), "an assessment was reminded twice or never"

    refused = [c for c in calls if c["status"] != 200]
    again = [c for c in refused if (c["response"] or {}).get("code") == ALREADY_DELIVERED]
    assert {c["body"]["outTrackId"] for c in again} <= set(per_card)
    return Outcome(cards=len(delivered), already_delivered=len(again), reclaimed=sum(r.attempts > 1 for r in rows),
                   failed_calls=Counter(c["status"] for c in refused if c not in again))


@dataclass
class Scene:
    sandbox: Sandbox
    control: SandboxControl
    sessions: async_sessionmaker[AsyncSession]
    fleet: Fleet
    seeded: Seeded


SceneFactory = Callable[..., Awaitable[Scene]]  # (people, per_person, **bot settings) -> Scene


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh PostgreSQL database at the head revision (a copy of the migrated template), dropped afterwards."""
    name = postgres_server.create_database()
    try:
        yield postgres_server.database_url(name)
    finally:
        postgres_server.drop_database(name)


@pytest.fixture
async def scene_factory(postgres_url: str, tmp_path: Path) -> AsyncIterator[SceneFactory]:
    """Builds the sandbox, the seeded database and the (not yet started) fleet; tears all of them down."""
    async with AsyncExitStack() as stack:
        engine = create_engine(postgres_url)
        stack.push_async_callback(engine.dispose)

        async def build(people: int, per_person: int, **settings: str) -> Scene:
            sandbox = Sandbox(SandboxConfig(ping_interval=0), org=generated_org(people))
            await sandbox.start()
            stack.push_async_callback(sandbox.stop)
            http = await stack.enter_async_context(aiohttp.ClientSession(base_url=sandbox.url))
            sessions = make_session_factory(engine)
            due = Due.two_minutes_ago()
            seeded = await seed(sessions, sandbox, due, per_person)
            env = bot_env(tmp_path, DINGTALK_CLIENT_ID=sandbox.config.client_id,
                          DINGTALK_CLIENT_SECRET=sandbox.config.client_secret,
                          API_SIGNING_KEY="replicas-share-this-api-key-0000",
                          DINGTALK_OPENAPI_ENDPOINT=sandbox.url, DINGTALK_OAPI_ENDPOINT=sandbox.url,
                          DATABASE_URL=postgres_url, BOT_TIMEZONE=TIMEZONE, ORG_WORKDAYS=due.workdays,
                          **{**BOT_SETTINGS, **settings})
            # Registered last, so the bots are killed before the sandbox and the database go away.
            fleet = Fleet(stack, tmp_path, env)
            return Scene(sandbox, SandboxControl(http), sessions, fleet, seeded)

        yield build


async def test_two_bots_send_1000_reminders_due_at_once_each_exactly_once(scene_factory: SceneFactory) -> None:
    # Four each: one digest card per person, as long as a claim does not split a person's rows.
    scene: Scene = await scene_factory(people=250, per_person=4)
    await scene.fleet.start(2)
    counts = await wait_all_sent(scene.control, scene.sessions, scene.fleet, scene.seeded.rows)
    assert counts == {"sent": 1000}
    outcome = await assert_exactly_once(scene.control, scene.sessions, scene.seeded)
    assert outcome.cards >= 250 and not outcome.failed_calls, outcome
    scene.fleet.assert_clean()


async def test_kill_9_mid_dispatch_and_restart_still_sends_each_exactly_once(scene_factory: SceneFactory) -> None:
    # 25 calls/s per bot: a claim of 200 rows (50 cards) takes 2 s to send, so the kill lands mid-claim.
    scene: Scene = await scene_factory(people=250, per_person=4, DINGTALK_RATE_LIMIT="25")
    victim, _ = await scene.fleet.start(2)
    await wait_for_attempts(scene.control, 60)
    assert (await status_counts(scene.sessions)).get("planned", 0) > 0, "all rows were claimed before the kill"
    victim.process.kill()
    assert await victim.exited(within=5) == -9
    await scene.fleet.start(1)

    await wait_all_sent(scene.control, scene.sessions, scene.fleet, scene.seeded.rows)
    outcome = await assert_exactly_once(scene.control, scene.sessions, scene.seeded)
    assert outcome.reclaimed > 0, "the killed bot held no claimed rows; nothing was recovered"
    assert not outcome.failed_calls, outcome
    scene.fleet.assert_clean()


async def test_dingtalk_failures_across_two_bots_delay_reminders_but_lose_none(scene_factory: SceneFactory) -> None:
    scene: Scene = await scene_factory(people=100, per_person=4)
    control = scene.control
    # Enough failures in a row that some cards run out of the client's four attempts and go back to the rows'
    # retry schedule, then throttling, then every token revoked, then every token expired, as cards go out.
    await control.call("POST", "faults", {"path": CARD_CREATE, "kind": "server_error", "count": 80})
    await control.call("POST", "faults", {"path": CARD_CREATE, "kind": "throttle", "count": 40})
    await scene.fleet.start(2)
    await wait_for_attempts(control, 150)
    await control.call("POST", "tokens/revoke")
    await wait_for_attempts(control, 200)
    # Every token the bots hold expires: the sandbox's clock moves past their lifetime.
    await control.call("POST", "clock/advance", {"seconds": scene.sandbox.config.token_ttl + 1})

    await wait_all_sent(control, scene.sessions, scene.fleet, scene.seeded.rows)
    outcome = await assert_exactly_once(control, scene.sessions, scene.seeded)
    assert outcome.failed_calls[500] == 80 and outcome.failed_calls[403] == 40, outcome
    assert outcome.failed_calls[400] > 0, "no call was refused for its token"
    assert outcome.reclaimed > 0, "no card ran out of the client's retries; the row retry path was not exercised"
    scene.fleet.assert_clean()

