"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os

import pytest

from tests.fakes import FakeClock

_PREFIXES = ("SLACK_", "SINCH_", "ALLOWED_", "PORT", "SEARCH_CACHE", "USER_RATE", "LOG_LEVEL")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """pydantic-settings and Bolt read os.environ and ./.env: give every test a clean slate."""
    for name in list(os.environ):
        if name.startswith(_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()
