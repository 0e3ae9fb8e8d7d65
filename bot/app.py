"""Wiring: build every part of the bot from settings, start them in order, stop them in reverse."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import AsyncExitStack
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.admin import AdminConfig
from bot.api import ApiConfigError, ApiDeps, api_deps, token_signer
from bot.dingtalk import DingTalkClient
from bot.dispatcher import Dispatcher
from bot.http import Readiness, create_http_app
from bot.outbox import OutboxSender
from bot.reminders import ReminderDispatcher
from bot.scheduler import JobScheduler, frame_pruner, run_job
from bot.settings import Settings, parse_work_hours
from bot.stream import StreamConnection, StreamOptions
from handlers.classification.followup import run_followups
from handlers.context import ClassificationPolicy, OrgPolicy
from handlers.directory import SyncReport, sync_directory
from handlers.links import link_key
from handlers.reminders.intake import take_up_obligations
from handlers.reminders.schedule import replan_all
from handlers.signoff.nudge import remind_signers
from handlers.signoff.watch import check_signed_registers
from handlers.worktime import WorkCalendar
from storage.db import create_engine, ensure_sqlite_directory, make_session_factory
from storage.migrate import head_revision, schema_is_current, upgrade_to_head

log = logging.getLogger(__name__)

DIRECTORY_SYNC_INTERVAL = 24 * 3600


def utc_now() -> datetime:
    return datetime.now(UTC)


async def migrate(database_url: str) -> None:
    """Bring the schema to the newest revision, or say plainly why the database cannot be used."""
    try:
        ensure_sqlite_directory(database_url)
        await upgrade_to_head(database_url)
    except (OSError, SQLAlchemyError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        shown = make_url(database_url).render_as_string(hide_password=True)
        raise StartupError(f"cannot use the database {shown}: {reason}") from None
    log.info("database schema is at revision %s", head_revision())


def org_policy(settings: Settings) -> OrgPolicy:
    """The org-level rules handlers follow, from settings."""
    day_start, day_end = parse_work_hours(settings.work_hours)
    calendar = WorkCalendar(timezone=settings.timezone, day_start=day_start, day_end=day_end,
                            extra_holidays=frozenset(settings.org_holidays),
                            extra_workdays=frozenset(settings.org_workdays))
    classification = ClassificationPolicy(
        nudge_after=timedelta(hours=settings.classify_nudge_hours),
        escalate_after=timedelta(hours=settings.classify_escalate_hours),
        expire_after=timedelta(hours=settings.classify_expire_hours),
        keywords=tuple(settings.classify_keywords),
        drive_events=settings.classify_drive_events,
    )
    return OrgPolicy(admins=tuple(settings.bot_admins), calendar=calendar,
                     card_template_id=settings.dingtalk_card_template_id or None, classification=classification)


def linked_policy(settings: Settings, http_port: int) -> OrgPolicy:
    """The org policy with where the bot's pages are and the key that signs links to them."""
    public_url = settings.public_url or f"http://{settings.http_host}:{http_port}"
    return replace(org_policy(settings), public_url=public_url.rstrip("/"),
                   link_key=link_key(settings.link_signing_secret()))


class StartupError(Exception):
    """Something outside the code (the database, a port) stops the bot from starting."""


