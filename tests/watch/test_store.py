"""SqlWatchStore on SQLite and a real PostgreSQL: the claims that make a watch exactly-once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.sinch.models import AvailableNumber
from bot.store.engine import Database
from bot.store.migrate import Schema
from bot.watch.model import DmKind, DmState, WatchLimitReached, WatchStatus
from bot.watch.store import SqlWatchStore
from bot.watch.tables import watch_dms

NOW = 1_800_000_000.0
DAY = 86_400.0


def offer(number: str) -> AvailableNumber:
    return AvailableNumber(phone_number=number, region_code="US", type="LOCAL")


@pytest.fixture
def store(database: Database) -> SqlWatchStore:
    return SqlWatchStore(database, Schema(database))


async def _watch(store: SqlWatchStore, owner: str = "U1", search: str = "US LOCAL 206", **kw):
    values: dict[str, Any] = {
        "owner": owner,
        "team": "T1",
        "search": search,
        "baseline": ["+12065550100"],
        "now": NOW,
        "expires_at": NOW + 7 * DAY,
        "next_run_at": NOW + 60,
        "max_per_user": 5,
    }
    values.update(kw)
    return await store.create(**values)


async def _states(database: Database) -> list[str]:
    async def read(conn):
        return [
            str(s)
            for s in (
                await conn.scalars(
                    watch_dms.select().with_only_columns(watch_dms.c.state).order_by(watch_dms.c.id)
                )
            ).all()
        ]

    return await database.run(read)


async def test_baseline_numbers_are_never_news_and_new_ones_are_news_once(store: SqlWatchStore):
    watch = await _watch(store)
    assert (watch.status, watch.found, watch.created_at) == (WatchStatus.ACTIVE, 0, NOW)

    first = await store.record_run(watch.id, [offer("+12065550100"), offer("+12065550101")], NOW)
    again = await store.record_run(watch.id, [offer("+12065550101")], NOW + 60)

    assert [o.phone_number for o in first] == ["+12065550101"]
    assert again == []
    stored = await store.get(watch.id)
    assert stored is not None
    assert (stored.found, stored.last_run_at) == (1, NOW + 60)


async def test_two_instances_recording_the_same_run_queue_each_number_once(
    store: SqlWatchStore, database: Database
):
    watch = await _watch(store)
    other = SqlWatchStore(database, Schema(database))
    numbers = [offer(f"+120655501{i:02d}") for i in range(1, 9)]

    results = await asyncio.gather(
        store.record_run(watch.id, numbers, NOW), other.record_run(watch.id, numbers[::-1], NOW)
    )

    won = sorted(o.phone_number for r in results for o in r)
    assert won == sorted(o.phone_number for o in numbers)
    assert await _states(database) == [DmState.PENDING.value] * 8


async def test_a_due_search_is_leased_by_one_instance_until_finished(store: SqlWatchStore):
    await _watch(store)
    await _watch(store, owner="U2")  # the same search: one row, one lease
    assert await store.claim_due_search(NOW, 120, "a") is None  # not due yet

    due = NOW + 60
    claims = await asyncio.gather(*(store.claim_due_search(due, 120, h) for h in "abc"))
    assert sorted(claims, key=str) == [None, None, "US LOCAL 206"]
    assert len(await store.watches_of("US LOCAL 206")) == 2

    holder = "abc"[claims.index("US LOCAL 206")]
    await store.finish_search("US LOCAL 206", holder, due, due + 900)
    assert await store.claim_due_search(due + 899, 120, "a") is None
    assert await store.claim_due_search(due + 900, 120, "a") == "US LOCAL 206"
    # A holder that died: its lease runs out and someone else takes the search.
    assert await store.claim_due_search(due + 1000, 120, "b") is None
    assert await store.claim_due_search(due + 1020, 120, "b") == "US LOCAL 206"


async def test_searches_without_an_active_watch_are_not_run(store: SqlWatchStore):
    watch = await _watch(store)
    await store.stop(watch.id, reason="stopped by its owner")
    assert await store.claim_due_search(NOW + 60, 120, "a") is None


async def test_the_per_user_limit_counts_live_watches(store: SqlWatchStore):
    for i in range(3):
        await _watch(store, search=f"US LOCAL 20{i}", max_per_user=3)
    with pytest.raises(WatchLimitReached):
        await _watch(store, search="US LOCAL 209", max_per_user=3)
    assert len(await store.list_watches(owner="U1")) == 3
    await _watch(store, owner="U2", max_per_user=3)  # someone else's count
    stopped = (await store.list_watches(owner="U1"))[0]
    assert await store.stop(stopped.id, reason="x", owner="U1") is not None
    await _watch(store, search="US LOCAL 209", max_per_user=3)


async def test_two_creations_at_once_cannot_pass_the_limit_together(store: SqlWatchStore):
    outcomes = await asyncio.gather(
        *(_watch(store, search=f"US LOCAL 20{i}", max_per_user=2) for i in range(4)),
        return_exceptions=True,
    )
    assert sum(isinstance(o, WatchLimitReached) for o in outcomes) == 2
    assert len(await store.list_watches(owner="U1", live_only=True)) == 2


async def test_only_the_owner_stops_a_watch_and_its_queued_dms_are_cancelled(
    store: SqlWatchStore, database: Database
):
    watch = await _watch(store)
    await store.record_run(watch.id, [offer("+12065550101")], NOW)
    assert await store.stop(watch.id, reason="x", owner="U2") is None
    stopped = await store.stop(watch.id, reason="stopped by its owner", owner="U1")
    assert stopped is not None
    assert stopped.status is WatchStatus.STOPPED
    assert await store.stop(watch.id, reason="again") is None
    assert await _states(database) == [DmState.CANCELLED.value]
    assert await store.claim_dm(NOW, 60) is None
    assert await store.record_run(watch.id, [offer("+12065550102")], NOW) == []


async def test_expiry_happens_once_and_queues_one_goodbye(store: SqlWatchStore):
    watch = await _watch(store, expires_at=NOW + DAY)
    assert await store.expire_due(NOW + DAY - 1) == []
    results = await asyncio.gather(store.expire_due(NOW + DAY), store.expire_due(NOW + DAY))
    assert [w.id for r in results for w in r] == [watch.id]
    dm = await store.claim_dm(NOW + DAY, 60)
    assert dm is not None
    assert (dm.kind, dm.watch.status) == (DmKind.EXPIRED, WatchStatus.EXPIRED)


async def test_a_dm_is_claimed_by_one_sender(store: SqlWatchStore):
    watch = await _watch(store)
    await store.record_run(watch.id, [offer("+12065550101"), offer("+12065550102")], NOW)
    claimed = await asyncio.gather(*(store.claim_dm(NOW, 60) for _ in range(4)))
    got = [dm for dm in claimed if dm is not None]
    assert sorted(dm.offer.phone_number for dm in got if dm.offer) == [
        "+12065550101",
        "+12065550102",
    ]
    assert got[0].watch.id == watch.id


async def test_a_dm_whose_sender_died_is_unconfirmed_not_sent_again(
    store: SqlWatchStore, database: Database
):
    watch = await _watch(store)
    await store.record_run(watch.id, [offer("+12065550101")], NOW)
    assert await store.claim_dm(NOW, 60) is not None  # ...and the process dies
    assert await store.claim_dm(NOW + 59, 60) is None
    assert await store.claim_dm(NOW + 61, 60) is None
    assert await _states(database) == [DmState.UNCONFIRMED.value]
    assert await store.undelivered([watch.id]) == {watch.id: ["+12065550101"]}


async def test_a_refused_dm_is_retried_then_pauses_the_watch(store: SqlWatchStore):
    watch = await _watch(store)
    await store.record_run(watch.id, [offer("+12065550101")], NOW)
    dm = await store.claim_dm(NOW, 60)
    assert dm is not None
    await store.dm_refused(dm.id, error="ratelimited", now=NOW, retry_at=NOW + 30)
    assert await store.claim_dm(NOW + 29, 60) is None
    dm = await store.claim_dm(NOW + 30, 60)
    assert dm is not None
    assert dm.attempts == 1
    await store.dm_refused(dm.id, error="user_not_found", now=NOW + 30, retry_at=None)
    paused = await store.get(watch.id)
    assert paused is not None
    assert paused.status is WatchStatus.PAUSED
    assert paused.reason == "Slack refused a DM 2 times (user_not_found)"
    assert await store.claim_due_search(NOW + 60, 120, "a") is None
    assert await store.undelivered([watch.id]) == {watch.id: ["+12065550101"]}
