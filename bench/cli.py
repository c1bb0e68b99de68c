"""Command line of `python -m bench`: options, the run, the table, the JSON file, the exit code."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench.budget import evaluate
from bench.processes import REPO_ROOT, ProcessFailed
from bench.report import render_text, to_json
from bench.runner import MODES, BenchOptions, BenchReport, py_spy_path, run_bench
from bench.stack import Mode

RESULTS_DIR = REPO_ROOT / "bench" / "results"  # git-ignored
EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 130

# (full run, --smoke) defaults; an explicit flag wins over either.
_PRESETS = {
    "commands": (500, 20),
    "concurrency": (50, 5),
    "c1_commands": (50, 5),
    "warmup": (100, 10),
}


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("cannot be negative")
    return value


def _milliseconds(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 60_000:
        raise argparse.ArgumentTypeError("must be between 0 and 60000 ms")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=(
            "Load-test the real web process (python -m bot) against the built-in Sinch sandbox "
            "with injected upstream latency; compare with a token-per-command (naive) server."
        ),
    )
    parser.add_argument("--commands", type=_positive, help="commands in the load pass (500)")
    parser.add_argument("--concurrency", type=_positive, help="commands in flight (50)")
    parser.add_argument("--c1-commands", type=_count, help="commands in the C=1 pass (50)")
    parser.add_argument(
        "--warmup",
        type=_count,
        help="unjudged warm-up commands per mode, sent at --concurrency (100)",
    )
    parser.add_argument(
        "--latency-ms",
        type=_milliseconds,
        default=100.0,
        help="latency the sandbox adds to every Numbers API answer (100)",
    )
    parser.add_argument(
        "--token-latency-ms",
        type=_milliseconds,
        help="latency of the sandbox's token endpoint (default: --latency-ms)",
    )
    parser.add_argument(
        "--ramp-ms",
        type=_milliseconds,
        help="spread the workers' first commands over this long (default: --latency-ms; "
        "0 sends the first --concurrency commands at once)",
    )
    parser.add_argument(
        "--naive",
        "--naive-token",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="only the naive token-per-command server (--no-naive: only the real one; "
        "default: both, side by side)",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="a quick correctness run: 20 commands at C=5, 5 at C=1, both modes, no timing verdict",
    )
    parser.add_argument(
        "--text", default="US LOCAL", help="the /numbers text, a search with results (US LOCAL)"
    )
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="DATABASE_URL for the bot (default: its SQLite file in a scratch directory)",
    )
    parser.add_argument("--out", type=Path, help="JSON file (default bench/results/<time>.json)")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="record each load pass with py-spy into DIR (collapsed stacks; skews timings)",
    )
    return parser


def options_from(args: argparse.Namespace) -> BenchOptions:
    preset = 1 if args.smoke else 0
    chosen = {
        name: value[preset] if getattr(args, name) is None else getattr(args, name)
        for name, value in _PRESETS.items()
    }
    modes: tuple[Mode, ...] = MODES
    if args.naive is not None:
        modes = ("naive",) if args.naive else ("proxied",)
    return BenchOptions(
        commands=chosen["commands"],
        concurrency=chosen["concurrency"],
        c1_commands=chosen["c1_commands"],
        warmup=chosen["warmup"],
        latency_ms=args.latency_ms,
        token_latency_ms=(
            args.latency_ms if args.token_latency_ms is None else args.token_latency_ms
        ),
        ramp_ms=args.ramp_ms,
        modes=modes,
        smoke=args.smoke,
        text=args.text,
        profile_dir=args.profile,
        database_url=args.database_url,
    )


async def _run_until_signalled(options: BenchOptions) -> BenchReport:
    """run_bench(), cancelled on SIGTERM as on Ctrl-C, so its servers are always stopped."""
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        return await run_bench(options)
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    args = parser.parse_args(arguments)
    options = options_from(args)
    if options.profile_dir is not None and py_spy_path() is None:
        parser.error("--profile needs py-spy (.venv/bin/pip install py-spy)")
    try:
        report = asyncio.run(_run_until_signalled(options))
    except ProcessFailed as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("bench: interrupted; the servers were stopped", file=sys.stderr)
        return EXIT_INTERRUPTED
    rows = evaluate(report)
    print(render_text(report, rows))
    out = args.out or RESULTS_DIR / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(to_json(report, rows, arguments), indent=2) + "\n", "utf-8")
    print(f"\nresults: {out}")
    errors = sum(mode.errors for mode in report.modes.values())
    return EXIT_FAILED if errors else EXIT_OK
