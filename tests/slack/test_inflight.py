"""InflightCommands: work after the ack runs as tracked tasks that shutdown can wait for."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.slack.listeners import InflightCommands


async def test_drain_waits_for_spawned_work_and_reports_what_is_left() -> None:
    inflight = InflightCommands()
    done = asyncio.Event()
    never = asyncio.Event()

    async def quick() -> None:
        await asyncio.sleep(0)
        done.set()

    async def stuck() -> None:
        await never.wait()

    inflight.spawn(quick())
    assert await inflight.drain(1.0) == 0
    assert done.is_set()
    assert len(inflight) == 0
    inflight.spawn(stuck())
    assert await inflight.drain(0.01) == 1
    never.set()
    assert await inflight.drain(1.0) == 0


async def test_a_failure_in_spawned_work_is_logged_not_lost(
    caplog: pytest.LogCaptureFixture,
) -> None:
    inflight = InflightCommands()

    async def broken() -> None:
        raise RuntimeError("bug")

    with caplog.at_level(logging.ERROR, logger="bot.slack.listeners"):
        inflight.spawn(broken())
        await inflight.drain(1.0)
        await asyncio.sleep(0)
    assert [r.getMessage() for r in caplog.records] == ["command work failed"]
    assert len(inflight) == 0
