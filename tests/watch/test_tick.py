"""The watch job: one per process (not one per watch), and a catch boundary like the token's."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.core.domain import SearchQuery
from bot.ops.scheduler import WATCH_JOB_ID, add_watch_job
from bot.search.results import SearchResult
from bot.sinch.models import AvailableNumber
from bot.store.engine import Database
from bot.store.migrate import Schema
from bot.store.url import database_target
from bot.watch.model import Dm
from bot.watch.policy import tick_seconds
from bot.watch.store import SqlWatchStore
from bot.watch.tick import WatchRunner
from tests.fakes import FakeClock

T0 = 1_800_000_000.0


def test_one_watch_job_per_process_not_one_per_watch() -> None:
    scheduler = AsyncIOScheduler()

    async def tick() -> None:
        return None

    add_watch_job(scheduler, tick, tick_seconds(900))

    (job,) = scheduler.get_jobs()
    assert job.id == WATCH_JOB_ID
    assert job.trigger.interval == timedelta(seconds=30)
    assert job.max_instances == 1  # a slow tick is never run twice at once in one process
    assert job.coalesce is True


class BrokenNotifier:
    async def send(self, dm: Dm) -> None:
        raise RuntimeError("a bug with a secret in its text: xoxb-123")


async def _runner(url: str, clock: FakeClock) -> tuple[WatchRunner, Database]:
    database = Database(database_target(url))
    store = SqlWatchStore(database, Schema(database))
    runner = WatchRunner(
        store=store,
        search=_never,
        notifier=BrokenNotifier(),
        clock=clock,
        interval=60,
        owner_check=lambda _: None,
    )
    return runner, database


async def _never(query: SearchQuery) -> SearchResult:
    raise AssertionError("no search expected")


async def test_the_tick_never_raises_and_logs_one_sanitized_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(now=T0)
    runner, database = await _runner(f"sqlite:///{tmp_path}/bot.db", clock)
    store = runner.store
    watch = await store.create(
        owner="U1",
        team="T1",
        search="US LOCAL 206",
        baseline=[],
        now=T0,
        expires_at=T0 + 86_400,
        next_run_at=T0 + 60,
        max_per_user=5,
    )
    new = AvailableNumber(phone_number="+12065550142", region_code="US", type="LOCAL")
    await store.record_run(watch.id, [new], T0)
    caplog.clear()

    await runner.run_tick()

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in errors] == ["watch tick failed: RuntimeError"]
    assert "xoxb" not in caplog.text
    await database.aclose()


async def test_a_database_outage_skips_the_tick_quietly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    runner, database = await _runner(
        f"postgresql://bot:pw@/bot?host={tmp_path}/nothing&port=1", FakeClock(now=T0)
    )

    await runner.run_tick()

    assert [r.levelname for r in caplog.records] == ["WARNING"]  # the store's one per outage
    assert "database unavailable" in caplog.records[0].getMessage()
    await database.aclose()
