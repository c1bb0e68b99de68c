"""Rendering a run: the side-by-side table and budget for people, the full record as JSON."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

from bench.budget import BudgetRow
from bench.runner import BenchReport, ModeResult, PassResult
from bench.stats import Summary
from bot.store.url import database_target

SCHEMA_VERSION = 1

_Value = int | float | Summary | None
_Cell = Callable[[ModeResult], _Value]


def render_text(report: BenchReport, rows: Sequence[BudgetRow]) -> str:
    options = report.options
    modes = list(report.modes.values())
    title = (
        f"numbers-bot benchmark: {options.commands} commands at C={options.concurrency}, "
        f"{options.c1_commands} at C=1, after {options.warmup} warm-up; upstream latency "
        f"{options.latency_ms:g} ms (token endpoint {options.token_latency_ms:g} ms), "
        f"ramp {options.ramp_seconds * 1000:g} ms, "
        f"{report.machine.get('cpus')} CPUs, {report.duration_seconds:.0f} s"
    )
    header = ["", *(m.mode for m in modes)]
    both = len(modes) == 2
    if both:
        header.append(f"{modes[0].mode}/{modes[1].mode}")
    table = [header]
    for label, cell in _metrics(options.concurrency):
        values = [cell(m) for m in modes]
        line = [label, *(_show(v) for v in values)]
        if both:
            line.append(_show_ratio(values[0], values[1]))
        table.append(line)
    budget = [["budget check", "measured", "budget", "result"]]
    budget += [
        [row.name, row.measured_text(), row.limit_text(), row.status + _note(row.note)]
        for row in rows
    ]
    errors = [
        f"  {m.mode} {name}: {example}"
        for m in modes
        for name, p in m.passes.items()
        for example in p.error_examples
    ]
    parts = [title, "", _grid(table), "", _grid(budget)]
    if options.smoke:
        parts.append("(smoke run: timings are shown but not judged)")
    if errors:
        parts += ["", "errors:", *errors]
    return "\n".join(parts)


def to_json(report: BenchReport, rows: Sequence[BudgetRow], argv: Sequence[str]) -> dict[str, Any]:
    options = asdict(report.options)
    options["modes"] = list(report.options.modes)
    options["profile_dir"] = str(report.options.profile_dir or "") or None
    options["ramp_ms"] = report.options.ramp_seconds * 1000
    # Which store, never its password (the URL carries it).
    url = report.options.database_url
    options["database_url"] = database_target(url).describe() if url else None
    return {
        "schema": SCHEMA_VERSION,
        "started_at": report.started_at.isoformat(timespec="seconds"),
        "duration_s": round(report.duration_seconds, 3),
        "argv": _redacted(argv),
        "machine": report.machine,
        "options": options,
        "modes": {name: _mode_json(mode) for name, mode in report.modes.items()},
        "ratios": _ratios(report),
        "budget": [
            {
                "name": row.name,
                "measured": _finite(row.measured),
                "limit": row.limit,
                "unit": row.unit,
                "status": row.status,
                "note": row.note,
            }
            for row in rows
        ],
    }


def _metrics(concurrency: int) -> list[tuple[str, _Cell]]:
    def of(name: str, pick: Callable[[PassResult], int | float | Summary]) -> _Cell:
        def cell(mode: ModeResult) -> _Value:
            found = mode.passes.get(name)
            return None if found is None else pick(found)

        return cell

    c = f"C={concurrency}"
    return [
        ("cold start to /readyz 200 (s)", lambda m: m.cold_start_seconds),
        ("peak RSS (MB)", lambda m: m.peak_rss_bytes / 2**20),
        ("direct upstream search p50/p95/p99 (ms)", lambda m: m.direct_upstream),
        ("C=1 ack p50/p95/p99 (ms)", of("c1", lambda p: p.ack)),
        ("C=1 end-to-end p50/p95/p99 (ms)", of("c1", lambda p: p.e2e)),
        ("C=1 overhead p50/p95/p99 (ms)", of("c1", lambda p: p.overhead)),
        ("C=1 end-to-end minus direct upstream, p50 (ms)", _bot_share),
        ("C=1 server CPU per command (ms)", of("c1", lambda p: p.cpu_ms_per_command)),
        (f"{c} ack p50/p95/p99 (ms)", of("load", lambda p: p.ack)),
        (f"{c} end-to-end p50/p95/p99 (ms)", of("load", lambda p: p.e2e)),
        (f"{c} overhead p50/p95/p99 (ms)", of("load", lambda p: p.overhead)),
        (f"{c} throughput (commands/s)", of("load", lambda p: p.throughput)),
        (f"{c} server CPU per command (ms)", of("load", lambda p: p.cpu_ms_per_command)),
        (f"{c} sandbox CPU per command (ms)", of("load", lambda p: p.sandbox_cpu_ms_per_command)),
        (
            f"{c} load generator CPU per command (ms)",
            of("load", lambda p: p.loadgen_cpu_ms_per_command),
        ),
        ("token fetches at start-up", lambda m: m.startup_token_fetches),
        ("token fetches during C=1", of("c1", lambda p: p.token_fetches)),
        (f"token fetches during {c}", of("load", lambda p: p.token_fetches)),
        ("errors (all passes)", lambda m: m.errors),
    ]


def _bot_share(mode: ModeResult) -> float | None:
    """The bot's own part of the C=1 overhead: what the upstream alone did not take."""
    c1 = mode.passes.get("c1")
    return None if c1 is None else c1.e2e.p50 - mode.direct_upstream.p50


