"""The web process's store upkeep: migrate at start-up, then sweep again and again."""

from __future__ import annotations

import asyncio
import logging
from typing import cast

import pytest

from bot.app.store_upkeep import StoreUpkeep
from bot.changes.service import NumberChanges
from bot.store.engine import Database
from bot.store.ledger import STALE_AFTER, ChangeLedger, NewRequest
from bot.store.migrate import Schema
from tests.store.test_ledger import PRICE, WallClock
from tests.store.test_reconcile import SinchReads, active


async def test_requests_interrupted_after_start_up_are_swept_without_a_click_or_restart(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.app.store_upkeep")
    wall = WallClock()
    ledger = ChangeLedger(database, Schema(database), approval_ttl=60, now=wall)
    opened = asyncio.Event()
    sinch = SinchReads({"+12065550101": active("+12065550101")})
    upkeep = StoreUpkeep(
        database=database,
        schema=Schema(database),
        ledger=ledger,
        changes=cast(NumberChanges, sinch),
        opened=opened,
        interval=0.01,
    )
    upkeep.start()
    try:
        await opened.wait()
        # An instance claims, then dies; a minute passes.
        request = NewRequest("late", "rent", "+12065550101", "U0A", PRICE)
        assert await ledger.claim(request, pending=False) is None
        wall.advance(STALE_AFTER.total_seconds() + 1)
        async with asyncio.timeout(10):
            while (entry := await ledger.get("late")) is not None and entry.state != "done":
                await asyncio.sleep(0.01)
        assert entry is not None
        assert entry.outcome == "rented"
    finally:
        await upkeep.aclose()
    said = [r.getMessage() for r in caplog.get_records("call") if r.name == "bot.app.store_upkeep"]
    assert said[0].startswith("store: ")
    assert "sweep: 1 interrupted request(s) read back from Sinch" in said
