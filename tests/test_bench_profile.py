"""The command-path profile tools: bench.timers' in-process stages and bench.stages' table.

Timings are never asserted (they depend on the machine): what is checked is that every stage
is found and measured, so a renamed function cannot silently drop out of the benchmark's table.
"""

from __future__ import annotations

import asyncio
import cProfile
from pathlib import Path

import pytest

from bench import stages, timers


@pytest.fixture(scope="module")
def profiled(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, float], Path]:
    """One small in-process run of the ack and lookup paths, under cProfile."""
    path = tmp_path_factory.mktemp("profile") / "timers.prof"
    profile = cProfile.Profile()
    profile.enable()
    try:
        measured = asyncio.run(timers.measure(20, "US LOCAL"))
    finally:
        profile.disable()
    profile.dump_stats(path)
    return measured, path


def test_timers_measure_every_stage_of_a_search(profiled: tuple[dict[str, float], Path]) -> None:
    measured, _ = profiled
    assert set(measured) == {
        "ack path: route, inbound check, Bolt, listener",
        "parse",
        "service, Sinch client (httpx), pydantic",
        "Block Kit render",
        "JSON encode",
        "audit line and metrics",
    }
    assert all(value > 0 for value in measured.values())


def test_stages_finds_the_command_path_in_a_profile(
    profiled: tuple[dict[str, float], Path],
) -> None:
    _, path = profiled
    commands, rows = stages.stage_times(str(path))
    # measure() runs two rounds (a warm-up, then the measured one) of 20 commands.
    assert commands == 40
    found = {row.name: row for row in rows}
    for name in (
        "inbound check (body cap, HMAC, Bolt request)",
        "Bolt dispatch (middleware, authorize, ack)",
        "parse",
        "gate (allowlists, rate limit)",
        "service (validation, cache, fan-out)",
        "Sinch client (httpx, aiohttp, token, retry)",
        "pydantic parse of 30 numbers",
    ):
        assert found[name].ms_per_command > 0, name
    assert sum(row.share for row in rows) == pytest.approx(1.0)
