"""numbers-bot watches [--json] and unwatch ID: the operator's view of every watch."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.cli.app import main
from bot.store.engine import Database
from bot.store.migrate import Schema
from bot.store.url import database_target
from bot.watch.model import WatchStatus
from bot.watch.store import SqlWatchStore

T0 = 1_800_000_000.0


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path}/bot.db"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def _seed(url: str) -> None:
    async def seed() -> None:
        database = Database(database_target(url))
        store = SqlWatchStore(database, Schema(database))
        for owner, search in (("U1", "US LOCAL 206"), ("U2", "GB LOCAL in:london nodocs")):
            watch = await store.create(
                owner=owner,
                team="T1",
                search=search,
                baseline=[],
                now=T0,
                expires_at=T0 + 7 * 86_400,
                next_run_at=T0 + 900,
                max_per_user=5,
            )
        await store.record_run(watch.id, [], T0 + 900)
        await database.aclose()

    asyncio.run(seed())


def test_watches_lists_every_watch_for_the_operator(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(db_url)
    assert main(["watches"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["ID", "OWNER", "STATUS", "SINCE", "LAST", "RUN", "FOUND", "SEARCH"]
    assert out[1].split()[:3] == ["2", "U2", "active"]
    assert "2027-01-15 08:15 UTC" in out[1]  # last run
    assert out[1].endswith("GB LOCAL in:london nodocs")
    assert out[2].split()[:3] == ["1", "U1", "active"]

    assert main(["watches", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(w["id"], w["owner"], w["found"]) for w in data] == [(2, "U2", 0), (1, "U1", 0)]
    assert data[1]["since"] == "2027-01-15T08:00:00+00:00"
    assert data[1]["last_run"] is None
    assert data[1]["undelivered"] == []


def test_unwatch_stops_one_watch_by_id(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    _seed(db_url)
    assert main(["unwatch", "1"]) == 0
    assert "Stopped watch 1 of U1: US LOCAL 206" in capsys.readouterr().out
    assert main(["unwatch", "1"]) == 1
    assert "no running watch 1" in capsys.readouterr().err
    assert main(["watches", "--json"]) == 0
    statuses = {w["id"]: w["status"] for w in json.loads(capsys.readouterr().out)}
    assert statuses == {1: WatchStatus.STOPPED.value, 2: WatchStatus.ACTIVE.value}


def test_an_empty_database_says_so(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["watches"]) == 0
    assert capsys.readouterr().out == "No watches.\n"


def test_an_unreachable_database_is_one_line_without_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(
        "DATABASE_URL", f"postgresql://bot:hunter2-secret@/bot?host={tmp_path}/nothing&port=1"
    )
    assert main(["watches"]) == 1
    err = capsys.readouterr().err
    assert "database is unavailable" in err
    assert "hunter2" not in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
