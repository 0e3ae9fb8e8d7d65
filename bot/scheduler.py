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


_RUNNING: set[asyncio.Task[object]] = set()


async def run_job(name: str, job: Job) -> None:
    """The trampoline: run one job, log its outcome; a failing job never takes the scheduler down."""
    task = asyncio.current_task()
    if task is not None:
        _RUNNING.add(task)  # so shutdown can let it finish instead of cutting it off mid-transaction
    try:
        result = await job()
        log.debug("job %s finished: %s", name, result)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("job %s failed; it will run again at its next time", name)
    finally:
        if task is not None:
            _RUNNING.discard(task)


class JobScheduler:
    """Owns the APScheduler instance; features register interval jobs before `start()`."""

    def __init__(self, timezone: str) -> None:
        self._scheduler = AsyncIOScheduler(timezone=timezone)

    def every(self, name: str, seconds: float, job: Job) -> None:
        self._scheduler.add_job(run_job, "interval", seconds=seconds, args=[name, job], id=name,
                                coalesce=True, max_instances=1, replace_existing=True)

    def start(self) -> None:
        self._scheduler.start()

    async def stop(self, grace: float = 15.0) -> None:
        """Start no more jobs, let running ones finish (up to `grace` seconds), then shut down."""
        if not self._scheduler.running:
            return
        self._scheduler.pause()
        running = set(_RUNNING)
        if running:
            await asyncio.wait(running, timeout=grace)
        self._scheduler.shutdown(wait=False)


def frame_pruner(sessions: async_sessionmaker[AsyncSession], clock: Callable[[], datetime]) -> Job:
    """A job that forgets dedup records old enough that no redelivery can still come."""

    async def prune() -> int:
        async with sessions() as session, session.begin():
            return await frame_store.prune_frames(session, clock() - FRAME_RETENTION)

    return prune
