"""Every country's place index, built in a child process at start-up (place_build.py)."""

from __future__ import annotations

import os

import pytest

from bot.commands import place_build, places
from bot.ops.config import Settings


@pytest.fixture
def without_sweden() -> None:
    """Forget Sweden's index so only the warm-up can bring it back."""
    places._indexes.pop("46", None)


@pytest.mark.usefixtures("without_sweden")
def test_the_warm_up_builds_in_a_child_and_installs_the_indexes() -> None:
    warmup = place_build.Warmup(["46"])
    warmup.start()
    assert warmup.done.wait(timeout=120)
    index = places._indexes["46"]
    assert "stockholm" in index.names
    match = places.find_place("stockholm", "SE")
    assert match is not None
    assert match.best.areas == ("8",)


@pytest.mark.usefixtures("without_sweden")
def test_a_closed_warm_up_installs_nothing() -> None:
    warmup = place_build.Warmup(["46"])
    warmup.close()  # shutdown before it ran: no child starts
    warmup.start()
    assert warmup.done.wait(timeout=120)
    assert "46" not in places._indexes


def test_closing_kills_a_running_child_and_installs_nothing() -> None:
    places._indexes.pop("86", None)
    warmup = place_build.Warmup(["86"])  # China: seconds of work, so still running below
    warmup.start()
    assert warmup.started.wait(timeout=60)
    warmup.close()
    assert warmup.done.wait(timeout=60)
    assert "86" not in places._indexes


def test_while_the_build_runs_a_typo_builds_no_typo_index_on_the_event_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(places, "_suggestions", {})
    places.suggestions_come_later()
    try:
        assert places.suggest_anywhere("seatle") == []
        assert places._suggestions == {}
    finally:
        places.suggestions_come_later(False)
    assert places.suggest_anywhere("seatle")[0].words == "seattle"


def test_a_failed_build_is_logged_and_searches_build_as_before(
    caplog: pytest.LogCaptureFixture,
) -> None:
    warmup = place_build.Warmup(["not-a-calling-code"])  # the child exits with an error
    warmup.start()
    assert warmup.done.wait(timeout=120)
    assert "place index warm-up failed (exit status 1)" in caplog.text
    assert places._build_suggestions_here == [True]
    assert places.suggest_anywhere("seatle")[0].words == "seattle"


def test_the_bot_warms_up_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLACE_INDEX_WARMUP")
    assert Settings(_env_file=None).place_index_warmup


def test_the_child_is_out_of_the_terminals_process_group() -> None:
    # Ctrl-C on a terminal signals the whole foreground group: the child must not die of it
    # (and be reported as a failed warm-up) while the bot shuts down in order.
    places._indexes.pop("86", None)
    warmup = place_build.Warmup(["86"])
    warmup.start()
    try:
        assert warmup.started.wait(timeout=60)
        child = warmup._child
        assert child is not None
        assert os.getpgid(child.pid) != os.getpgid(0)
    finally:
        warmup.close()
        assert warmup.done.wait(timeout=60)
