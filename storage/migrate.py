"""Run and inspect the Alembic migrations from code, with no alembic.ini on disk."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import create_engine, ensure_sqlite_directory, normalize_database_url

# A file path rather than "storage:migrations": importlib.resources cannot resolve a package that was
# imported as a namespace (as a stale editable install does), while the files are always beside us.
SCRIPT_LOCATION = str(Path(__file__).resolve().parent / "migrations")
# env.py looks for a live connection under this key before building its own engine.
CONNECTION_ATTRIBUTE = "connection"
# Two processes starting at once must not both run the same revision.
MIGRATION_LOCK_KEY = 0x6D696772617465  # "migrate"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic Config pointing at the packaged migrations (and at `url`, when given)."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("path_separator", "os")
    if url is not None:
        # ConfigParser interpolates '%', which percent-encoded passwords contain.
        config.set_main_option("sqlalchemy.url", normalize_database_url(url).replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest revision shipped with this code."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("no Alembic revisions found under storage/migrations/versions")
    return head


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, or None if it has never been migrated."""
    async with engine.connect() as connection:
        return await connection.run_sync(_read_revision)


def _read_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def schema_is_current(engine: AsyncEngine) -> bool:
    """True when the database is at the head revision."""
    return await current_revision(engine) == head_revision()


async def upgrade_to_head(url: str) -> None:
    """Migrate the database at `url` to the head revision; safe to await from a running event loop."""
    ensure_sqlite_directory(url)
    await _run_command(url, lambda config: command.upgrade(config, "head"))


async def downgrade_to(url: str, revision: str) -> None:
    """Migrate the database at `url` down to `revision` ('base' removes every table)."""
    await _run_command(url, lambda config: command.downgrade(config, revision))


async def _run_command(url: str, action: Callable[[Config], None]) -> None:
    # env.py would otherwise call asyncio.run(), which fails inside a running loop; handing it our
    # connection keeps the whole command on this loop via run_sync.
    config = alembic_config(url)
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_on_connection, config, action)
            await connection.commit()
    finally:
        await engine.dispose()


def _run_on_connection(connection: Connection, config: Config, action: Callable[[Config], None]) -> None:
    # One transaction around the whole command (Alembic leaves an open one alone); our caller commits it.
    connection.begin()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
    config.attributes[CONNECTION_ATTRIBUTE] = connection
    action(config)
