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


_RUNNING: dict[asyncio.Task[object], str] = {}  # running jobs by task, with their names


class _QuietCancellation(logging.Filter):
    """APScheduler logs a job cancelled at shutdown as an error with a traceback; `stop` says it in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], asyncio.CancelledError))


_QUIET = _QuietCancellation()


async def run_job(name: str, job: Job) -> None:
    """The trampoline: run one job, log its outcome; a failing job never takes the scheduler down."""
    task = asyncio.current_task()
    if task is not None:
        _RUNNING[task] = name  # so shutdown can let it finish instead of cutting it off mid-transaction
    try:
        result = await job()
        log.debug("job %s finished: %s", name, result)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("job %s failed; it will run again at its next time", name)
    finally:
        if task is not None:
            _RUNNING.pop(task, None)


class JobScheduler:
    """Owns the APScheduler instance; features register interval jobs before `start()`."""

    def __init__(self, timezone: str) -> None:
        self._scheduler = AsyncIOScheduler(timezone=timezone)
        logging.getLogger("apscheduler.executors.default").addFilter(_QUIET)  # the same filter is added once

    def every(self, name: str, seconds: float, job: Job) -> None:
        self._scheduler.add_job(run_job, "interval", seconds=seconds, args=[name, job], id=name,
                                coalesce=True, max_instances=1, replace_existing=True)

    def start(self) -> None:
        self._scheduler.start()

    def run_now(self, name: str) -> None:
        """Run job `name` at once, besides its interval."""
        job = self._scheduler.get_job(name)
        if job is None:
            raise KeyError(f"no job {name!r}")
        job.modify(next_run_time=datetime.now(self._scheduler.timezone))

    async def stop(self, grace: float = 15.0) -> None:
        """Start no more jobs, let running ones finish (up to `grace` seconds), cancel the rest, then shut down.

        A cancelled job loses nothing: its transaction rolls back, and reminders it had claimed go out once
        their claim lapses (REMINDER_LEASE_SECONDS), from this replica or another.
        """
        if not self._scheduler.running:
            return
        self._scheduler.pause()
        running = dict(_RUNNING)
        if running:
            _, late = await asyncio.wait(running, timeout=grace)
            for task in late:
                log.warning("job %s was still running after %.0f s at shutdown; cancelled", running[task], grace)
                task.cancel()
            if late:
                await asyncio.wait(late)
        self._scheduler.shutdown(wait=False)


def frame_pruner(sessions: async_sessionmaker[AsyncSession], clock: Callable[[], datetime]) -> Job:
    """A job that forgets dedup records old enough that no redelivery can still come."""

    async def prune() -> int:
        async with sessions() as session, session.begin():
            return await frame_store.prune_frames(session, clock() - FRAME_RETENTION)

    return prune
