"""The issue's budget: each row's measured value, its limit, and PASS / MISS (or n/a)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from bench.runner import BenchReport, ModeResult, PassResult

Status = Literal["PASS", "MISS", "n/a"]


@dataclass(frozen=True)
class BudgetRow:
    name: str
    measured: float | None
    limit: float
    unit: str  # "ms", "s", "MB", "×" or "" (a count)
    status: Status
    note: str = ""

    def measured_text(self) -> str:
        return "—" if self.measured is None else _number(self.measured, self.unit)

    def limit_text(self) -> str:
        sign = "=" if self.unit == "" else "≤"
        return f"{sign} {_number(self.limit, self.unit)}"


def evaluate(report: BenchReport) -> list[BudgetRow]:
    """Every budget row. A smoke run judges correctness only (errors, token fetches)."""
    timed = not report.options.smoke
    proxied = report.modes.get("proxied")
    naive = report.modes.get("naive")
    c = report.options.concurrency
    c1 = _pass(proxied, "c1")
    load = _pass(proxied, "load")
    naive_load = _pass(naive, "load")
    floor = report.modes.get("floor")
    floor_c1 = _pass(floor, "c1")
    floor_load = _pass(floor, "load")

    rows = [
        _row("overhead p50 at C=1", c1.overhead.p50 if c1 else None, 5.0, "ms", judged=timed),
        _row("overhead p99 at C=1", c1.overhead.p99 if c1 else None, 10.0, "ms", judged=timed),
        _row(f"ack latency p99 at C={c}", load.ack.p99 if load else None, 50.0, "ms", judged=timed),
        _ratio_row(f"end-to-end p99 at C={c} vs naive", load, naive_load, _e2e_p99, 0.55, timed),
        _ratio_row(f"server CPU per command at C={c} vs naive", load, naive_load, _cpu, 0.6, timed),
        # Against the floor (bench.floor_server): what the framework, features and guards cost.
        _ratio_row(f"server CPU per command at C={c} vs floor", load, floor_load, _cpu, 1.6, timed),
        _row(
            "overhead p50 at C=1 over floor",
            c1.overhead.p50 - floor_c1.overhead.p50 if c1 and floor_c1 else None,
            1.5,
            "ms",
            judged=timed,
        ),
        _ratio_row(f"end-to-end p99 at C={c} vs floor", load, floor_load, _e2e_p99, 1.15, timed),
        _row(
            "token fetches during the load",
            None if proxied is None else float(proxied.request_path_token_fetches),
            0,
            "",
            judged=True,
            note="" if proxied is None else f"{proxied.startup_token_fetches} at start-up",
        ),
        _row(
            "peak RSS of the server",
            proxied.peak_rss_bytes / 2**20 if proxied else None,
            120.0,
            "MB",
            judged=timed,
        ),
        _row(
            "cold start to /readyz 200",
            proxied.cold_start_seconds if proxied else None,
            1.5,
            "s",
            judged=timed,
        ),
        _row(
            "errors",
            float(sum(mode.errors for mode in report.modes.values())),
            0,
            "",
            judged=True,
            note="all modes and passes",
        ),
    ]
    return rows


def _pass(mode: ModeResult | None, name: str) -> PassResult | None:
    return None if mode is None else mode.passes.get(name)


def _cpu(result: PassResult) -> float:
    return result.cpu_ms_per_command


def _e2e_p99(result: PassResult) -> float:
    return result.e2e.p99


def _ratio_row(
    name: str,
    bot: PassResult | None,
    baseline: PassResult | None,
    pick: Callable[[PassResult], float],
    limit: float,
    judged: bool,
) -> BudgetRow:
    """The bot's ``pick`` over the baseline's (the naive server or the floor), as a ratio."""
    measured = _ratio(pick(bot) if bot else None, pick(baseline) if baseline else None)
    return _row(name, measured, limit, "×", judged=judged)


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return numerator / denominator


def _row(
    name: str,
    measured: float | None,
    limit: float,
    unit: str,
    *,
    judged: bool,
    note: str = "",
) -> BudgetRow:
    if measured is None or math.isnan(measured) or not judged:
        status: Status = "n/a"
    else:
        status = "PASS" if measured <= limit else "MISS"
    return BudgetRow(name, measured, limit, unit, status, note)


def _number(value: float, unit: str) -> str:
    if unit == "":
        return f"{value:.0f}"
    if unit == "×":
        return f"{value:.2f}×"
    if unit == "s":
        return f"{value:.2f} s"
    # Enough digits that a value just over its limit never prints as equal to it.
    return f"{value:.2f} {unit}" if abs(value) < 10 else f"{value:.1f} {unit}"
