"""`numbers-bot show|rent|release NUMBER`: the operator's way to act on one number.

The CLI holds the Sinch key itself, so it ignores RENT_ALLOWED_USER_IDS and approvals; it
still needs RENT_ENABLED=true for rent and release, and respects RENT_MAX_MONTHLY_PRICE.
Rent and release ask on a terminal and need ``--yes`` otherwise. What was done (or shown)
goes to ``out``; what was not done goes to ``err`` as text (stdout stays for results), while
``--json`` always answers on ``out``: the object says whether it was done.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from bot.app.runtime import Runtime, build_runtime
from bot.app.sandbox_mode import answers_from_sandbox, sandbox_settings
from bot.changes.ledger_text import at, provenance_of
from bot.changes.service import ChangeResult, NumberChanges, Prices
from bot.changes.text import active_lines, describe, number, offer_lines
from bot.cli.render import SANDBOX_BANNER
from bot.commands.number_change import parse_e164
from bot.core.errors import CommandError, ConfigError, StoreUnavailableError
from bot.ops.config import Settings
from bot.sandbox import SandboxServer
from bot.store.ledger import NewRequest

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
    args: argparse.Namespace,
    settings: Settings,
    phone: str,
    *,
    ask: Ask,
    out: TextIO,
    err: TextIO,
) -> int:
    async with contextlib.AsyncExitStack() as stack:
        if settings.sinch_sandbox:
            server = await stack.enter_async_context(SandboxServer())
            settings = sandbox_settings(settings, server)
        runtime = build_runtime(settings)
        stack.push_async_callback(runtime.aclose)
        say = _Say(out=out, err=err, sandbox=answers_from_sandbox(settings))
        if args.command == "show":
            return await _show(args, runtime, phone, say=say)
        return await _act(args, runtime, phone, ask=ask, say=say)
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class _Say:
    """Where text goes: results on ``out``, what was not done on ``err``; SANDBOX on both."""

    out: TextIO
    err: TextIO
    sandbox: bool

    def result(self, text: str) -> None:
        self._print(text, self.out)

    def refusal(self, text: str) -> None:
        self._print(text, self.err)

    def json(self, payload: dict[str, Any]) -> None:
        # Indented like `search --json`; the object itself says whether it was done.
        print(json.dumps({"sandbox": self.sandbox, **payload}, indent=2), file=self.out)

    def _print(self, text: str, stream: TextIO) -> None:
        print("\n".join([SANDBOX_BANNER, text] if self.sandbox else [text]), file=stream)


async def _show(args: argparse.Namespace, runtime: Runtime, phone: str, *, say: _Say) -> int:
    # The ledger's line is read beside Sinch's answer, and left out if the database is away.
    active, history = await asyncio.gather(
        runtime.changes.show(phone), provenance_of(runtime.ledger, phone, at)
    )
    history = history if active is not None else None
    if args.json:
        data = active.model_dump(mode="json") if active is not None else None
        say.json(
            {"number": phone, "rented": active is not None, "active": data, "history": history}
        )
    elif active is None:
        say.refusal(f"This project does not rent {number(phone)}.")
    else:
        say.result("\n".join([*active_lines(active), *([history] if history else [])]))
    return EXIT_OK if active is not None else EXIT_NOT_DONE


async def _act(
    args: argparse.Namespace, runtime: Runtime, phone: str, *, ask: Ask, say: _Say
) -> int:
    changes = runtime.changes
    approved = None
    if not args.yes:
        question = await _question(args.command, changes, phone)
        if question is not None:
            text, approved = question
            if not ask(text):
                say.refusal("Nothing was changed.")
                return EXIT_NOT_DONE
    # Recorded in the shared ledger like a Slack request (history shows who ran it), and
    # claimed before Sinch is called: without the database, nothing is sent.
    monthly = approved.monthly if approved is not None else None
    request = NewRequest(uuid.uuid4().hex, args.command, phone, _operator(), monthly)
    await runtime.ledger.claim(request, pending=False)  # StoreUnavailableError: main() says so
    if args.command == "rent":
        result = await changes.rent(phone, approved=approved)
    else:
        result = await changes.release(phone)
    with contextlib.suppress(StoreUnavailableError):  # then read back by a later sweep
        await runtime.ledger.settle(request.id, result.outcome, price=result.price)
    return _report(args, result, changes, say)


def _operator() -> str:
    """Who ran the CLI, as the ledger's requester: ``cli:alice`` ($USER), else ``cli``."""
    user = (os.environ.get("USER") or os.environ.get("LOGNAME") or "").strip()
    return f"cli:{user}"[:32] if user else "cli"


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
    args: argparse.Namespace, result: ChangeResult, changes: NumberChanges, say: _Say
) -> int:
    if args.json:
        active = result.active.model_dump(mode="json") if result.active is not None else None
        say.json(
            {
                "action": result.action,
                "number": result.number,
                "outcome": result.outcome,
                "done": result.done,
                "active": active,
            }
        )
    else:
        text = describe(result, ceiling=changes.policy.max_monthly_price)
        (say.result if result.done else say.refusal)(text)
    if result.done:
        return EXIT_OK
    return EXIT_REFUSED if result.outcome in _REFUSED else EXIT_NOT_DONE
