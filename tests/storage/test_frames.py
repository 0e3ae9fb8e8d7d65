from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.frames import MAX_RAW_BYTES, get_processed_frame, prune_frames, record_frame
from storage.models import FrameStatus, ProcessedFrame

T0 = datetime(2025, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


async def _record(
    session: AsyncSession, message_id: str, *, status: FrameStatus = "handled", **overrides: Any
) -> ProcessedFrame:
    fields: dict[str, Any] = {
        "topic": "/v1.0/im/bot/messages/get",
        "frame_type": "CALLBACK",
        "ack_code": 200,
        "ack_message": "OK",
        "ack_data": {"response": {"cardData": {"cardParamMap": {"x": "1"}}}},
        "received_at": T0,
        **overrides,
    }
    return await record_frame(session, message_id=message_id, status=status, **fields)


async def test_stored_outcome_is_returned(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_factory.begin() as session:
        await _record(session, "msg-1")
    async with session_factory() as session:
        frame = await get_processed_frame(session, "msg-1")
        assert await get_processed_frame(session, "msg-2") is None
    assert frame is not None
    assert (frame.status, frame.ack_code, frame.ack_message, frame.frame_type) == ("handled", 200, "OK", "CALLBACK")
    assert frame.ack_data == {"response": {"cardData": {"cardParamMap": {"x": "1"}}}}
    assert frame.received_at == T0
    assert frame.received_at.tzinfo is not None
    assert frame.raw is None and frame.error is None


async def test_second_record_of_same_id_fails_at_commit(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_factory.begin() as session:
        await _record(session, "dup")
    async with session_factory() as session:
        await _record(session, "dup", status="failed", ack_code=500)
        with pytest.raises(IntegrityError):
            await session.commit()
    async with session_factory() as session:
        frame = await get_processed_frame(session, "dup")
        assert frame is not None and frame.ack_code == 200


async def test_concurrent_claims_of_one_frame_let_exactly_one_win(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async def claim(ack_code: int) -> bool:
        async with session_factory() as session:
            await _record(session, "race", ack_code=ack_code)
            try:
                await session.commit()
            except IntegrityError:
                return False
            return True

    outcomes = await asyncio.gather(*(claim(code) for code in range(200, 205)))
    assert sorted(outcomes) == [False, False, False, False, True]


async def test_raw_is_kept_only_for_rejected_frames_and_truncated(session: AsyncSession) -> None:
    huge = "澳" * MAX_RAW_BYTES  # three UTF-8 bytes per character
    await _record(session, "bad", status="rejected", ack_code=400, raw=huge, error="no topic")
    await _record(session, "good", raw="{}")
    await session.commit()
    rejected = await get_processed_frame(session, "bad")
    handled = await get_processed_frame(session, "good")
    assert rejected is not None and rejected.raw is not None
    assert 0 < len(rejected.raw.encode("utf-8")) <= MAX_RAW_BYTES
    assert set(rejected.raw) == {"澳"}
    assert rejected.error == "no topic"
    assert handled is not None and handled.raw is None


async def test_record_rejects_bad_ids_and_naive_times(session: AsyncSession) -> None:
    with pytest.raises(ValueError, match="message_id"):
        await _record(session, "x" * 129)
    await _record(session, "naive", received_at=datetime(2025, 1, 1))
    with pytest.raises(StatementError, match="naive datetime"):
        await session.flush()


async def test_prune_removes_only_older_frames(session_factory: async_sessionmaker[AsyncSession]) -> None:
    macau = timezone(timedelta(hours=8))
    async with session_factory.begin() as session:
        for day in range(5):
            await _record(session, f"day-{day}", received_at=T0 + timedelta(days=day))
    async with session_factory.begin() as session:
        # The same instant written in Macau time must compare equal to its UTC spelling.
        assert await prune_frames(session, (T0 + timedelta(days=2)).astimezone(macau)) == 2
    async with session_factory() as session:
        left = await session.scalars(select(ProcessedFrame.message_id).order_by(ProcessedFrame.message_id))
        assert list(left) == ["day-2", "day-3", "day-4"]
