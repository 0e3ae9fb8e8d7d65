"""Shared database fixtures: a test that asks for `database_url`, `engine`, `session_factory` or `session`
runs once on SQLite and once on PostgreSQL, each time against a fresh database migrated by Alembic.

PostgreSQL is reached through TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test). When it
does not answer, the postgresql cases are skipped with the reason, unless REQUIRE_POSTGRES=1 (CI), where
they fail.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from storage.db import create_engine, make_session_factory, normalize_database_url
from storage.migrate import upgrade_to_head

DEFAULT_POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
CONNECT_TIMEOUT_S = 3
# Databases are copied from the template this many at a time: PostgreSQL shares the checkpoints that
# FILE_COPY needs between concurrent copies, so a batch of 8 costs about as much as one copy alone.
DATABASE_BATCH = 8

T = TypeVar("T")


class BackgroundLoop:
    """An event loop on its own thread for session-long setup, apart from pytest-asyncio's per-test loops."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="db-fixtures", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


class PostgresServer:
    """The admin connection, and a migrated template each test's database is copied from."""

    def __init__(self, background: BackgroundLoop, admin_url: str) -> None:
        self._background = background
        self.admin_url = normalize_database_url(admin_url)
        # CREATE/DROP DATABASE refuse to run inside a transaction.
        self._admin = create_async_engine(
            self.admin_url,
            isolation_level="AUTOCOMMIT",
            pool_size=DATABASE_BATCH,
            connect_args={"timeout": CONNECT_TIMEOUT_S},
        )
        self.template = f"storage_template_{uuid.uuid4().hex[:12]}"
        self._copy_strategy = ""
        self._spare: list[str] = []

    def start(self) -> None:
        if int(self.admin("SHOW server_version_num")) >= 150000:
            # A small template is copied file by file much faster than through the WAL.
            self._copy_strategy = " STRATEGY FILE_COPY"
        self.admin(f'CREATE DATABASE "{self.template}"')
        self._background.run(upgrade_to_head(self.database_url(self.template)))

    def create_database(self) -> str:
        """A fresh copy of the template, for one test."""
        if not self._spare:
            names = [f"storage_test_{uuid.uuid4().hex[:12]}" for _ in range(DATABASE_BATCH)]
            self._background.run(self._create_all(names))
            self._spare = names
        return self._spare.pop()

    async def _create_all(self, names: list[str]) -> None:
        copy = f'TEMPLATE "{self.template}"{self._copy_strategy}'
        await asyncio.gather(*(self._execute(f'CREATE DATABASE "{name}" {copy}') for name in names))

    def drop_database(self, name: str) -> None:
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def database_url(self, name: str) -> str:
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def admin(self, sql: str) -> Any:
        return self._background.run(self._execute(sql))

    async def _execute(self, sql: str) -> Any:
        async with self._admin.connect() as connection:
            result = await connection.exec_driver_sql(sql)
            return result.scalar() if result.returns_rows else None

    def close(self) -> None:
        for name in self._spare:
            self.drop_database(name)
        self._background.run(self._admin.dispose())


@pytest.fixture(scope="session")
def background_loop() -> Iterator[BackgroundLoop]:
    loop = BackgroundLoop()
    yield loop
    loop.close()


@pytest.fixture(scope="session")
def sqlite_template(background_loop: BackgroundLoop, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy, which is much faster than migrating again."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    background_loop.run(upgrade_to_head(f"sqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_server(background_loop: BackgroundLoop) -> Iterator[PostgresServer]:
    admin_url = os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_ADMIN_URL)
    server = PostgresServer(background_loop, admin_url)
    try:
        server.start()
    except (OSError, SQLAlchemyError) as exc:
        server.close()
        parsed = make_url(admin_url)
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        message = f"PostgreSQL not reachable at {parsed.host}:{parsed.port or 5432}: {reason}"
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    try:
        yield server
    finally:
        server.drop_database(server.template)
        server.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The async-driver URL of a fresh database at the head revision."""
    if request.param == "sqlite":
        path = tmp_path / "bot.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield normalize_database_url(f"sqlite:///{path}")
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.create_database()
    try:
        yield server.database_url(name)
    finally:
        server.drop_database(name)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_session_factory(engine)


@pytest.fixture
async def session(session_factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One session for tests that need only one; the test commits what it wants kept."""
    async with session_factory() as session:
        yield session
