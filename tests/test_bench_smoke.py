"""`python -m bench --smoke`: every command answered, no errors, token fetches where expected.

Correctness only: the benchmark's timings depend on the machine and are never asserted here.
"""

from __future__ import annotations

import contextlib
import json
import signal
from collections.abc import Iterator
from typing import Any

import psutil  # type: ignore[import-untyped, unused-ignore]
import pytest

from bench.cli import main

BENCH_DB_PASSWORD = "bench-db-password-never-written"
# uvicorn re-raises the SIGTERM it handled once it has shut down gracefully.
_CLEAN_EXITS = {0, -signal.SIGTERM}


@pytest.fixture(scope="module")
def reap_children() -> Iterator[None]:
    """Safety net: whatever a failed run left running is killed here."""
    yield
    children = psutil.Process().children(recursive=True)
    for child in children:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()
    psutil.wait_procs(children, timeout=5)


@pytest.fixture(scope="module")
def smoke_result(
    tmp_path_factory: pytest.TempPathFactory, reap_children: None, pg_url: str
) -> dict[str, Any]:
    """One smoke run (about 5 s) shared by the tests below, which only read its JSON. The bot
    runs on the suite's PostgreSQL (a password in the URL, which trust auth ignores)."""
    out = tmp_path_factory.mktemp("bench") / "smoke.json"
    database_url = pg_url.replace("postgres@", f"postgres:{BENCH_DB_PASSWORD}@", 1)
    # 20 ms of injected latency keeps the run short; correctness does not depend on it.
    argv = ["--smoke", "--latency-ms", "20", "--out", str(out), "--database-url", database_url]
    exit_code = main(argv)
    assert exit_code == 0
    assert not psutil.Process().children(recursive=True), "the bench left processes running"
    result: dict[str, Any] = json.loads(out.read_text("utf-8"))
    return result


def test_every_command_is_answered_without_errors(smoke_result: dict[str, Any]) -> None:
    modes = smoke_result["modes"]
    assert set(modes) == {"proxied", "naive"}
    for mode in modes.values():
        assert mode["errors"] == 0
        assert mode["server_exit_code"] in _CLEAN_EXITS
        assert set(mode["passes"]) == {"warmup", "c1", "load"}
        for run in mode["passes"].values():
            assert run["commands"] > 0
            assert run["answered"] == run["commands"]
            assert run["errors"] == 0
            assert run["error_examples"] == []
            assert run["numbers_calls"] == run["commands"]  # the search cache was off
    assert modes["proxied"]["passes"]["load"]["commands"] == 20
    assert modes["proxied"]["passes"]["load"]["concurrency"] == 5


def test_proxied_mode_fetches_no_token_on_the_request_path(smoke_result: dict[str, Any]) -> None:
    proxied = smoke_result["modes"]["proxied"]
    assert proxied["startup_token_fetches"] == 1
    assert proxied["request_path_token_fetches"] == 0
    for run in proxied["passes"].values():
        assert run["token_fetches"] == 0


def test_naive_mode_fetches_a_token_per_command(smoke_result: dict[str, Any]) -> None:
    for run in smoke_result["modes"]["naive"]["passes"].values():
        assert run["token_fetches"] >= run["commands"]


def test_the_budget_judges_correctness_but_not_timings(smoke_result: dict[str, Any]) -> None:
    statuses = {row["name"]: row["status"] for row in smoke_result["budget"]}
    assert statuses["errors"] == "PASS"
    assert statuses["token fetches during the load"] == "PASS"
    timed = {name for name in statuses if name not in {"errors", "token fetches during the load"}}
    assert timed
    assert {statuses[name] for name in timed} == {"n/a"}


def test_the_database_variant_is_recorded_without_its_password(
    smoke_result: dict[str, Any],
) -> None:
    assert smoke_result["options"]["database_url"].startswith("PostgreSQL at ")
    assert BENCH_DB_PASSWORD not in json.dumps(smoke_result)
    assert "<redacted>" in smoke_result["argv"]
