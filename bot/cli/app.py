"""`numbers-bot`: the same lookups as /numbers, from a terminal; plus `sandbox` and `serve`.

Exit codes: 0 ok, 2 bad input or configuration, 1 upstream (Sinch) error; each failure is one
line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from bot.active import csv_export as active_csv
from bot.app.runtime import Runtime, build_runtime
from bot.app.sandbox_mode import answers_from_sandbox
from bot.cli import history as cli_history
from bot.cli import numbers as cli_numbers
from bot.cli import watches as cli_watches
from bot.cli.progress import WalkProgress
from bot.cli.render import SANDBOX_BANNER as SANDBOX_NOTE
from bot.cli.render import render_json, render_text
from bot.commands.parser import parse_command
from bot.commands.usage import SEARCH_HELP_LINES
from bot.core.domain import ActiveQuery, HelpQuery, Query, RegionsQuery, SearchQuery
from bot.core.errors import CommandError, ConfigError, SinchError, StoreUnavailableError
from bot.ops.config import Settings, load_settings
from bot.ops.logging_setup import configure_logging, secret_values
from bot.sandbox import SANDBOX_KEY_ID, SANDBOX_KEY_SECRET, SANDBOX_PROJECT_ID, SandboxConfig
from bot.search.results import Result

if TYPE_CHECKING:
    from bot.sandbox import SandboxServer
    from bot.sandbox.catalog import Offer

EXIT_OK, EXIT_UPSTREAM, EXIT_BAD_INPUT = 0, 1, 2
# 128 + SIGINT, what a shell reports for a command stopped by Ctrl-C.
EXIT_INTERRUPTED = 130
# Where a lookup's one-line error points for the whole grammar.
SEE_HELP = "See `numbers-bot search help`."
# `numbers-bot search help` after the search grammar: the CLI's commands, as the CLI runs them.
_CLI_COMMANDS = (
    "`numbers-bot regions [TYPE]`: regions that offer numbers (of that type)",
    "`numbers-bot active [REGION] [TYPE]`: the numbers this project rents, every page;"
    " `--summary` counts them, `--csv` exports every field",
    "`numbers-bot show +12065550100`: one number this project rents, in detail",
    "`numbers-bot rent +12065550100` · `numbers-bot release +12065550100`: change what the"
    " project rents (RENT_ENABLED=true; asks first, or --yes)",
    "`numbers-bot history +12065550100` · `numbers-bot history --csv`: who asked for which rent or"
    " release, who approved it, and how it ended (the bot's database)",
    "`numbers-bot watches --json` · `numbers-bot unwatch 3`: every watch in the bot's database"
    " · stop one",
    "`numbers-bot serve --sandbox`: the Slack app on $PORT · `numbers-bot sandbox --port 0`:"
    " a standalone Sinch sandbox",
    "`numbers-bot --help`: every command; `numbers-bot COMMAND --help`: its options",
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="numbers-bot",
        description="Find rentable Sinch phone numbers (the terminal twin of Slack's /numbers).",
        epilog=(
            "`numbers-bot search help` shows the search grammar (regions, places, filters);"
            " `numbers-bot COMMAND --help` a command's options. Results go to stdout, errors and"
            " progress to stderr. Exit codes: 0 ok, 1 Sinch error or not done, 2 bad input or"
            " configuration, 130 interrupted (Ctrl-C)."
        ),
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def lookup(name: str, help_: str, words: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.add_argument(
            "words",
            nargs="*",
            metavar=words,
            help="the words /numbers takes in Slack; `numbers-bot search help` lists them",
        )
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.add_argument(
            "--sandbox", action="store_true", help="use the built-in Sinch sandbox (no credentials)"
        )
        p.add_argument(
            "--verbose", action="store_true", help="log at LOG_LEVEL (default: only the result)"
        )
        return p

    lookup(
        "search",
        "search available numbers, e.g. `search US LOCAL sms 206 limit:5`",
        "REGION|PLACE [TYPE] [sms] [voice] [DIGITS|contains:DIGITS|ends:DIGITS] [nodocs]"
        " [max:PRICE] [sort:price] [limit:N]; `search help` shows every form",
    )
    lookup("regions", "list regions where numbers are available", "[TYPE]")
    active = lookup("active", "list the numbers the project rents (all pages)", "[REGION] [TYPE]")
    output = active.add_mutually_exclusive_group()
    output.add_argument(
        "--summary",
        action="store_true",
        help="counts by region and type, and the monthly cost per currency",
    )
    output.add_argument(
        "--csv", action="store_true", help="every field of every number as CSV, streamed"
    )
    active.add_argument(
        "--quiet", action="store_true", help="no progress line on stderr (none when piped either)"
    )
    cli_numbers.add_parsers(sub)
    cli_history.add_parser(sub)
    cli_watches.add_parsers(sub)

    sandbox_help = "serve the built-in Sinch sandbox on its own"
    sandbox = sub.add_parser(
        "sandbox",
        help=sandbox_help,
        description=(
            "Serve the built-in Sinch sandbox on its own: a fictional Sinch token endpoint and"
            " Numbers API."
            " Once it listens it prints the SINCH_* settings that point numbers-bot (or the"
            " Slack app) at it; results fetched through it say SANDBOX. Ctrl-C stops it."
        ),
    )
    sandbox.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    sandbox.add_argument(
        "--port",
        type=int,
        default=8765,
        help="port to listen on; 0 picks a free one (default 8765)",
    )
    sandbox.add_argument("--token-lifetime", type=int, default=3600, help="seconds (default 3600)")
    sandbox.add_argument("--latency-ms", type=float, default=0.0, help="added to every API answer")
    sandbox.add_argument(
        "--active-count",
        type=int,
        default=None,
        metavar="N",
        help="the project rents N generated numbers across regions and types (deterministic)",
    )
    sandbox.add_argument(
        "--new-number-every",
        type=float,
        default=None,
        metavar="SECONDS",
        help="put one more Seattle (+1206) number up for rent this often (to demo a watch)",
    )

    serve_help = "serve the Slack app on $PORT (same as python -m bot)"
    serve = sub.add_parser(
        "serve",
        help=serve_help,
        description=(
            "Serve the Slack app on 0.0.0.0:$PORT (the same as python -m bot). Settings come from"
            " the environment or .env"
            " (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SINCH_*; see the README's Configuration)."
            " SIGTERM drains in-flight commands; Ctrl-C too, then exits 130."
        ),
    )
    serve.add_argument("--sandbox", action="store_true", help="answer from the built-in sandbox")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The one entry point: every command's streams, pipes and Ctrl-C are handled here.

    Results go to stdout, everything else (errors, notes, progress) to stderr. A reader that
    leaves early (`| head`) is not an error: the rest of the output is dropped and the exit
    status is 0, as with `--csv`. Ctrl-C exits 130 without a traceback, as the shell expects.
    """
    try:
        try:
            return _main(argv)
        finally:
            # Flushed here, not at exit (argparse's --help exits through here too): a reader
            # that left early shows up inside this try.
            sys.stdout.flush()
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # Python would flush stdout again at exit and print "Exception ignored"; point the
        # descriptor at /dev/null so that flush has somewhere to go.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "sandbox":
            return _run_sandbox(args)
        if args.command in cli_watches.COMMANDS:
            return cli_watches.main(args)
        overrides = {"sinch_sandbox": True} if args.sandbox else {}
        settings = load_settings(**overrides)
        if args.command == "serve":
            return _run_serve(settings)
        if args.command in cli_numbers.COMMANDS:
            return _run_number_command(args, settings)
        if args.command == cli_history.COMMAND:
            return cli_history.run(args, settings, out=sys.stdout, err=sys.stderr)
        query = _query(args.command, args.words)
        if isinstance(query, HelpQuery):
            print("\n".join([*(_in_cli_terms(line) for line in SEARCH_HELP_LINES), *_CLI_COMMANDS]))
            return EXIT_OK
        settings.require("cli")
        # The outcome is the one line printed below; logs only when asked for.
        level = settings.log_level if args.verbose else "CRITICAL"
        configure_logging(level, secrets=secret_values(settings), json_lines=False)
        if getattr(args, "csv", False) and isinstance(query, ActiveQuery):
            if args.json:
                raise CommandError("Choose one of --csv and --json.")
            if answers_from_sandbox(settings):  # --sandbox, or a standalone sandbox's key
                print(SANDBOX_NOTE, file=sys.stderr)
            rows = _Rows()
            try:
                with WalkProgress(sys.stderr, quiet=args.quiet) as progress:
                    asyncio.run(_export_csv(settings, query, sys.stdout, rows, progress))
            except KeyboardInterrupt:
                print(
                    f"numbers-bot: interrupted after {rows.written:,} rows: the CSV is partial.",
                    file=sys.stderr,
                )
                raise
            return EXIT_OK
        summary = bool(getattr(args, "summary", False))
        # Only `active` walks pages; a search or the regions list is one quick request.
        quiet = getattr(args, "quiet", False) or not isinstance(query, ActiveQuery)
        with WalkProgress(sys.stderr, quiet=quiet) as progress:
            result = asyncio.run(_lookup(settings, query, progress, summary=summary))
    except (CommandError, ConfigError) as err:
        # One short line: what was wrong, then where the grammar is (not the whole usage).
        # show/rent/release have a one-line usage of their own.
        usage = ""
        if isinstance(err, CommandError) and err.usage:
            number_usage = args.command in cli_numbers.COMMANDS
            usage = f" Usage: {err.usage}" if number_usage else f" {SEE_HELP}"
        print(f"numbers-bot: {_in_cli_terms(f'{err}{usage}')}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SinchError as err:
        print(f"numbers-bot: Sinch error: {err}", file=sys.stderr)
        return EXIT_UPSTREAM
    except StoreUnavailableError as err:
        print(f"numbers-bot: {err}", file=sys.stderr)
        return EXIT_UPSTREAM
    render = render_json if args.json else render_text
    print(render(result, sandbox=answers_from_sandbox(settings)))
    return EXIT_OK


def _in_cli_terms(text: str) -> str:
    """The grammar's hints speak Slack (`/numbers US LOCAL`); say the same in CLI words."""
    text = re.sub(r"/numbers (regions|active)\b", r"numbers-bot \1", text)
    text = text.replace("/numbers help", "numbers-bot search help")
    return text.replace("/numbers ", "numbers-bot search ")


def _query(command: str, words: Sequence[str]) -> Query:
    """Reuse the Slack grammar: `search US LOCAL sms` parses like `/numbers US LOCAL sms`."""
    text = " ".join(words) if command == "search" else " ".join([command, *words])
    query = parse_command(text)
    if isinstance(query, HelpQuery) and command == "search" and text.strip():
        return query  # `numbers-bot search help`
    expected = {"search": SearchQuery, "regions": RegionsQuery, "active": ActiveQuery}[command]
    if not isinstance(query, expected):
        raise CommandError(
            "Give a region or a place, e.g. `numbers-bot search US LOCAL`.", usage=SEE_HELP
        )
    return query


async def _runtime(stack: contextlib.AsyncExitStack, settings: Settings) -> Runtime:
    """The runtime for one CLI lookup, against the in-process sandbox with --sandbox."""
    if settings.sinch_sandbox:
        # Imported only when used: uvicorn and Starlette cost an export's start-up time.
        from bot.app.sandbox_mode import sandbox_settings
        from bot.sandbox import SandboxServer

        server = await stack.enter_async_context(SandboxServer())
        settings = sandbox_settings(settings, server)
    runtime = build_runtime(settings)
    stack.push_async_callback(runtime.aclose)
    return runtime


async def _lookup(
    settings: Settings, query: Query, progress: WalkProgress, *, summary: bool = False
) -> Result:
    async with contextlib.AsyncExitStack() as stack:
        runtime = await _runtime(stack, settings)
        service = runtime.service
        if isinstance(query, ActiveQuery) and summary:
            # The terminal can wait: every page is counted.
            return await service.active_summary(
                query.region, query.type, budget=None, on_page=progress.page
            )
        if isinstance(query, ActiveQuery):
            return await service.active_all(query.region, query.type, on_page=progress.page)
        return await service.run(query)
    raise AssertionError("unreachable")


def _run_number_command(args: argparse.Namespace, settings: Settings) -> int:
    """show / rent / release: errors propagate to main()'s one-line handling."""
    phone = cli_numbers.check(args, settings, stdin=sys.stdin)
    settings.require("cli")
    level = settings.log_level if args.verbose else "CRITICAL"
    configure_logging(level, secrets=secret_values(settings), json_lines=False)
    return asyncio.run(
        cli_numbers.run(
            args, settings, phone, ask=cli_numbers.terminal_ask, out=sys.stdout, err=sys.stderr
        )
    )


@dataclass
class _Rows:
    """How many rows an export has written, for the line an interrupted export ends with."""

    written: int = 0


async def _export_csv(
    settings: Settings, query: ActiveQuery, out: TextIO, rows: _Rows, progress: WalkProgress
) -> None:
    """Write each page's rows as it arrives: memory holds one page, not every number."""
    async with contextlib.AsyncExitStack() as stack:
        runtime = await _runtime(stack, settings)
        writer = active_csv.writer(out)
        writer.writerow(active_csv.HEADER)
        walk = runtime.service.active_stream(query.region, query.type, on_page=progress.page)
        async for number in walk:
            writer.writerow(active_csv.row(number))
            rows.written += 1


def _run_sandbox(args: argparse.Namespace) -> int:
    from bot.sandbox import serve_forever
    from bot.sandbox.catalog import CATALOG
    from bot.sandbox.seeding import capacity

    if not 0 <= args.port <= 65535:
        print(
            f"numbers-bot: --port must be 0-65535 (0: any free port), not {args.port}",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    try:
        if args.active_count is not None and args.active_count > capacity(CATALOG):
            raise ValueError(f"--active-count: the sandbox can seed at most {capacity(CATALOG)}")
        every = args.new_number_every
        if every is not None and not (every > 0 and math.isfinite(every)):
            raise ValueError("--new-number-every: give a number of seconds above 0")
        config = SandboxConfig(
            token_lifetime=args.token_lifetime,
            latency=args.latency_ms / 1000,
            active_count=args.active_count,
        )
    except ValueError as err:
        print(f"numbers-bot: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(
                serve_forever(
                    args.host,
                    args.port,
                    config,
                    on_ready=_sandbox_banner,
                    new_number_every=args.new_number_every,
                    on_new_number=_new_stock_line,
                )
            )
    except OSError as err:  # port taken, address not local, host unknown
        reason = err.strerror or type(err).__name__
        print(
            f"numbers-bot: cannot serve the sandbox on {args.host}:{args.port}: {reason.lower()}",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    return EXIT_OK


def _sandbox_banner(server: SandboxServer) -> None:
    """Printed once listening: the real port, and the (fictional, public) key it accepts."""
    settings = {
        "SINCH_AUTH_URL": server.auth_url,
        "SINCH_NUMBERS_URL": server.numbers_url,
        "SINCH_PROJECT_ID": SANDBOX_PROJECT_ID,
        "SINCH_KEY_ID": SANDBOX_KEY_ID,
        "SINCH_KEY_SECRET": SANDBOX_KEY_SECRET,
    }
    lines = [
        f"Sinch sandbox on {server.base_url}: fictional numbers; Ctrl-C stops it.",
        "Point numbers-bot at it with these settings (a fictional key; results say SANDBOX):",
        *(f"  {name}={value}" for name, value in settings.items()),
    ]
    print("\n".join(lines), file=sys.stderr, flush=True)


def _new_stock_line(offer: Offer | None) -> None:
    text = "no fictional +1206 numbers left" if offer is None else offer.phone_number
    print(f"Sandbox: new number for rent: {text}", file=sys.stderr, flush=True)


def _run_serve(settings: Settings) -> int:
    from bot.app.server import serve  # uvicorn and Bolt are only needed here

    settings.require("serve")
    configure_logging(settings.log_level, secrets=secret_values(settings))
    asyncio.run(serve(settings))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
