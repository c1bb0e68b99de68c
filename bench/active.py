"""`python -m bench.active`: what we rent, at scale. The sandbox rents N numbers (10,000) and
answers every page after 100 ms; the real web process (`python -m bot`) answers signed
`/numbers active` commands with a summary, and `numbers-bot active --csv` exports every number.

Measured: the summary's end-to-end time (command sent -> response_url message) with its cache
off, so every command walks every page; the CSV export's wall time (process start -> exit);
the pages each needed (the sandbox's counters); the server's RSS growth over the idle bot
(sampled from a thread) and the CLI's peak RSS; errors. Budgets: summary <= 2 s, CSV <= 3 s,
RSS growth <= 30 MB, 0 errors.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

# No stubs in the dev extras (as in bench.processes).
import psutil  # type: ignore[import-untyped, unused-ignore]

from bench.load import signed_commands
from bench.processes import REPO_ROOT, ProcessFailed, RssSampler, child_env
from bench.receiver import SlackReceiver
from bench.stack import Sandbox, start_sandbox, start_server
from bench.stats import summarize
from bot.sandbox.state import SANDBOX_KEY_ID, SANDBOX_KEY_SECRET, SANDBOX_PROJECT_ID

RESULTS_DIR = REPO_ROOT / "bench" / "results"
SUMMARY_BUDGET_S = 2.0
CSV_BUDGET_S = 3.0
RSS_GROWTH_BUDGET_MB = 30.0
_ANSWER_TIMEOUT = 15.0
_IDLE_SETTLE_S = 1.0
_MB = 1024 * 1024


@dataclass
class ActiveBenchResult:
    count: int
    latency_ms: float
    summary_commands: int
    summary_e2e_ms: dict[str, float]
    summary_pages: list[int]
    summary_counted: list[int]
    server_idle_rss_mb: float
    server_peak_rss_mb: float
    server_rss_growth_mb: float
    csv_wall_s: float
    csv_rows: int
    csv_pages: int
    csv_peak_rss_mb: float
    errors: list[str]
    cpus: int | None

    def budget_rows(self) -> list[tuple[str, str, str, bool]]:
        summary_max = self.summary_e2e_ms["max"] / 1000
        return [
            (
                "summary end-to-end, slowest",
                f"{summary_max:.2f} s",
                f"<= {SUMMARY_BUDGET_S:g} s",
                summary_max <= SUMMARY_BUDGET_S,
            ),
            (
                "CSV export wall time",
                f"{self.csv_wall_s:.2f} s",
                f"<= {CSV_BUDGET_S:g} s",
                self.csv_wall_s <= CSV_BUDGET_S,
            ),
            (
                "server RSS growth over idle",
                f"{self.server_rss_growth_mb:.1f} MB",
                f"<= {RSS_GROWTH_BUDGET_MB:g} MB",
                self.server_rss_growth_mb <= RSS_GROWTH_BUDGET_MB,
            ),
            ("errors", str(len(self.errors)), "= 0", not self.errors),
        ]


async def run(count: int, latency_ms: float, commands: int) -> ActiveBenchResult:
    receiver = SlackReceiver()
    await receiver.start()
    errors: list[str] = []
    try:
        async with contextlib.AsyncExitStack() as stack:
            control = await stack.enter_async_context(aiohttp.ClientSession())
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-a-")))
            sandbox = await start_sandbox(
                control,
                workdir,
                latency_ms=latency_ms,
                token_lifetime=3600,
                extra_args=("--active-count", str(count)),
            )
            stack.callback(sandbox.process.stop)
            await sandbox.delay_token_endpoint(control, latency_ms / 1000)
            secret = secrets.token_hex(16)
            server = await start_server(
                control,
                workdir,
                "proxied",
                sandbox=sandbox,
                slack_api_url=receiver.api_url,
                signing_secret=secret,
                bot_token=f"xoxb-bench-{secrets.token_hex(12)}",
                # Every measured command walks every page: no answer from the summary cache.
                extra_env={"ACTIVE_CACHE_TTL": "0"},
            )
            stack.callback(server.process.stop, signal.SIGTERM)
            await asyncio.sleep(_IDLE_SETTLE_S)
            idle = server.process.psutil.memory_info().rss
            sampler = RssSampler(server.process.psutil)
            sampler.start()
            stack.callback(sampler.stop)

            e2e: list[float] = []
            pages: list[int] = []
            counted: list[int] = []
            session = await stack.enter_async_context(aiohttp.ClientSession())
            signed = signed_commands(
                label="active", count=commands, text="active", secret=secret, receiver=receiver
            )
            for command in signed:
                before = await _active_calls(sandbox, control)
                answer = receiver.expect(command.key)
                sent = time.perf_counter()
                async with session.post(
                    server.events_url, data=command.body, headers=command.headers
                ) as response:
                    await response.read()
                    if response.status != 200:
                        errors.append(f"ack HTTP {response.status}")
                        receiver.forget(command.key)
                        continue
                try:
                    delivery = await asyncio.wait_for(answer, _ANSWER_TIMEOUT)
                except TimeoutError:
                    errors.append("no summary within 15 s")
                    continue
                e2e.append((delivery.arrived - sent) * 1000)
                pages.append(await _active_calls(sandbox, control) - before)
                header = str(delivery.message.get("text", ""))
                found = re.match(r"Rented numbers: ([\d,]+)(\+?)", header)
                if found is None or found.group(2):
                    errors.append(f"not a complete summary: {header[:80]!r}")
                    continue
                counted.append(int(found.group(1).replace(",", "")))
                if counted[-1] != count:
                    errors.append(f"summary counted {counted[-1]}, not {count}")
            sampler.stop()
            peak = sampler.peak_bytes

            before = await _active_calls(sandbox, control)
            wall, rows, csv_peak, problem = await _export_csv(sandbox, workdir, count)
            csv_pages = await _active_calls(sandbox, control) - before
            if problem:
                errors.append(problem)
    finally:
        await receiver.close()
    return ActiveBenchResult(
        count=count,
        latency_ms=latency_ms,
        summary_commands=commands,
        summary_e2e_ms=_ms(e2e),
        summary_pages=pages,
        summary_counted=counted,
        server_idle_rss_mb=idle / _MB,
        server_peak_rss_mb=peak / _MB,
        server_rss_growth_mb=max(0, peak - idle) / _MB,
        csv_wall_s=wall,
        csv_rows=rows,
        csv_pages=csv_pages,
        csv_peak_rss_mb=csv_peak / _MB,
        errors=errors,
        cpus=_cpus(),
    )


async def _active_calls(sandbox: Sandbox, control: aiohttp.ClientSession) -> int:
    stats = await sandbox.stats(control)
    return int(stats["numbers_calls"]["activeNumbers"])


async def _export_csv(
    sandbox: Sandbox, workdir: Path, count: int
) -> tuple[float, int, int, str | None]:
    """`numbers-bot active --csv` as a user runs it: wall time from spawn to exit."""
    env = child_env(
        {
            "SINCH_AUTH_URL": f"{sandbox.base_url}/oauth2/token",
            "SINCH_NUMBERS_URL": sandbox.base_url,
            "SINCH_PROJECT_ID": SANDBOX_PROJECT_ID,
            "SINCH_KEY_ID": SANDBOX_KEY_ID,
            "SINCH_KEY_SECRET": SANDBOX_KEY_SECRET,
        }
    )
    out_path = workdir / "active.csv"
    started = time.perf_counter()
    with out_path.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "active", "--csv"],
            stdout=out,
            stderr=subprocess.PIPE,
            env=env,
            cwd=workdir,
        )
        sampler = RssSampler(psutil.Process(process.pid), interval=0.01)
        sampler.start()
        _, stderr = await asyncio.to_thread(process.communicate)
        wall = time.perf_counter() - started
        sampler.stop()
    text = out_path.read_text("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    problem = None
    if process.returncode != 0:
        problem = f"CSV export exited {process.returncode}: {stderr.decode()[-200:]!r}"
    elif len(rows) != count + 1:
        problem = f"CSV had {len(rows) - 1} rows, not {count}"
    return wall, len(rows) - 1, sampler.peak_bytes, problem


def _ms(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": 0.0, "max": 0.0}
    summary = summarize(values)
    return {"p50": summary.p50, "max": summary.max}


def _cpus() -> int | None:
    return os.cpu_count()


def render(result: ActiveBenchResult) -> str:
    e2e = result.summary_e2e_ms
    lines = [
        f"numbers-bot active benchmark: {result.count:,} rented numbers, upstream latency "
        f"{result.latency_ms:g} ms per page (token endpoint too), {result.cpus} CPUs",
        "",
        f"/numbers active summary, end-to-end ({result.summary_commands} commands, cache off): "
        f"p50 {e2e['p50'] / 1000:.2f} s, slowest {e2e['max'] / 1000:.2f} s; "
        f"pages per summary {sorted(set(result.summary_pages))}; "
        f"counted {sorted(set(result.summary_counted))}",
        f"numbers-bot active --csv: {result.csv_wall_s:.2f} s wall (process start to exit), "
        f"{result.csv_rows:,} rows, {result.csv_pages} pages, peak RSS "
        f"{result.csv_peak_rss_mb:.1f} MB",
        f"server RSS: idle {result.server_idle_rss_mb:.1f} MB, peak during the summaries "
        f"{result.server_peak_rss_mb:.1f} MB (+{result.server_rss_growth_mb:.1f} MB)",
        f"errors: {len(result.errors)}"
        + (f" ({'; '.join(result.errors[:3])})" if result.errors else ""),
        "",
        f"{'budget check':<32}  {'measured':>9}  {'budget':>9}  result",
    ]
    for name, measured, budget, ok in result.budget_rows():
        lines.append(f"{name:<32}  {measured:>9}  {budget:>9}  {'PASS' if ok else 'MISS'}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.active", description=__doc__)
    parser.add_argument("--count", type=int, default=10_000, help="rented numbers (10000)")
    parser.add_argument("--latency-ms", type=float, default=100.0, help="per page (100)")
    parser.add_argument("--commands", type=int, default=5, help="summary commands, one at a time")
    parser.add_argument(
        "--out", type=Path, help="JSON file (default bench/results/active-<time>.json)"
    )
    args = parser.parse_args(argv)
    try:
        result = asyncio.run(run(args.count, args.latency_ms, args.commands))
    except ProcessFailed as exc:
        print(f"bench.active: {exc}", file=sys.stderr)
        return 1
    print(render(result))
    out: Path = args.out or RESULTS_DIR / f"active-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    payload: dict[str, Any] = asdict(result)
    payload["budgets"] = [
        {"check": n, "measured": m, "budget": b, "pass": ok} for n, m, b, ok in result.budget_rows()
    ]
    out.write_text(json.dumps(payload, indent=2) + "\n", "utf-8")
    print(f"\nresults: {out}")
    return 0 if all(ok for *_, ok in result.budget_rows()) else 1


if __name__ == "__main__":
    sys.exit(main())
