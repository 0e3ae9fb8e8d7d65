"""Scheduled jobs on APScheduler, every one through a single trampoline with one error route."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import frames as frame_store

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]
FRAME_RETENTION = timedelta(days=7)  # far longer than DingTalk keeps redelivering a frame


async def run_job(name: str, job: Job) -> None:
    """The trampoline: run one job, log its outcome; a failing job never takes the scheduler down."""
    try:
        result = await job()
        log.debug("job %s finished: %s", name, result)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("job %s failed; it will run again at its next time", name)


class JobScheduler:
    """Owns the APScheduler instance; features register interval jobs before `start()`."""

    def __init__(self, timezone: str) -> None:
        self._scheduler = AsyncIOScheduler(timezone=timezone)

    def every(self, name: str, seconds: float, job: Job) -> None:
        self._scheduler.add_job(run_job, "interval", seconds=seconds, args=[name, job], id=name,
                                coalesce=True, max_instances=1, replace_existing=True)

    def start(self) -> None:
        self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)


def frame_pruner(sessions: async_sessionmaker[AsyncSession], clock: Callable[[], datetime]) -> Job:
    """A job that forgets dedup records old enough that no redelivery can still come."""

    async def prune() -> int:
        async with sessions() as session, session.begin():
            return await frame_store.prune_frames(session, clock() - FRAME_RETENTION)

    return prune
