from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import dialect_name, ensure_sqlite_directory, normalize_database_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///data/bot.db", "sqlite+aiosqlite:///data/bot.db"),
        ("sqlite:////var/lib/bot/bot.db", "sqlite+aiosqlite:////var/lib/bot/bot.db"),
        ("sqlite+aiosqlite:///bot.db", "sqlite+aiosqlite:///bot.db"),
        ("sqlite+aiosqlite://", "sqlite+aiosqlite://"),
        ("  sqlite:///bot.db\n", "sqlite+aiosqlite:///bot.db"),
        ("postgresql://u:p@db:5432/bot", "postgresql+asyncpg://u:p@db:5432/bot"),
        ("postgres://u:p@db/bot", "postgresql+asyncpg://u:p@db/bot"),
        ("postgresql+asyncpg://u@db/bot", "postgresql+asyncpg://u@db/bot"),
        ("postgresql://u:p%40ss@db/bot", "postgresql+asyncpg://u:p%40ss@db/bot"),
        ("postgres://u@db/bot?sslmode=require", "postgresql+asyncpg://u@db/bot?ssl=require"),
    ],
)
def test_normalize_accepts(url: str, expected: str) -> None:
    assert normalize_database_url(url) == expected


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("", "empty"),
        ("not a url", "cannot parse"),
        ("mysql://u@db/bot", "unsupported database URL scheme 'mysql'"),
        ("redis://localhost", "unsupported database URL scheme 'redis'"),
        ("postgresql+psycopg2://u@db/bot", "synchronous driver"),
        ("sqlite+pysqlite:///bot.db", "synchronous driver"),
        ("sqlite://", "in-memory SQLite"),
        ("sqlite:///:memory:", "in-memory SQLite"),
        ("sqlite+aiosqlite:///:memory:", "in-memory SQLite"),
        ("sqlite://host/bot.db", "must not name a host"),
    ],
)
def test_normalize_rejects(url: str, complaint: str) -> None:
    with pytest.raises(ValueError, match="^[^\n]+$") as caught:
        normalize_database_url(url)
    assert complaint in str(caught.value)


def test_ensure_sqlite_directory_creates_parent(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "bot.db"
    assert ensure_sqlite_directory(f"sqlite:///{target}") == target
    assert target.parent.is_dir()
    assert ensure_sqlite_directory("postgresql://u@db/bot") is None
    assert ensure_sqlite_directory("sqlite+aiosqlite://") is None


async def test_engine_settings(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        if dialect_name(engine) == "sqlite":
            pragmas = {
                name: (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            }
            assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 30_000}
        else:
            assert dialect_name(connection) == "postgresql"
            assert engine.pool._pre_ping
        assert (await connection.execute(text("SELECT 1"))).scalar() == 1
