"""bot.store set-up: DATABASE_URL, the engine, migrations, on SQLite and a real PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.errors import ConfigError, StoreUnavailableError
from bot.ops.config import load_settings
from bot.store.engine import Database
from bot.store.migrate import head_of, head_revision, migrate
from bot.store.url import database_target


def test_postgres_scheme_is_rewritten_for_asyncpg() -> None:
    # The form a PaaS add-on sets; SQLAlchemy refuses postgres:// itself.
    target = database_target("postgres://u:s3cret@db.example.com:5432/d1?sslmode=require")
    assert target.url.drivername == "postgresql+asyncpg"
    assert target.url.database == "d1"
    assert target.connect_args == {"ssl": "require"}
    assert "sslmode" not in target.url.query
    assert "s3cret" not in target.describe()
    assert target.describe() == "PostgreSQL at db.example.com:5432/d1"


def test_postgresql_scheme_and_driver_forms() -> None:
    for raw in ("postgresql://u@h/d", "postgresql+psycopg://u@h/d", "POSTGRESQL://u@h/d"):
        assert database_target(raw).url.drivername == "postgresql+asyncpg"


def test_unset_means_sqlite_in_the_working_directory(tmp_path: Path) -> None:
    target = database_target(None, cwd=tmp_path)
    assert target.is_sqlite
    assert target.url.drivername == "sqlite+aiosqlite"
    assert target.url.database == str(tmp_path / "numbers-bot.db")
    assert database_target("  ", cwd=tmp_path).url == target.url


def test_sqlite_url_keeps_its_path() -> None:
    target = database_target("sqlite:////var/data/bot.db")
    assert target.url.drivername == "sqlite+aiosqlite"
    assert target.url.database == "/var/data/bot.db"


@pytest.mark.parametrize(
    "raw",
    [
        "mysql://u:hunter2@h/d",
        "hunter2",
        "sqlite://",
        "sqlite:///:memory:",
        "postgres://u:hunter2@h",
        "postgres://u:hunter2@h/d?sslmode=sometimes",
    ],
)
def test_bad_urls_are_config_errors_without_the_value(raw: str) -> None:
    with pytest.raises(ConfigError) as caught:
        database_target(raw)
    assert "hunter2" not in str(caught.value)
    assert caught.value.names == ("DATABASE_URL",)


async def _version(db: Database) -> str | None:
    async def read(conn: AsyncConnection) -> str | None:
        return (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()

    return await db.run(read)


async def test_fresh_database_is_migrated_to_head(database: Database) -> None:
    # The fixture ran migrate(); running it again is a no-op.
    await migrate(database)
    assert await _version(database) == head_revision()


_MIGRATE = """
import asyncio, sys
from bot.store.engine import Database
from bot.store.migrate import migrate
from bot.store.url import database_target

async def main():
    db = Database(database_target(sys.argv[1]))
    await migrate(db)
    await db.aclose()

asyncio.run(main())
"""


async def test_instances_starting_together_migrate_once(pg_url: str) -> None:
    # Three processes against one empty database: the advisory lock makes them take turns;
    # none fails on a half-created schema.
    db = Database(database_target(pg_url))
    try:

        async def drop(conn: AsyncConnection) -> None:
            # Every table of every revision (later revisions add their own).
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))

        await db.run(drop)
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable, "-c", _MIGRATE, pg_url, stderr=asyncio.subprocess.PIPE
            )
            for _ in range(3)
        ]
        results = [await p.communicate() for p in procs]
        assert [p.returncode for p in procs] == [0, 0, 0], [err for _, err in results]
        assert await _version(db) == head_revision()
    finally:
        await db.aclose()


async def test_instances_starting_together_on_one_sqlite_file_migrate_once(
    tmp_path: Path,
) -> None:
    # SQLite has no advisory lock: without the lock file beside the database, two processes
    # starting on a fresh file both see no schema and the second fails on "table already
    # exists" (seen as two CLI commands run at once in an empty directory).
    url = f"sqlite:///{tmp_path}/fresh.db"
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", _MIGRATE, url, stderr=asyncio.subprocess.PIPE
        )
        for _ in range(6)
    ]
    results = [await p.communicate() for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, [err for _, err in results]
    db = Database(database_target(url))
    try:
        assert await _version(db) == head_revision()
    finally:
        await db.aclose()


async def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    db = Database(database_target(f"sqlite:///{tmp_path}/x.db"))
    try:

        async def pragmas(conn: AsyncConnection) -> tuple[object, object]:
            mode = (await conn.execute(text("PRAGMA journal_mode"))).scalar()
            busy = (await conn.execute(text("PRAGMA busy_timeout"))).scalar()
            return mode, busy

        assert await db.run(pragmas) == ("wal", 5000)
    finally:
        await db.aclose()


async def test_an_unreachable_database_is_one_warning_without_the_password(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Nothing listens in tmp_path: every connection attempt fails at once.
    db = Database(database_target(f"postgresql://bot:pw-never-logged@/db?host={tmp_path}"))
    try:
        for _ in range(3):
            with pytest.raises(StoreUnavailableError) as caught:
                await migrate(db)
            assert "pw-never-logged" not in str(caught.value)
            assert caught.value.__cause__ is None
            assert caught.value.__suppress_context__
        assert db.readiness_reason() is not None
        warned = [r for r in caplog.get_records("call") if r.levelno >= logging.WARNING]
        assert len(warned) == 1  # one per outage, not one per attempt
        assert warned[0].exc_info is None
        assert "pw-never-logged" not in warned[0].getMessage()
    finally:
        await db.aclose()


def test_the_head_read_from_the_files_is_alembics_head() -> None:
    # head_revision() reads the revision files itself (no Alembic import at start-up): it
    # must agree with Alembic, whatever revisions are added later.
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from bot.store.migrate import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_heads() == [head_revision()]


def test_settings_check_database_url_and_approval_ttl_without_echoing_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://bot:hunter2@db/x")
    monkeypatch.setenv("APPROVAL_TTL", "0")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert set(caught.value.names) == {"DATABASE_URL", "APPROVAL_TTL"}
    assert "hunter2" not in str(caught.value)
    monkeypatch.setenv("DATABASE_URL", "postgres://bot:hunter2@db/x")
    monkeypatch.setenv("APPROVAL_TTL", "3600")
    settings = load_settings()
    assert settings.approval_ttl == 3600
    assert "hunter2" not in repr(settings)
    monkeypatch.delenv("APPROVAL_TTL")
    assert load_settings().approval_ttl == 24 * 3600


def test_the_head_is_found_in_either_template_style(tmp_path: Path) -> None:
    (tmp_path / "0001_a.py").write_text('revision = "0001_a"\ndown_revision = None\n')
    (tmp_path / "0002_b.py").write_text(
        'revision: str = "0002_b"\ndown_revision: Union[str, None] = "0001_a"\n'
    )
    assert head_of(tmp_path) == "0002_b"
    (tmp_path / "0002_c.py").write_text("revision = '0002_c'\ndown_revision = '0001_a'\n")
    with pytest.raises(RuntimeError, match="several heads"):
        head_of(tmp_path)
