"""Database URLs, engines and sessions for SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

SQLITE_ASYNC_DRIVER = "sqlite+aiosqlite"
POSTGRES_ASYNC_DRIVER = "postgresql+asyncpg"
# Every transaction takes the write lock at BEGIN; a burst (10,000 reminders at once) can queue many of them.
SQLITE_BUSY_TIMEOUT_MS = 30_000

_SQLITE_DRIVERS = {"sqlite", SQLITE_ASYNC_DRIVER}
_POSTGRES_DRIVERS = {"postgresql", "postgres", POSTGRES_ASYNC_DRIVER}
_SYNC_DRIVERS = {
    "sqlite+pysqlite",
    "postgresql+psycopg2",
    "postgresql+psycopg2cffi",
    "postgresql+pg8000",
    "postgresql+psycopg",
}
_MEMORY_NAMES = {"", ":memory:"}


def normalize_database_url(url: str) -> str:
    """Return `url` rewritten for the async driver, or raise ValueError saying why it can't be used."""
    parsed = _parse(url)
    driver = parsed.drivername
    if driver in _SQLITE_DRIVERS:
        return _normalize_sqlite(parsed)
    if driver in _POSTGRES_DRIVERS:
        return _normalize_postgres(parsed)
    if driver in _SYNC_DRIVERS:
        raise ValueError(
            f"database URL uses the synchronous driver {driver!r}; "
            f"use {SQLITE_ASYNC_DRIVER}:// or {POSTGRES_ASYNC_DRIVER}:// instead"
        )
    raise ValueError(f"unsupported database URL scheme {driver!r}: expected sqlite:// or postgresql://")


def _parse(url: str) -> URL:
    if not url or not url.strip():
        raise ValueError("database URL is empty")
    try:
        return make_url(url.strip())
    except (ArgumentError, ValueError) as exc:
        raise ValueError(f"cannot parse database URL: {exc}") from None


def _normalize_sqlite(parsed: URL) -> str:
    database = parsed.database or ""
    if database in _MEMORY_NAMES or "mode=memory" in database:
        # Each pooled connection to a plain :memory: URL would see its own empty database, so only the
        # explicit async form (served by a single static connection) is accepted, and only for tests.
        if parsed.drivername == SQLITE_ASYNC_DRIVER and database == "":
            return parsed.render_as_string(hide_password=False)
        raise ValueError("in-memory SQLite is only accepted as 'sqlite+aiosqlite://' (for tests); give a file path")
    if parsed.host or parsed.username or parsed.port:
        raise ValueError("SQLite URL must not name a host; use sqlite:///relative.db or sqlite:////abs.db")
    return parsed.set(drivername=SQLITE_ASYNC_DRIVER).render_as_string(hide_password=False)


def _normalize_postgres(parsed: URL) -> str:
    query = dict(parsed.query)
    if "sslmode" in query:
        # libpq spells it sslmode; asyncpg accepts the same values under the name ssl.
        query["ssl"] = query.pop("sslmode")
    normalized = parsed.set(drivername=POSTGRES_ASYNC_DRIVER, query=query)
    return normalized.render_as_string(hide_password=False)


def ensure_sqlite_directory(url: str) -> Path | None:
    """Create the parent directory of an SQLite database file; return the file path (None if not a file)."""
    parsed = make_url(normalize_database_url(url))
    if parsed.drivername != SQLITE_ASYNC_DRIVER or not parsed.database:
        return None
    path = Path(parsed.database)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def create_engine(
    url: str,
    *,
    echo: bool = False,
    pool_size: int = 5,
    max_overflow: int = 10,
    sqlite_busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS,
) -> AsyncEngine:
    """Create an async engine for `url`, configured for the bot's concurrency on either backend."""
    normalized = normalize_database_url(url)
    if make_url(normalized).drivername == SQLITE_ASYNC_DRIVER:
        return _create_sqlite_engine(normalized, echo=echo, busy_timeout_ms=sqlite_busy_timeout_ms)
    return create_async_engine(
        normalized,
        echo=echo,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=30,
        # Recycle before common proxy/firewall idle cut-offs so a stale socket is never handed out.
        pool_recycle=1800,
        # asyncpg prepares every statement, and after five runs PostgreSQL may switch a prepared statement to
        # a generic plan that ignores its parameters; with data as skewed as a team's share of a date window
        # that plan can be a hundred times slower. Planning each run costs about a millisecond.
        connect_args={"server_settings": {"plan_cache_mode": "force_custom_plan"}},
    )


def _create_sqlite_engine(url: str, *, echo: bool, busy_timeout_ms: int) -> AsyncEngine:
    engine = create_async_engine(url, echo=echo)
    in_memory = not make_url(url).database

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We emit BEGIN ourselves (below); the driver's implicit BEGIN would defer the write lock.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                # synchronous stays FULL: a commit (an audit entry, a dedup claim) must survive power loss.
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A deferred transaction that reads and then writes fails at once with SQLITE_BUSY when another
        # connection committed in between; taking the write lock up front makes writers queue (up to
        # busy_timeout) instead, and serialises audit appends and outbox claims.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose objects stay readable after commit (the dispatcher acks from them)."""
    return async_sessionmaker(engine, expire_on_commit=False)


def dialect_name(bind: AsyncSession | AsyncEngine | AsyncConnection) -> str:
    """The SQLAlchemy dialect name behind `bind`: 'sqlite' or 'postgresql'."""
    if isinstance(bind, AsyncSession):
        return bind.get_bind().dialect.name
    return bind.dialect.name


def dialect_insert(session: AsyncSession, model: type[DeclarativeBase]) -> sqlite.Insert | postgresql.Insert:
    """An INSERT that supports ON CONFLICT for the session's backend."""
    if dialect_name(session) == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)
