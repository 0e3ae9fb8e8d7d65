"""Per-route token buckets on a virtual clock: spacing, bursts, FIFO order, no polling."""

from __future__ import annotations

import asyncio

import pytest

from bot.dingtalk import DingTalkClient, RateLimiter, TokenBucket
from tests.bot.dingtalk.fakes import ClientFactory, FakeDingTalk, VirtualClock, api_ok

BATCH_SEND = "/v1.0/robot/oToMessages/batchSend"
GROUP_SEND = "/v1.0/robot/groupMessages/send"


async def test_bucket_spaces_calls_at_the_rate(clock: VirtualClock) -> None:
    bucket = TokenBucket(4.0, burst=1, clock=clock, sleep=clock.sleep)
    start = clock()
    times = []
    for _ in range(5):
        await bucket.acquire()
        times.append(clock() - start)

    assert times == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0])
    assert len(clock.sleeps) == 4  # one sleep per wait: nobody polls


async def test_bucket_allows_a_burst_then_refills_up_to_it(clock: VirtualClock) -> None:
    bucket = TokenBucket(2.0, clock=clock, sleep=clock.sleep)  # burst defaults to one second's worth
    assert [bucket.reserve() for _ in range(3)] == pytest.approx([0.0, 0.0, 0.5])

    clock.advance(60)  # idle time refills the bucket, but never past the burst
    assert [bucket.reserve() for _ in range(3)] == pytest.approx([0.0, 0.0, 0.5])


async def test_concurrent_waiters_are_served_in_arrival_order() -> None:
    # Time stands still while five callers arrive together; each must be told to wait one slot longer.
    waits: dict[str, float] = {}

    async def record(seconds: float) -> None:
        task = asyncio.current_task()
        assert task is not None
        waits[task.get_name()] = seconds
        await asyncio.sleep(0)

    bucket = TokenBucket(2.0, burst=1, clock=lambda: 100.0, sleep=record)
    tasks = [asyncio.create_task(bucket.acquire(), name=f"caller-{n}") for n in range(5)]
    await asyncio.gather(*tasks)

    assert [waits.get(f"caller-{n}", 0.0) for n in range(5)] == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0])


def test_bucket_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        TokenBucket(0)
    with pytest.raises(ValueError):
        TokenBucket(1, burst=0.5)


async def test_limiter_keeps_routes_apart_and_leaves_unlisted_routes_alone(clock: VirtualClock) -> None:
    limiter = RateLimiter({"/a": 1.0}, clock=clock, sleep=clock.sleep)

    for _ in range(3):
        await limiter.acquire("/a")
        await limiter.acquire("/b")

    assert clock.sleeps == pytest.approx([1.0, 1.0])


async def test_client_spaces_calls_per_route_on_the_injected_clock(
    fake: FakeDingTalk, make_client: ClientFactory, clock: VirtualClock
) -> None:
    fake.script("POST", BATCH_SEND, api_ok({"processQueryKey": "pqk"}))
    fake.script("POST", GROUP_SEND, api_ok({"processQueryKey": "pqk"}))
    client: DingTalkClient = make_client(rate_limits={BATCH_SEND: 1.0})
    start = clock()

    await client.send_to_users([f"u{i}" for i in range(45)], "sampleText", {"content": "hi"})
    await client.send_to_group("cid1", "sampleText", {"content": "hi"})

    assert [r.at - start for r in fake.calls(BATCH_SEND)] == pytest.approx([0.0, 1.0, 2.0])
    assert clock.sleeps == pytest.approx([1.0, 1.0])  # the group route has its own bucket
