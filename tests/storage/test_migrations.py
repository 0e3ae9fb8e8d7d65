from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import create_engine
from storage.migrate import (
    current_revision,
    downgrade_to,
    head_revision,
    schema_is_current,
    upgrade_to_head,
)
from storage.models import Base

APP_TABLES = {
    "processed_frames",
    "directory_users",
    "directory_departments",
    "user_preferences",
    "outbox_messages",
    "audit_events",
    "shared_files",
    "classification_prompts",
    "classifications",
    "pending_obligations",
    "assessments",
    "reminder_rules",
    "reminders",
    "signoff_snapshots",
    "signoff_reports",
    "signoff_campaigns",
    "signoff_signers",
    "rules_pack_versions",
}


def _schema_diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return await connection.run_sync(_table_names)


async def test_fixture_database_is_at_head(engine: AsyncEngine) -> None:
    assert await current_revision(engine) == head_revision()
    assert await schema_is_current(engine)
    assert await _tables(engine) == APP_TABLES | {"alembic_version"}


async def test_upgrade_from_empty_matches_models_and_downgrades(database_url: str, engine: AsyncEngine) -> None:
    await downgrade_to(database_url, "base")
    assert await _tables(engine) == {"alembic_version"}
    assert await current_revision(engine) is None
    assert not await schema_is_current(engine)

    await upgrade_to_head(database_url)
    async with engine.connect() as connection:
        assert await connection.run_sync(_schema_diff) == []
    assert await schema_is_current(engine)

    await downgrade_to(database_url, "base")
    assert await _tables(engine) == {"alembic_version"}


async def test_upgrade_creates_sqlite_directory(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/not/yet/bot.db"
    await upgrade_to_head(url)
    engine = create_engine(url)
    try:
        assert await schema_is_current(engine)
    finally:
        await engine.dispose()