class Bot:
    """The running bot: database, DingTalk client, stream, outbox sender, scheduler and HTTP server."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime] = utc_now) -> None:
        self.settings = settings
        self.clock = clock
        self._stack = AsyncExitStack()
        self._tasks: set[asyncio.Task[None]] = set()
        self.started_at = 0.0
        self.http_port = 0
        self.stream: StreamConnection | None = None
        self.sender: OutboxSender | None = None
        self.reminders: ReminderDispatcher | None = None
        self.policy = OrgPolicy()
        self.scheduler: JobScheduler | None = None
        self.link_key = link_key(settings.link_signing_secret())

    async def start(self) -> None:
        """Migrate the database, then start every part; returns once all are running."""
        self.started_at = time.monotonic()
        settings = self.settings
        try:
            token_signer(settings)  # no API_SIGNING_KEY outside sandbox mode: refuse before touching anything
        except ApiConfigError as exc:
            raise StartupError(str(exc)) from None
        await migrate(settings.database_url)
        engine = create_engine(settings.database_url)
        self._stack.push_async_callback(engine.dispose)
        sessions = make_session_factory(engine)
        client = DingTalkClient(
            client_id=settings.dingtalk_client_id,
            client_secret=settings.dingtalk_client_secret.get_secret_value(),
            robot_code=settings.dingtalk_robot_code,
            openapi_endpoint=settings.dingtalk_openapi_endpoint,
            oapi_endpoint=settings.dingtalk_oapi_endpoint,
            default_rate_limit=settings.dingtalk_rate_limit,
        )
        self._stack.push_async_callback(client.close)
        api = api_deps(settings, sessions, client, self.clock, policy=lambda: self.policy,
                       on_committed=self._kick_sender)
        self.http_port = await self._serve_http(engine, sessions, api)
        self.policy = policy = linked_policy(settings, self.http_port)

        self.sender = sender = OutboxSender(sessions, client, self.clock, interval=settings.outbox_interval)
        dispatcher = Dispatcher(sessions, policy, self.clock, on_committed=sender.kick)
        self.stream = stream = StreamConnection(client, dispatcher.dispatch,
                                                StreamOptions(idle_timeout=settings.stream_idle_timeout))
        self.reminders = ReminderDispatcher(sessions, client, policy, self.clock,
                                            lease=timedelta(seconds=settings.reminder_lease_seconds),
                                            agent_id=settings.dingtalk_agent_id)
        sync_now = self._schedule(sessions, client, policy, sender)
        self._spawn(sender.run(), "outbox")
        self._spawn(stream.run(), "stream")
        self._spawn(run_job("sync-directory", sync_now), "directory-sync")  # fill the cache at start
        log.info("HTTP server on http://%s:%d (healthz, readyz, /api/v1, /app/)", settings.http_host, self.http_port)

    async def _serve_http(self, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], api: ApiDeps) -> int:
        settings = self.settings
        readiness = Readiness(stream_connected=lambda: self.stream is not None and self.stream.connected.is_set(),
                              schema_current=lambda: schema_is_current(engine))
        admin = AdminConfig(jsapi_url=settings.dingtalk_jsapi_url, corp_id=settings.dingtalk_corp_id,
                            client_id=settings.dingtalk_client_id)
        runner = web.AppRunner(create_http_app(readiness, sessions, self.link_key, api, admin), access_log=None)
        await runner.setup()
        self._stack.push_async_callback(runner.cleanup)
        site = web.TCPSite(runner, settings.http_host, settings.http_port)
        try:
            await site.start()
        except OSError as exc:
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            where = f"{settings.http_host}:{settings.http_port}"
            raise StartupError(f"cannot listen on {where} (HTTP_PORT): {reason}") from None
        return int(runner.addresses[0][1])

    def _kick_sender(self) -> None:
        if self.sender is not None:
            self.sender.kick()

    def _schedule(self, sessions: async_sessionmaker[AsyncSession], client: DingTalkClient, policy: OrgPolicy,
                  sender: OutboxSender) -> Callable[[], Awaitable[SyncReport]]:
        """Register every periodic job; returns the directory sync, which also runs once at start."""
        clock, reminders = self.clock, self.reminders
        assert reminders is not None

        def sync_directory_now() -> Awaitable[SyncReport]:
            return sync_directory(sessions, client, clock())

        scheduler = JobScheduler(self.settings.bot_timezone)
        scheduler.every("prune-frames", 3600, frame_pruner(sessions, clock))
        # Each sync costs about 3 calls per department and 1 per user of the org's monthly API quota.
        scheduler.every("sync-directory", DIRECTORY_SYNC_INTERVAL, sync_directory_now)
        scheduler.every("assessments-intake", 300, lambda: take_up_obligations(sessions, policy, clock()))
        scheduler.every("reminders-plan", 300, lambda: replan_all(sessions, policy, clock()))
        scheduler.every("reminders-dispatch", self.settings.reminder_dispatch_seconds, reminders.dispatch_due)
        scheduler.every("classification-followups", 60,
                        lambda: run_followups(sessions, policy, clock(), on_committed=sender.kick))
        scheduler.every("signoff-register-check", 3600, lambda: check_signed_registers(sessions, policy, clock()))
        scheduler.every("signoff-reminders", 900, lambda: remind_signers(sessions, policy, clock()))
        scheduler.start()
        self.scheduler = scheduler
        return sync_directory_now

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_ended)

    def _task_ended(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s stopped with an error", task.get_name(), exc_info=task.exception())

    async def wait_connected(self, within: float) -> float:
        """Wait until the stream is connected; return seconds since start()."""
        assert self.stream is not None, "start() first"
        await asyncio.wait_for(self.stream.connected.wait(), within)
        return time.monotonic() - self.started_at

    async def stop(self) -> None:
        """Stop taking frames, let in-flight handlers finish, send what they queued, then close everything."""
        if self.scheduler is not None:
            await self.scheduler.stop()
        if self.stream is not None:
            self.stream.stop()
            await self._wait_for("stream", 15)
        await self._wait_for("directory-sync", 10)
        if self.sender is not None:
            self.sender.stop()
            await self._wait_for("outbox", 15)
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks))
        await self._stack.aclose()

    async def _wait_for(self, name: str, seconds: float) -> None:
        tasks = [t for t in self._tasks if t.get_name() == name]
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=seconds)
            if late:
                log.warning("%s did not stop within %.0f s; cancelling it", name, seconds)
