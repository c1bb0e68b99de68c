"""`numbers-bot show|rent|release NUMBER`: the operator's way to act on one number.

The CLI holds the Sinch key itself, so it ignores RENT_ALLOWED_USER_IDS and approvals; it
still needs RENT_ENABLED=true for rent and release, and respects RENT_MAX_MONTHLY_PRICE.
Rent and release ask on a terminal and need ``--yes`` otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import json
from collections.abc import Callable
from typing import Any, TextIO

from bot.commands.number_change import parse_e164
from bot.config import Settings
from bot.errors import CommandError, ConfigError
from bot.number_change_text import active_lines, describe, number, offer_lines
from bot.number_changes import ChangeResult, NumberChanges, Prices
from bot.runtime import build_runtime
from bot.sandbox import SandboxServer
from bot.sandbox_mode import sandbox_settings

COMMANDS = ("show", "rent", "release")
EXIT_OK, EXIT_NOT_DONE, EXIT_REFUSED = 0, 1, 2
# Refused by this bot's own rules (configuration), not by Sinch: "bad input or configuration".
_REFUSED = frozenset({"over_ceiling", "price_changed", "price_unknown"})

Ask = Callable[[str], bool]


def add_parsers(sub: Any) -> None:
    """The three subcommands, next to `search`, `regions` and `active`."""
    helps = {
        "show": "show one number this project rents (configuration, charges, release date)",
        "rent": "rent one number (needs RENT_ENABLED=true; asks first, or --yes)",
        "release": "release one number (needs RENT_ENABLED=true; asks first, or --yes)",
    }
    for name in COMMANDS:
        p = sub.add_parser(name, help=helps[name], description=helps[name])
        p.add_argument("number", metavar="NUMBER", help="international form, e.g. +12065550100")
        if name != "show":
            p.add_argument(
                "--yes", action="store_true", help="do not ask (required without a terminal)"
            )
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.add_argument(
            "--sandbox", action="store_true", help="use the built-in Sinch sandbox (no credentials)"
        )
        p.add_argument(
            "--verbose", action="store_true", help="log at LOG_LEVEL (default: only the result)"
        )


def check(args: argparse.Namespace, settings: Settings, *, stdin: TextIO) -> str:
    """Everything that can be refused before talking to Sinch; returns the E.164 number."""
    usage = f"numbers-bot {args.command} +12065550100"
    phone = parse_e164(args.number, usage=usage)
    if args.command != "show":
        if not settings.rent_enabled:
            raise ConfigError(
                "renting and releasing are turned off: set RENT_ENABLED=true to use"
                f" `numbers-bot {args.command}`",
                names=["RENT_ENABLED"],
            )
        if not args.yes and not stdin.isatty():
            raise CommandError(
                f"`{args.command}` changes what the project pays for: add --yes to run it"
                " without a terminal to confirm on.",
                usage=f"{usage} --yes",
            )
    return phone


def terminal_ask(question: str) -> bool:
    answer = input(f"{question} [y/N] ")
    return answer.strip().lower() in {"y", "yes"}


async def run(
    args: argparse.Namespace, settings: Settings, phone: str, *, ask: Ask, out: TextIO
) -> int:
    async with contextlib.AsyncExitStack() as stack:
        if settings.sinch_sandbox:
            server = await stack.enter_async_context(SandboxServer())
            settings = sandbox_settings(settings, server)
        runtime = build_runtime(settings)
        stack.push_async_callback(runtime.aclose)
        return await _act(args, runtime.changes, phone, ask=ask, out=out)
    raise AssertionError("unreachable")


async def _act(
    args: argparse.Namespace, changes: NumberChanges, phone: str, *, ask: Ask, out: TextIO
) -> int:
    if args.command == "show":
        active = await changes.show(phone)
        if args.json:
            data = active.model_dump(mode="json") if active is not None else None
            print(
                json.dumps({"number": phone, "rented": active is not None, "active": data}),
                file=out,
            )
        elif active is None:
            print(f"This project does not rent {number(phone)}.", file=out)
        else:
            print("\n".join(active_lines(active)), file=out)
        return EXIT_OK if active is not None else EXIT_NOT_DONE
    approved = None
    if not args.yes:
        question = await _question(args.command, changes, phone)
        if question is not None:
            text, approved = question
            if not ask(text):
                print("Nothing was changed.", file=out)
                return EXIT_NOT_DONE
    if args.command == "rent":
        result = await changes.rent(phone, approved=approved)
    else:
        result = await changes.release(phone)
    return _report(args, result, changes, out)


async def _question(
    command: str, changes: NumberChanges, phone: str
) -> tuple[str, Prices | None] | None:
    """The confirmation question and, for a rent, the prices it names; None: nothing to ask
    (the change itself will then say why it cannot happen)."""
    if command == "rent":
        offer = await changes.quote(phone)
        if offer is None or not changes.policy.allows_offer(offer):
            return None
        details = "; ".join(offer_lines(offer))
        return f"Rent {number(phone)}? {details}.", Prices.of(offer)
    active = await changes.show(phone)
    if active is None:
        return None
    name = f" ({active.display_name})" if active.display_name else ""
    return f"Release {number(phone)}{name}? It stays active until the end of the paid period.", None


def _report(
    args: argparse.Namespace, result: ChangeResult, changes: NumberChanges, out: TextIO
) -> int:
    if args.json:
        active = result.active.model_dump(mode="json") if result.active is not None else None
        print(
            json.dumps(
                {
                    "action": result.action,
                    "number": result.number,
                    "outcome": result.outcome,
                    "done": result.done,
                    "active": active,
                }
            ),
            file=out,
        )
    else:
        print(describe(result, ceiling=changes.policy.max_monthly_price), file=out)
    if result.done:
        return EXIT_OK
    return EXIT_REFUSED if result.outcome in _REFUSED else EXIT_NOT_DONE
