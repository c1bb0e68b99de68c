"""`numbers-bot watches [--json]` and `numbers-bot unwatch ID`: the operator's view of watches.

Reads the bot's database (DATABASE_URL, as the web process does); needs no Sinch or Slack
credentials. Exit codes: 0 ok, 1 the database is unavailable or there is no such watch.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TextIO, TypeVar

from bot.core.errors import StoreUnavailableError
from bot.ops.config import Settings, load_settings
from bot.ops.logging_setup import configure_logging, secret_values
from bot.store.engine import Database
from bot.store.migrate import Schema
from bot.store.url import database_target
from bot.watch.model import Watch
from bot.watch.store import SqlWatchStore

COMMANDS = ("watches", "unwatch")
EXIT_OK, EXIT_FAILED = 0, 1

T = TypeVar("T")


def add_parsers(sub: Any) -> None:
    watches = sub.add_parser(
        "watches",
        help="list every watch in the bot's database (owner, search, since, last run, found)",
        description="List every watch in the bot's database, newest first.",
    )
    watches.add_argument("--json", action="store_true", help="machine-readable output")
    unwatch = sub.add_parser(
        "unwatch", help="stop one watch by its ID", description="Stop one watch by its ID."
    )
    unwatch.add_argument("watch_id", type=int, metavar="ID", help="as `numbers-bot watches` shows")


def main(args: argparse.Namespace, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run `watches` or `unwatch`; a configuration error propagates (cli.main: exit 2)."""
    out, err = out or sys.stdout, err or sys.stderr
    settings = load_settings()
    # The outcome is the one line printed below (the store's own WARNING would be a second).
    configure_logging("CRITICAL", secrets=secret_values(settings), json_lines=False)
    try:
        if args.command == "watches":
            watches, lost = asyncio.run(_with_store(settings, _everything))
            out.write(render_json(watches, lost) if args.json else render_table(watches))
            return EXIT_OK
        stopped = asyncio.run(
            _with_store(
                settings,
                lambda s: s.stop(args.watch_id, reason="stopped by an operator (numbers-bot)"),
            )
        )
    except StoreUnavailableError as exc:
        print(f"numbers-bot: {exc}", file=err)
        return EXIT_FAILED
    if stopped is None:
        print(f"numbers-bot: no running watch {args.watch_id}", file=err)
        return EXIT_FAILED
    print(f"Stopped watch {stopped.id} of {stopped.owner}: {stopped.search}", file=out)
    return EXIT_OK


async def _with_store(settings: Settings, work: Callable[[SqlWatchStore], Awaitable[T]]) -> T:
    raw = settings.database_url
    database = Database(database_target(None if raw is None else raw.get_secret_value()))
    try:
        return await work(SqlWatchStore(database, Schema(database)))
    finally:
        await database.aclose()


async def _everything(store: SqlWatchStore) -> tuple[list[Watch], dict[int, list[str]]]:
    watches = await store.list_watches()
    return watches, await store.undelivered([w.id for w in watches])


def _time(epoch: float | None) -> str:
    if epoch is None:
        return "-"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


def render_table(watches: list[Watch]) -> str:
    if not watches:
        return "No watches.\n"
    header = ("ID", "OWNER", "STATUS", "SINCE", "LAST RUN", "FOUND", "SEARCH")
    rows = [
        (
            str(w.id),
            w.owner,
            w.status.value,
            _time(w.created_at),
            _time(w.last_run_at),
            str(w.found),
            w.search + (f"  ({w.reason})" if w.reason else ""),
        )
        for w in watches
    ]
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header) - 1)]
    lines = [
        "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]])
        for row in (header, *rows)
    ]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def render_json(watches: list[Watch], undelivered: dict[int, list[str]]) -> str:
    """Each watch; ``undelivered``: numbers whose DM Slack refused or that may not have arrived."""
    items = [
        {
            "id": w.id,
            "owner": w.owner,
            "team": w.team,
            "search": w.search,
            "status": w.status.value,
            "since": _iso(w.created_at),
            "until": _iso(w.expires_at),
            "last_run": _iso(w.last_run_at),
            "found": w.found,
            "reason": w.reason,
            "undelivered": undelivered.get(w.id, []),
        }
        for w in watches
    ]
    return json.dumps(items, indent=2) + "\n"


def _iso(epoch: float | None) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC).isoformat()
