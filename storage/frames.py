"""The processed-frame ledger that makes stream redeliveries idempotent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final, cast

from sqlalchemy import CursorResult, delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import FrameStatus, ProcessedFrame

MAX_MESSAGE_ID_LENGTH: Final = 128
MAX_RAW_BYTES: Final = 64 * 1024


async def get_processed_frame(session: AsyncSession, message_id: str) -> ProcessedFrame | None:
    """The stored outcome for `message_id`, if this frame was already handled."""
    return await session.get(ProcessedFrame, message_id)


async def record_frame(
    session: AsyncSession,
    *,
    message_id: str,
    topic: str,
    frame_type: str,
    status: FrameStatus,
    ack_code: int,
    ack_message: str,
    ack_data: dict[str, Any] | None,
    error: str | None = None,
    raw: str | None = None,
    received_at: datetime | None = None,
) -> ProcessedFrame:
    """Add the frame's outcome to the session.

    A second record of the same message_id raises IntegrityError at flush or commit: another worker
    handled the frame first. `raw` is kept only for rejected and failed frames (so no input is lost), cut
    to 64 KiB of UTF-8.
    `received_at` defaults to now; pass the injected clock's time where there is one.
    """
    if not message_id or len(message_id) > MAX_MESSAGE_ID_LENGTH:
        raise ValueError(f"message_id must be 1..{MAX_MESSAGE_ID_LENGTH} characters, got {len(message_id)}")
    frame = ProcessedFrame(
        message_id=message_id,
        topic=topic,
        frame_type=frame_type,
        received_at=received_at if received_at is not None else datetime.now(UTC),
        status=status,
        ack_code=ack_code,
        ack_message=ack_message,
        ack_data=ack_data,
        error=error,
        raw=truncate_utf8(raw, MAX_RAW_BYTES) if raw is not None and status in ("rejected", "failed") else None,
    )
    session.add(frame)
    return frame


def truncate_utf8(text: str, max_bytes: int) -> str:
    """`text` cut to at most `max_bytes` of UTF-8 without splitting a character."""
    encoded = text.encode("utf-8", errors="replace")
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", errors="ignore")


async def prune_frames(session: AsyncSession, older_than: datetime) -> int:
    """Delete ledger rows received before `older_than`; return how many went."""
    result = await session.execute(
        delete(ProcessedFrame)
        .where(ProcessedFrame.received_at < older_than)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount
