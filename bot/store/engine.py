"""The async engine and its health: one per process, opened lazily, shared by every request."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.core.errors import StoreUnavailableError
from bot.store.url import DatabaseTarget

log = logging.getLogger(__name__)

# A click waits at most this long for the database before it is refused (nothing changed).
CONNECT_TIMEOUT = 5.0
COMMAND_TIMEOUT = 5.0
# SQLite: a writer waits this long (ms) for another writer instead of failing at once.
SQLITE_BUSY_TIMEOUT_MS = 5000
UNAVAILABLE = "The bot's database is unavailable: nothing was changed. Try again shortly."

_T = TypeVar("_T")


def create_engine(target: DatabaseTarget) -> AsyncEngine:
    """Inert: no connection is opened until the first query."""
    if target.is_sqlite:
        engine = create_async_engine(target.url, connect_args={"timeout": CONNECT_TIMEOUT})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(
        target.url,
        # A connection that died with the server (an outage, a failover) is replaced, not
        # used: recovery needs no restart.
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=5,
        pool_timeout=CONNECT_TIMEOUT,
        connect_args={
            **target.connect_args,
            "timeout": CONNECT_TIMEOUT,
            "command_timeout": COMMAND_TIMEOUT,
        },
    )


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    # WAL: readers never wait for the writer; busy_timeout: a second writer waits its turn.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Database:
    """The engine plus its health: one WARNING per outage, one INFO when it is back."""

    def __init__(self, target: DatabaseTarget, engine: AsyncEngine | None = None) -> None:
        self.target = target
        self.engine = engine or create_engine(target)
        self._down_since: str | None = None

    @property
    def available(self) -> bool:
        return self._down_since is None

    def readiness_reason(self) -> str | None:
        """For /readyz: None while the last query worked."""
        if self._down_since is None:
            return None
        return f"database unavailable ({self._down_since})"

    async def run(self, work: Callable[[AsyncConnection], Awaitable[_T]]) -> _T:
        """Run ``work`` in one transaction; any failure to reach the database becomes
        StoreUnavailableError (and is logged once per outage)."""
        try:
            async with self.engine.begin() as conn:
                result = await work(conn)
        except (IntegrityError, ProgrammingError, DataError):
            raise  # a bug in a query, not an outage: it must not read as "try again shortly"
        except (
            OperationalError,
            InterfaceError,
            DBAPIError,
            PoolTimeoutError,
            OSError,
            TimeoutError,
        ) as err:
            self._went_down(err)
            raise StoreUnavailableError(UNAVAILABLE) from None
        self._came_back()
        return result

    async def ping(self) -> bool:
        """SELECT 1: refreshes the health that /readyz reports."""

        async def select_one(conn: AsyncConnection) -> None:
            await conn.execute(text("SELECT 1"))

        try:
            await self.run(select_one)
        except StoreUnavailableError:
            return False
        return True

    async def aclose(self) -> None:
        await self.engine.dispose()

    def _went_down(self, err: BaseException) -> None:
        if self._down_since is not None:
            return
        # The class name only: driver messages can name the host, the user or the database.
        self._down_since = _kind(err)
        log.warning(
            "database unavailable (%s, %s): rent, release and approvals are refused until it"
            " is back",
            self.target.describe(),
            self._down_since,
        )

    def _came_back(self) -> None:
        if self._down_since is not None:
            self._down_since = None
            log.info("database available again (%s)", self.target.describe())


def _kind(err: BaseException) -> str:
    """The root cause's class name (ConnectionRefusedError, CannotConnectNowError, …): the
    driver's adapter wraps it in a generic ``Error``."""
    inner: BaseException = getattr(err, "orig", None) or err
    for _ in range(5):
        if inner.__cause__ is None:
            break
        inner = inner.__cause__
    if isinstance(inner, asyncio.TimeoutError | TimeoutError):
        return "timed out"
    return type(inner).__name__
