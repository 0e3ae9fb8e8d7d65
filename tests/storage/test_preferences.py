from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import UserPreference
from storage.preferences import get_language, set_language

T0 = datetime(2025, 4, 1, tzinfo=UTC)


async def test_language_round_trip(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_factory.begin() as session:
        assert await get_language(session, "u1") is None
        await set_language(session, "u1", "pt", T0)
        assert await get_language(session, "u1") == "pt"
    async with session_factory.begin() as session:
        await set_language(session, "u1", "zh-Hant", T0 + timedelta(hours=1))
        await set_language(session, "u2", "en", T0)
    async with session_factory() as session:
        assert await get_language(session, "u1") == "zh-Hant"
        assert await get_language(session, "u2") == "en"
        stored = await session.get(UserPreference, "u1")
    assert stored is not None and stored.updated_at == T0 + timedelta(hours=1)


async def test_times_in_any_zone_come_back_as_the_same_instant_in_utc(session: AsyncSession) -> None:
    macau_morning = datetime(2025, 4, 1, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    await set_language(session, "u1", "en", macau_morning)
    await session.commit()
    session.expunge_all()
    stored = await session.get(UserPreference, "u1")
    assert stored is not None
    assert stored.updated_at == macau_morning
    assert stored.updated_at.tzinfo == UTC and stored.updated_at.hour == 1


@pytest.mark.parametrize("language", ["fr", "zh-Hans", "EN", ""])
async def test_unsupported_language_is_refused(session: AsyncSession, language: str) -> None:
    with pytest.raises(ValueError, match="unsupported language"):
        await set_language(session, "u1", language, T0)
