"""Fixtures shared by the whole suite."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest

from tests.fakes import FakeClock

# `pytester` runs a small pytest session in a test: it checks the suite's own log checks.
pytest_plugins = ["pytester"]

_PREFIXES = ("SLACK_", "SINCH_", "ALLOWED_", "PORT", "SEARCH_CACHE", "USER_RATE", "LOG_LEVEL")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """pydantic-settings and Bolt read os.environ and ./.env: give every test a clean slate."""
    for name in list(os.environ):
        if name.startswith(_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    # Each app a test starts would build every place index in a child process (seconds of
    # CPU); tests that want it (tests/commands/test_place_build.py) start it themselves.
    monkeypatch.setenv("PLACE_INDEX_WARMUP", "false")
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """The CLI and __main__ configure process logging; keep that from leaking into later tests."""
    root = logging.getLogger()
    names = ("httpx", "httpcore", "apscheduler")
    saved = (root.level, root.handlers[:], {n: logging.getLogger(n).level for n in names})
    yield
    root.setLevel(saved[0])
    root.handlers[:] = saved[1]
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()
