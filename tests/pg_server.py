"""A real PostgreSQL server for the test run, from the system's initdb/pg_ctl.

One server per run (session fixture ``pg_server``), listening on a unix socket only (no TCP
port to collide with other suites on the machine), in a fresh directory under /tmp. initdb and
postgres refuse to run as root, and CI runs as root: the server then runs as ``nobody`` and
owns its directory. fsync is off: the data is thrown away at the end of the run.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PORT = 5432  # only names the socket file; nothing listens on TCP
SUPERUSER = "postgres"


def find_bin_dir() -> Path | None:
    """initdb is not on PATH on Debian (it is in /usr/lib/postgresql/N/bin)."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def _as_server_user() -> dict[str, Any]:
    if os.geteuid() != 0:
        return {}
    return {"user": 65534, "group": 65534, "extra_groups": []}  # nobody:nogroup


@dataclass
class PgServer:
    bin_dir: Path
    root: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root

    def url(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@/{database}?host={self.socket_dir}&port={PORT}"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [str(self.bin_dir / tool), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=60,
            **_as_server_user(),
        )

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "-A", "trust", "--no-sync")

    def start(self) -> None:
        options = (
            f"-c listen_addresses='' -c unix_socket_directories='{self.socket_dir}'"
            f" -p {PORT} -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            " -c max_connections=100"
        )
        log = str(self.root / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        # "fast": clients are cut off as in an outage, but what was committed is on disk. An
        # "immediate" stop with synchronous_commit=off (above, for speed) drops the last commits,
        # e.g. a migration that ran just before a test stopped the server.
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def sql(self, statement: str) -> None:
        self._run(
            "psql", "-h", str(self.socket_dir), "-p", str(PORT), "-U", SUPERUSER,
            "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", statement,
        )  # fmt: skip

    def create_database(self, name: str) -> str:
        self.sql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def running_server() -> Iterator[PgServer]:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise RuntimeError(
            "PostgreSQL's initdb was not found (the tests start their own server):"
            " apt-get install postgresql, or put initdb/pg_ctl on PATH"
        )
    root = Path(tempfile.mkdtemp(prefix="numbers-bot-pg-"))
    if os.geteuid() == 0:
        os.chown(root, 65534, 65534)
    server = PgServer(bin_dir, root)
    try:
        server.init()
        server.start()
        yield server
    finally:
        with contextlib.suppress(Exception):
            server.stop()
        shutil.rmtree(root, ignore_errors=True)
