"""`numbers-bot history [NUMBER] [--csv]`: the change ledger, newest first.

Reads only the database (DATABASE_URL): no Sinch credentials needed. Each row is one rent or
release request: who asked, who decided, when, at what price, how it ended.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final, TextIO

from bot.active import csv_export as active_csv
from bot.app.runtime import build_store
from bot.changes.ledger_text import at
from bot.changes.text import money, number
from bot.commands.number_change import parse_e164
from bot.core.errors import StoreUnavailableError
from bot.ops.config import Settings
from bot.store.ledger import Entry

COMMAND = "history"
EXIT_OK, EXIT_UNAVAILABLE = 0, 1
HEADER: Final = (
    "created_at",
    "action",
    "number",
    "state",
    "outcome",
    "requester",
    "decided_by",
    "decided_at",
    "done_at",
    "monthly_price",
    "currency",
    "request_id",
)


def add_parser(sub: Any) -> None:
    help_ = "list rent and release requests, newest first (who, when, price, outcome)"
    p = sub.add_parser(COMMAND, help=help_, description=help_)
    p.add_argument("number", metavar="NUMBER", nargs="?", help="only this number (+12065550100)")
    p.add_argument("--csv", action="store_true", help="every field as CSV")
    p.add_argument("--limit", type=_positive, default=None, metavar="N", help="the newest N only")
    p.set_defaults(sandbox=False)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError("must be a whole number of at least 1")
    return value


def run(args: argparse.Namespace, settings: Settings, *, out: TextIO, err: TextIO) -> int:
    phone = None
    if args.number is not None:
        phone = parse_e164(args.number, usage="numbers-bot history [+12065550100] [--csv]")
    try:
        entries = asyncio.run(_read(settings, phone, args.limit))
    except StoreUnavailableError:
        print(
            "numbers-bot: the bot's database is unavailable (DATABASE_URL); try again shortly.",
            file=err,
        )
        return EXIT_UNAVAILABLE
    if args.csv:
        write = active_csv.writer(out)
        write.writerow(HEADER)
        for entry in entries:
            write.writerow([active_csv.neutralise(cell) for cell in row(entry)])
    elif not entries:
        print(
            "No rent or release requests recorded" + (f" for {number(phone)}." if phone else "."),
            file=out,
        )
    else:
        for entry in entries:
            print(line(entry), file=out)
    return EXIT_OK


async def _read(settings: Settings, phone: str | None, limit: int | None) -> list[Entry]:
    database, _, ledger = build_store(settings)
    try:
        return await ledger.history(phone, limit=limit)
    finally:
        await database.aclose()


def _when(value: datetime | None) -> str:
    return "" if value is None else value.isoformat(timespec="seconds").replace("+00:00", "Z")


def row(entry: Entry) -> list[str]:
    price = entry.price
    return [
        _when(entry.created_at),
        entry.action,
        entry.number,
        entry.state,
        entry.outcome or "",
        entry.requester,
        entry.decided_by or "",
        _when(entry.decided_at),
        _when(entry.done_at),
        "" if price is None else str(price.amount),
        "" if price is None else price.currency_code,
        entry.id,
    ]


def line(entry: Entry) -> str:
    """``2026-12-06 09:00Z  rent  +1 206-555-0101  rented  by @U0A, approved by @U0B  USD 0.80``"""
    when = entry.created_at.strftime("%Y-%m-%d %H:%MZ")
    status = entry.outcome.replace("_", " ") if entry.outcome else entry.state
    who = f"by {at(entry.requester)}"
    if entry.decided_by is not None:
        verb = {"denied": "denied", "cancelled": "cancelled"}.get(entry.state, "approved")
        who += f", {verb} by {at(entry.decided_by)}"
    parts: Sequence[str] = (
        when,
        f"{entry.action:<7}",
        number(entry.number),
        status,
        who,
        money(entry.price) if entry.price is not None else "",
    )
    return "  ".join(p for p in parts if p)
