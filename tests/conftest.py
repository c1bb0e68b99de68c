"""Fixtures shared by the whole suite."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.engine import Database
from bot.store.migrate import migrate
from bot.store.tables import metadata
from bot.store.url import database_target
from tests.fakes import FakeClock
from tests.pg_server import PgServer, running_server

# `pytester` runs a small pytest session in a test: it checks the suite's own log checks.
pytest_plugins = ["pytester"]

_PREFIXES = (
    "SLACK_",
    "SINCH_",
    "ALLOWED_",
    "PORT",
    "SEARCH_CACHE",
    "USER_RATE",
    "LOG_LEVEL",
    "DATABASE_URL",
    "APPROVAL_TTL",
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """pydantic-settings and Bolt read os.environ and ./.env: give every test a clean slate."""
    for name in list(os.environ):
        if name.startswith(_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    # Each app a test starts would build every place index in a child process (seconds of
    # CPU); tests that want it (tests/commands/test_place_build.py) start it themselves.
    monkeypatch.setenv("PLACE_INDEX_WARMUP", "false")
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """The CLI and __main__ configure process logging; keep that from leaking into later tests."""
    root = logging.getLogger()
    names = ("httpx", "httpcore", "apscheduler")
    saved = (root.level, root.handlers[:], {n: logging.getLogger(n).level for n in names})
    yield
    root.setLevel(saved[0])
    root.handlers[:] = saved[1]
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


# --- the store: the same tests on SQLite and on a real PostgreSQL ------------------------------


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One PostgreSQL server per test run, started on first use, stopped at the end."""
    with running_server() as server:
        yield server


@pytest.fixture(scope="module")
def pg_url(pg_server: PgServer, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh database per test module on the shared server."""
    name = "t_" + hashlib.sha1(request.module.__name__.encode()).hexdigest()[:16]
    pg_server.drop_database(name)
    yield pg_server.create_database(name)
    pg_server.drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db')}/store.db"
    url: str = request.getfixturevalue("pg_url")
    return url


async def fresh_store(url: str) -> Database:
    """The store at ``url``, migrated and emptied (tests of one module share its PostgreSQL
    database, so each test starts from empty tables)."""
    db = Database(database_target(url))
    await migrate(db)

    async def empty(conn: AsyncConnection) -> None:
        for table in reversed(metadata.sorted_tables):
            await conn.execute(table.delete())

    await db.run(empty)
    return db


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A migrated, empty store, on SQLite and on PostgreSQL."""
    db = await fresh_store(database_url)
    yield db
    await db.aclose()
