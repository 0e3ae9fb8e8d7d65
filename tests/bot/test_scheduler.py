"""The scheduler's shutdown: running jobs get a grace period, then are cancelled with one clear line, no traceback."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.scheduler import JobScheduler


async def test_a_job_still_running_after_the_grace_period_is_cancelled_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    started, finished = asyncio.Event(), asyncio.Event()
    cancelled = asyncio.Event()

    async def slow() -> None:
        started.set()
        try:
            await finished.wait()  # never set: a dispatch of thousands of reminders, say
        except asyncio.CancelledError:
            cancelled.set()
            raise

    scheduler = JobScheduler("Asia/Macau")
    scheduler.every("slow-job", 3600, slow)
    scheduler.start()
    scheduler.run_now("slow-job")
    await started.wait()
    with caplog.at_level(logging.DEBUG):
        await scheduler.stop(grace=0.05)
    assert cancelled.is_set()
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]
    assert "job slow-job was still running after 0 s at shutdown; cancelled" in caplog.text


async def test_a_job_that_finishes_within_the_grace_period_is_left_to_finish() -> None:
    started, release, done = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def short() -> None:
        started.set()
        await release.wait()
        done.set()

    scheduler = JobScheduler("Asia/Macau")
    scheduler.every("short-job", 3600, short)
    scheduler.start()
    scheduler.run_now("short-job")
    await started.wait()
    stopping = asyncio.create_task(scheduler.stop(grace=5))
    release.set()
    await stopping
    assert done.is_set()
