"""Bring the schema to the newest Alembic revision, at start-up, from any number of instances.

Why at start-up rather than a Procfile ``release:`` phase: the default SQLite store, the
sandbox, ``make demo`` and the CLI need a schema with no deploy step at all, and not every
PaaS has a release phase. On PostgreSQL the upgrade runs under a session advisory lock, so
instances starting together take turns: the first migrates, the others find the schema at
head and do nothing.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
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


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def migrate(database: Database) -> None:
    """Upgrade to head (raises StoreUnavailableError when the database cannot be reached)."""

    async def upgrade(conn: AsyncConnection) -> None:
        if conn.dialect.name == "postgresql":
            # Released when this transaction ends, after the new schema is committed (or
            # when the connection dies with this process): the next instance sees it at head.
            await conn.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
            )
        await conn.run_sync(_upgrade)

    lock = _IN_PROCESS.setdefault(asyncio.get_running_loop(), asyncio.Lock())
    async with lock:
        await database.run(upgrade)


def _upgrade(connection: Connection) -> None:
    current = MigrationContext.configure(connection).get_current_revision()
    if current == head_revision():
        return
    config = alembic_config()
    config.attributes["connection"] = connection
    log.info("database schema: upgrading from %s to %s", current or "empty", head_revision())
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
