"""DATABASE_URL → the async SQLAlchemy URL (pure: no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from bot.core.errors import ConfigError

# Unset DATABASE_URL: one instance's embedded store, in the working directory.
DEFAULT_SQLITE_FILE = "numbers-bot.db"
POSTGRES_DRIVER = "postgresql+asyncpg"
SQLITE_DRIVER = "sqlite+aiosqlite"
# libpq's sslmode values; asyncpg takes the same words as its ``ssl`` connect argument.
_SSL_MODES = frozenset({"disable", "allow", "prefer", "require", "verify-ca", "verify-full"})


@dataclass(frozen=True)
class DatabaseTarget:
    """Where the store lives: the driver URL, asyncpg's connect arguments, and a safe label."""

    url: URL
    connect_args: dict[str, Any] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    def describe(self) -> str:
        """For logs and errors: never the password."""
        if self.is_sqlite:
            return f"SQLite at {self.url.database}"
        socket_dir = self.url.query.get("host")  # ?host=/path: a unix socket's directory
        host = self.url.host or (socket_dir if isinstance(socket_dir, str) else "localhost")
        port = f":{self.url.port}" if self.url.port else ""
        return f"PostgreSQL at {host}{port}/{self.url.database or ''}"


def database_target(raw: str | None, *, cwd: Path | None = None) -> DatabaseTarget:
    """``postgres://`` / ``postgresql://`` → asyncpg; ``sqlite:///path`` → aiosqlite.

    A PaaS add-on sets ``postgres://``, which SQLAlchemy no longer accepts: the scheme is
    rewritten. ``sslmode`` in the query (libpq's spelling, common in hosted URLs) becomes
    asyncpg's ``ssl`` connect argument, since asyncpg does not read it from the URL.
    """
    value = (raw or "").strip()
    if not value:
        path = (cwd or Path.cwd()) / DEFAULT_SQLITE_FILE
        return DatabaseTarget(URL.create(SQLITE_DRIVER, database=str(path)))
    scheme, sep, _ = value.partition("://")
    if not sep:
        raise _bad("must look like postgresql://user:password@host/db or sqlite:///path")
    try:
        url = make_url(value)
    except ArgumentError:
        raise _bad("is not a database URL") from None
    scheme = scheme.lower()
    if scheme in ("postgres", "postgresql") or scheme.startswith("postgresql+"):
        query = dict(url.query)
        connect_args: dict[str, Any] = {}
        mode = query.pop("sslmode", None)
        if mode is not None:
            if isinstance(mode, tuple) or mode not in _SSL_MODES:
                raise _bad("has an sslmode that is not one of " + ", ".join(sorted(_SSL_MODES)))
            connect_args["ssl"] = mode
        url = url.set(drivername=POSTGRES_DRIVER, query=query)
        if not url.database:
            raise _bad("names no database (…/DBNAME at the end)")
        return DatabaseTarget(url, connect_args)
    if scheme == "sqlite" or scheme.startswith("sqlite+"):
        if not url.database or url.database == ":memory:":
            # Memory would be a store per connection, so nothing would be remembered.
            raise _bad("needs a file path: sqlite:///numbers-bot.db or sqlite:////abs/path.db")
        return DatabaseTarget(url.set(drivername=SQLITE_DRIVER))
    raise _bad("must start with postgresql://, postgres:// or sqlite:///")


def _bad(problem: str) -> ConfigError:
    # The value is never echoed: it may carry the database password.
    return ConfigError(f"DATABASE_URL {problem}", names=["DATABASE_URL"])
