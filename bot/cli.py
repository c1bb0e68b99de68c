"""`numbers-bot`: the same lookups as /numbers, from a terminal; plus `sandbox` and `serve`.

Exit codes: 0 ok, 2 bad input or configuration, 1 upstream (Sinch) error; each failure is one
line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import sys
from collections.abc import Sequence

from bot.cli_render import render_json, render_text
from bot.commands.parser import USAGE, parse_command
from bot.config import Settings, load_settings
from bot.domain import ActiveQuery, HelpQuery, Query, RegionsQuery, SearchQuery
from bot.errors import CommandError, ConfigError, SinchError
from bot.logging_setup import configure_logging, secret_values
from bot.results import Result
from bot.runtime import build_runtime
from bot.sandbox import SandboxConfig, SandboxServer, serve_forever
from bot.sandbox_mode import sandbox_settings

EXIT_OK, EXIT_UPSTREAM, EXIT_BAD_INPUT = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="numbers-bot",
        description="Find rentable Sinch phone numbers (the terminal twin of Slack's /numbers).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def lookup(name: str, help_: str, words: str) -> None:
        p = sub.add_parser(name, help=help_, description=help_)
        p.add_argument("words", nargs="*", metavar=words)
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.add_argument(
            "--sandbox", action="store_true", help="use the built-in Sinch sandbox (no credentials)"
        )
        p.add_argument(
            "--verbose", action="store_true", help="log at LOG_LEVEL (default: only the result)"
        )

    lookup(
        "search",
        "search available numbers, e.g. `search US LOCAL sms 206 limit:5`",
        "REGION|PLACE [TYPE] [sms] [voice] [DIGITS|contains:DIGITS|ends:DIGITS] [nodocs]"
        " [max:PRICE] [sort:price] [limit:N]; `search help` shows every form",
    )
    lookup("regions", "list regions where numbers are available", "[TYPE]")
    lookup("active", "list the numbers the project rents (all pages)", "[REGION] [TYPE]")

    sandbox = sub.add_parser("sandbox", help="serve the built-in Sinch sandbox on its own")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8765)
    sandbox.add_argument("--token-lifetime", type=int, default=3600, help="seconds (default 3600)")
    sandbox.add_argument("--latency-ms", type=float, default=0.0, help="added to every API answer")

    serve = sub.add_parser("serve", help="serve the Slack app on $PORT (same as python -m bot)")
    serve.add_argument("--sandbox", action="store_true", help="answer from the built-in sandbox")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "sandbox":
            return _run_sandbox(args)
        overrides = {"sinch_sandbox": True} if args.sandbox else {}
        settings = load_settings(**overrides)
        if args.command == "serve":
            return _run_serve(settings)
        query = _query(args.command, args.words)
        if isinstance(query, HelpQuery):
            print(_in_cli_terms(USAGE))
            return EXIT_OK
        settings.require("cli")
        # The outcome is the one line printed below; logs only when asked for.
        level = settings.log_level if args.verbose else "CRITICAL"
        configure_logging(level, secrets=secret_values(settings), json_lines=False)
        result = asyncio.run(_lookup(settings, query))
    except (CommandError, ConfigError) as err:
        usage = f" Usage: {err.usage}" if isinstance(err, CommandError) and err.usage else ""
        print(f"numbers-bot: {_in_cli_terms(f'{err}{usage}')}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SinchError as err:
        print(f"numbers-bot: Sinch error: {err}", file=sys.stderr)
        return EXIT_UPSTREAM
    except KeyboardInterrupt:
        return 130
    render = render_json if args.json else render_text
    print(render(result, sandbox=settings.sinch_sandbox))
    return EXIT_OK


def _in_cli_terms(text: str) -> str:
    """The grammar's hints speak Slack (`/numbers US LOCAL`); say the same in CLI words."""
    text = re.sub(r"/numbers (regions|active)\b", r"numbers-bot \1", text)
    text = text.replace("/numbers help", "numbers-bot --help")
    return text.replace("/numbers ", "numbers-bot search ")


def _query(command: str, words: Sequence[str]) -> Query:
    """Reuse the Slack grammar: `search US LOCAL sms` parses like `/numbers US LOCAL sms`."""
    text = " ".join(words) if command == "search" else " ".join([command, *words])
    query = parse_command(text)
    if isinstance(query, HelpQuery) and command == "search" and words:
        return query  # `numbers-bot search help`
    expected = {"search": SearchQuery, "regions": RegionsQuery, "active": ActiveQuery}[command]
    if not isinstance(query, expected):
        raise CommandError(
            "Give a region, e.g. `numbers-bot search US LOCAL`.",
            usage="numbers-bot search REGION [TYPE] [filters]",
        )
    return query


async def _lookup(settings: Settings, query: Query) -> Result:
    async with contextlib.AsyncExitStack() as stack:
        if settings.sinch_sandbox:
            server = await stack.enter_async_context(SandboxServer())
            settings = sandbox_settings(settings, server)
        runtime = build_runtime(settings)
        stack.push_async_callback(runtime.aclose)
        if isinstance(query, ActiveQuery):
            return await runtime.service.active_all(query.region, query.type)
        return await runtime.service.run(query)
    raise AssertionError("unreachable")


def _run_sandbox(args: argparse.Namespace) -> int:
    config = SandboxConfig(token_lifetime=args.token_lifetime, latency=args.latency_ms / 1000)
    print(
        f"Sinch sandbox on http://{args.host}:{args.port} "
        f"(SINCH_AUTH_URL=http://{args.host}:{args.port}/oauth2/token "
        f"SINCH_NUMBERS_URL=http://{args.host}:{args.port}); Ctrl-C stops it",
        file=sys.stderr,
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever(args.host, args.port, config))
    return EXIT_OK


def _run_serve(settings: Settings) -> int:
    from bot.server import serve  # uvicorn and Bolt are only needed here

    settings.require("serve")
    configure_logging(settings.log_level, secrets=secret_values(settings))
    asyncio.run(serve(settings))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
