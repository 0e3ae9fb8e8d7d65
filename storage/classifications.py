"""Queries over shared files, their question cards, answers and the obligations they triggered."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_insert
from storage.models import Classification, ClassificationPrompt, PendingObligation, SharedFile


async def add_shared_file(session: AsyncSession, **fields: Any) -> SharedFile:
    shared = SharedFile(**fields)
    session.add(shared)
    await session.flush()
    return shared


async def add_prompt(session: AsyncSession, **fields: Any) -> ClassificationPrompt:
    prompt = ClassificationPrompt(version=1, status="open", escalated_to=[], **fields)
    session.add(prompt)
    await session.flush()
    return prompt


async def prompt_by_card(session: AsyncSession, card_id: str) -> ClassificationPrompt | None:
    """The prompt behind a card, locked for update so two clicks on it are handled one after the other."""
    stmt = select(ClassificationPrompt).where(ClassificationPrompt.card_id == card_id).with_for_update()
    return await session.scalar(stmt)


async def prompt_awaiting_reason(session: AsyncSession, user_id: str) -> ClassificationPrompt | None:
    """The user's open prompt that waits for a typed reason, newest first."""
    stmt = (
        select(ClassificationPrompt)
        .where(ClassificationPrompt.asked_user == user_id, ClassificationPrompt.status == "open",
               ClassificationPrompt.awaiting_reason.is_(True))
        .order_by(ClassificationPrompt.asked_at.desc(), ClassificationPrompt.id.desc())
        .limit(1)
        .with_for_update()
    )
    return await session.scalar(stmt)


async def shared_file(session: AsyncSession, file_id: int) -> SharedFile:
    found = await session.get(SharedFile, file_id)
    if found is None:
        raise LookupError(f"shared file {file_id} does not exist")
    return found


async def previous_level(session: AsyncSession, shared: SharedFile) -> str | None:
    """The level this same file (by DingTalk file id or content hash) was last classified at, if ever."""
    before = await previous_classification(session, shared)
    return before.level if before is not None else None


async def previous_classification(session: AsyncSession, shared: SharedFile) -> Classification | None:
    """The latest earlier classification of this same file (by DingTalk file id or content hash)."""
    same: list[Any] = []
    if shared.dingtalk_file_id:
        same.append(SharedFile.dingtalk_file_id == shared.dingtalk_file_id)
    if shared.sha256:
        same.append(SharedFile.sha256 == shared.sha256)
    if not same:
        return None
    stmt = (
        select(Classification)
        .join(SharedFile, SharedFile.id == Classification.file_id)
        .where(or_(*same), SharedFile.id != shared.id)
        .order_by(Classification.classified_at.desc(), Classification.id.desc())
        .limit(1)
    )
    return await session.scalar(stmt)


async def set_file_digest(session: AsyncSession, file_id: int, sha256: str, size: int) -> None:
    shared = await shared_file(session, file_id)
    shared.sha256, shared.size = sha256, size
    await session.flush()


async def add_classification(session: AsyncSession, **fields: Any) -> Classification:
    record = Classification(**fields)
    session.add(record)
    await session.flush()
    return record


async def record_obligation(
    session: AsyncSession, *, obligation_id: str, scope: str, classification_id: int | None, dedup_key: str,
    suggested_owner: str | None, details: dict[str, Any], at: datetime,
) -> bool:
    """Record an obligation for the assessments feature; False when the same key was recorded before."""
    stmt = dialect_insert(session, PendingObligation).values(
        obligation_id=obligation_id, scope=scope, classification_id=classification_id, dedup_key=dedup_key,
        suggested_owner=suggested_owner, status="pending", details=details, created_at=at,
    ).on_conflict_do_nothing(index_elements=[PendingObligation.dedup_key])
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))


async def due_followups(session: AsyncSession, now: datetime, limit: int = 100) -> Sequence[ClassificationPrompt]:
    """Open prompts whose next nudge, escalation or expiry is due, locked so replicas do not both act."""
    stmt = (
        select(ClassificationPrompt)
        .where(ClassificationPrompt.status == "open", ClassificationPrompt.next_check_at <= now)
        .order_by(ClassificationPrompt.next_check_at, ClassificationPrompt.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(await session.scalars(stmt))


async def prompts_of_user(
    session: AsyncSession, user_id: str, *, limit: int = 10
) -> Sequence[tuple[ClassificationPrompt, SharedFile, Classification | None]]:
    """The user's most recent questions with their files and answers, newest first."""
    stmt = (
        select(ClassificationPrompt, SharedFile, Classification)
        .join(SharedFile, SharedFile.id == ClassificationPrompt.file_id)
        .outerjoin(Classification, Classification.prompt_id == ClassificationPrompt.id)
        .where(ClassificationPrompt.asked_user == user_id)
        .order_by(ClassificationPrompt.asked_at.desc(), ClassificationPrompt.id.desc())
        .limit(limit)
    )
    return [(p, f, c) for p, f, c in (await session.execute(stmt)).all()]


async def pending_obligations(session: AsyncSession, *, limit: int = 100) -> Sequence[PendingObligation]:
    """Obligations the assessments feature has not taken up yet, oldest first, locked for this worker."""
    stmt = (
        select(PendingObligation)
        .where(PendingObligation.status == "pending")
        .order_by(PendingObligation.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(await session.scalars(stmt))
