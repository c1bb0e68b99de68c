"""Bring the schema to the newest Alembic revision, at start-up, from any number of instances.

Why at start-up rather than a Procfile ``release:`` phase: the default SQLite store, the
sandbox, ``make demo`` and the CLI need a schema with no deploy step at all, and not every
PaaS has a release phase. On PostgreSQL the upgrade runs under a transaction-level advisory
lock, so instances starting together take turns: the first migrates, the others find the
schema at head and do nothing. Alembic itself is imported only when an upgrade is due.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import weakref
from pathlib import Path

from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.engine import Database

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
# Any constant shared by every instance; "numbers-bot" as a 64-bit integer.
ADVISORY_LOCK_KEY = 0x6E756D626572732D
# Alembic keeps its running context in module globals: one upgrade at a time per process
# (per event loop, since an asyncio.Lock belongs to one).
_IN_PROCESS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


# `revision = "x"` or, as newer Alembic templates write, `revision: str = "x"`.
_REVISION = re.compile(r"^revision\s*(?::[^=\n]*)?=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN = re.compile(r"^down_revision\s*(?::[^=\n]*)?=\s*['\"]([^'\"]+)['\"]", re.M)


@functools.cache
def head_revision() -> str | None:
    """The newest revision, read from the files without importing Alembic (a third of a
    second at every start-up); tests check it against Alembic's own answer."""
    return head_of(MIGRATIONS / "versions")


def head_of(versions: Path) -> str | None:
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in versions.glob("*.py"):
        source = path.read_text("utf-8")
        revisions.update(_REVISION.findall(source))
        parents.update(_DOWN.findall(source))
    heads = revisions - parents
    if len(heads) > 1:
        raise RuntimeError(f"the migrations have several heads: {sorted(heads)}")
    return next(iter(heads), None)


async def migrate(database: Database) -> None:
    """Upgrade to head (raises StoreUnavailableError when the database cannot be reached)."""

    async def upgrade(conn: AsyncConnection) -> None:
        if conn.dialect.name == "postgresql":
            # Released when this transaction ends, after the new schema is committed (or
            # when the connection dies with this process): the next instance sees it at head.
            await conn.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
            )
        if await conn.run_sync(_current_revision) != head_revision():
            await conn.run_sync(_upgrade)

    lock = _IN_PROCESS.setdefault(asyncio.get_running_loop(), asyncio.Lock())
    async with lock:
        await database.run(upgrade)


def _current_revision(connection: Connection) -> str | None:
    """alembic_version's row; None for a database without one yet."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    value = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return None if value is None else str(value)


def _upgrade(connection: Connection) -> None:
    # Imported only when there is something to upgrade: most start-ups find the schema current.
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    log.info("database schema: upgrading to %s", head_revision())
    command.upgrade(config, "head")


class Schema:
    """Migrated once per process: at start-up, or on first use after an outage at start-up."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._ready = False

    async def ensure(self) -> None:
        if not self._ready:
            await migrate(self._database)
            self._ready = True