def _show(value: _Value) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):  # a count
        return str(value)
    if isinstance(value, Summary):
        return " / ".join(_short(v) for v in (value.p50, value.p95, value.p99))
    return _short(value)


def _show_ratio(left: _Value, right: _Value) -> str:
    if isinstance(left, Summary) and isinstance(right, Summary):
        pairs = [(left.p50, right.p50), (left.p95, right.p95), (left.p99, right.p99)]
        return " / ".join(_ratio_text(a, b) for a, b in pairs)
    if isinstance(left, float | int) and isinstance(right, float | int):
        return _ratio_text(float(left), float(right))
    return "—"


def _ratio_text(left: float, right: float) -> str:
    if right <= 0 or math.isnan(left) or math.isnan(right):
        return "—"
    return f"{left / right:.2f}×"


def _short(value: float) -> str:
    if math.isnan(value):
        return "—"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def _note(note: str) -> str:
    return f" ({note})" if note else ""


def _grid(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _mode_json(mode: ModeResult) -> dict[str, Any]:
    return {
        "injected_upstream_ms": mode.injected_ms,
        "cold_start_s": round(mode.cold_start_seconds, 4),
        "direct_upstream_ms": mode.direct_upstream.as_dict(),
        "peak_rss_mb": round(mode.peak_rss_bytes / 2**20, 2),
        "rss_samples": mode.rss_samples,
        "startup_token_fetches": mode.startup_token_fetches,
        "request_path_token_fetches": mode.request_path_token_fetches,
        "errors": mode.errors,
        "server_exit_code": mode.server_exit_code,
        "passes": {name: _pass_json(p) for name, p in mode.passes.items()},
    }


def _pass_json(p: PassResult) -> dict[str, Any]:
    return {
        "concurrency": p.concurrency,
        "commands": p.commands,
        "answered": p.answered,
        "errors": p.errors,
        "error_examples": list(p.error_examples),
        "wall_s": round(p.wall_seconds, 4),
        "throughput_per_s": round(p.throughput, 2),
        "ack_ms": p.ack.as_dict(),
        "e2e_ms": p.e2e.as_dict(),
        "overhead_ms": p.overhead.as_dict(),
        "token_fetches": p.token_fetches,
        "numbers_calls": p.numbers_calls,
        "server_cpu_s": round(p.server_cpu_seconds, 4),
        "server_cpu_ms_per_command": round(p.cpu_ms_per_command, 3),
        "sandbox_cpu_s": round(p.sandbox_cpu_seconds, 4),
        "loadgen_cpu_s": round(p.loadgen_cpu_seconds, 4),
        "samples": {
            "columns": ["sent_ms", "ack_ms", "e2e_ms"],
            "rows": [[_rounded(value) for value in row] for row in p.timeline],
        },
    }


def _ratios(report: BenchReport) -> dict[str, float | None]:
    """proxied ÷ naive for the load pass's headline numbers (empty unless both modes ran)."""
    proxied, naive = report.modes.get("proxied"), report.modes.get("naive")
    if proxied is None or naive is None:
        return {}
    a, b = proxied.passes["load"], naive.passes["load"]
    pairs = {
        "e2e_p50": (a.e2e.p50, b.e2e.p50),
        "e2e_p99": (a.e2e.p99, b.e2e.p99),
        "ack_p99": (a.ack.p99, b.ack.p99),
        "throughput": (a.throughput, b.throughput),
        "server_cpu_per_command": (a.cpu_ms_per_command, b.cpu_ms_per_command),
        "peak_rss": (float(proxied.peak_rss_bytes), float(naive.peak_rss_bytes)),
        "cold_start": (proxied.cold_start_seconds, naive.cold_start_seconds),
    }
    return {
        name: None if not right or math.isnan(left) else round(left / right, 4)
        for name, (left, right) in pairs.items()
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _finite(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else round(value, 4)


def _redacted(argv: Sequence[str]) -> list[str]:
    """argv without --database-url's value."""
    out: list[str] = []
    for arg in argv:
        if out and out[-1] == "--database-url":
            arg = "<redacted>"
        elif arg.startswith("--database-url="):
            arg = "--database-url=<redacted>"
        out.append(arg)
    return out
