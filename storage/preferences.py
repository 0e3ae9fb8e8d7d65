"""Per-user preferences (today: the reply language)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_insert
from storage.models import SUPPORTED_LANGUAGES, UserPreference


async def get_language(session: AsyncSession, user_id: str) -> str | None:
    """The user's chosen language tag, or None if they never chose one."""
    return await session.scalar(select(UserPreference.language).where(UserPreference.user_id == user_id))


async def set_language(session: AsyncSession, user_id: str, language: str, at: datetime) -> None:
    """Store the user's language ('zh-Hant', 'en' or 'pt'); ValueError for any other tag."""
    if language not in SUPPORTED_LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; expected one of {', '.join(SUPPORTED_LANGUAGES)}")
    stmt = dialect_insert(session, UserPreference).values(user_id=user_id, language=language, updated_at=at)
    stmt = stmt.on_conflict_do_update(
        index_elements=[UserPreference.user_id],
        set_={"language": stmt.excluded.language, "updated_at": stmt.excluded.updated_at},
    )
    await session.execute(stmt)
