"""The change ledger's compare-and-set transitions, the same tests on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.core.money import Money
from bot.store.engine import Database
from bot.store.ledger import STALE_AFTER, ChangeLedger, NewRequest
from bot.store.migrate import Schema

PRICE = Money(currency_code="USD", amount=Decimal("0.80"))
TTL = 3600.0


class WallClock:
    def __init__(self) -> None:
        self.at = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@pytest.fixture
def wall() -> WallClock:
    return WallClock()


@pytest.fixture
def ledger(database: Database, wall: WallClock) -> ChangeLedger:
    return ChangeLedger(database, Schema(database), approval_ttl=TTL, now=wall)


def request(rid: str = "r1", number: str = "+12065550101") -> NewRequest:
    return NewRequest(id=rid, action="rent", number=number, requester="U0ALICE1", price=PRICE)


async def test_the_first_claim_owns_the_request_and_later_ones_read_it(
    ledger: ChangeLedger,
) -> None:
    assert await ledger.claim(request(), pending=False) is None
    again = await ledger.claim(request(), pending=False)
    assert again is not None
    assert (again.state, again.requester, again.price) == ("executing", "U0ALICE1", PRICE)


async def test_concurrent_claims_let_exactly_one_through(database: Database) -> None:
    # Separate ledgers (as on separate instances), one database.
    ledgers = [ChangeLedger(database, Schema(database), approval_ttl=TTL) for _ in range(5)]
    results = await asyncio.gather(*(lg.claim(request(), pending=False) for lg in ledgers))
    assert sum(r is None for r in results) == 1


async def test_settle_records_the_outcome_once(ledger: ChangeLedger) -> None:
    await ledger.claim(request(), pending=False)
    assert await ledger.settle("r1", "rented")
    assert not await ledger.settle("r1", "not_rented")
    entry = await ledger.get("r1")
    assert entry is not None
    assert (entry.state, entry.outcome) == ("done", "rented")


async def test_release_forgets_only_a_pending_claim(ledger: ChangeLedger) -> None:
    await ledger.claim(request(), pending=True)
    await ledger.release("r1")  # the approval was never asked
    assert await ledger.claim(request(), pending=False) is None
    await ledger.release("r1")  # executing: Sinch may have been called, never forgotten
    assert await ledger.claim(request(), pending=False) is not None
    await ledger.settle("r1", "rented")
    await ledger.release("r1")  # nor a done one
    assert await ledger.get("r1") is not None


async def test_approve_and_deny_at_once_end_in_one_decision(database: Database) -> None:
    one = ChangeLedger(database, Schema(database), approval_ttl=TTL)
    two = ChangeLedger(database, Schema(database), approval_ttl=TTL)
    await one.claim(request(), pending=True)
    (a_won, a_row), (d_won, d_row) = await asyncio.gather(
        one.decide(request(), "U0APPR8", approve=True),
        two.decide(request(), "U0APPR9", approve=False),
    )
    assert a_won != d_won
    final = await one.get("r1")
    assert final is not None
    assert final.state in ("approved", "denied")
    assert a_row.state == d_row.state == final.state
    assert a_row.decided_by == d_row.decided_by == final.decided_by


async def test_an_expired_request_is_not_decided(ledger: ChangeLedger, wall: WallClock) -> None:
    await ledger.claim(request(), pending=True)
    wall.advance(TTL + 1)
    won, entry = await ledger.decide(request(), "U0APPR8", approve=True)
    assert not won
    assert entry.state == "expired"
    assert not await ledger.start("r1")


async def test_a_decision_without_a_recorded_request_is_recorded_from_the_button(
    ledger: ChangeLedger,
) -> None:
    won, entry = await ledger.decide(request(), "U0APPR8", approve=True)
    assert won
    assert (entry.state, entry.decided_by, entry.requester) == ("approved", "U0APPR8", "U0ALICE1")
    won_again, again = await ledger.decide(request(), "U0APPR9", approve=True)
    assert not won_again
    assert again.decided_by == "U0APPR8"


async def test_start_lets_one_caller_execute_an_approval(ledger: ChangeLedger) -> None:
    await ledger.claim(request(), pending=True)
    assert not await ledger.start("r1")  # not approved yet
    await ledger.decide(request(), "U0APPR8", approve=True)
    assert await ledger.start("r1")
    assert not await ledger.start("r1")


async def test_cancel_a_new_or_pending_request_only(ledger: ChangeLedger) -> None:
    assert await ledger.cancel(request("c1"), "U0ALICE1") is None
    assert (await ledger.claim(request("c1"), pending=False)) is not None
    await ledger.claim(request("c2"), pending=True)
    assert await ledger.cancel(request("c2"), "U0ALICE1") is None
    await ledger.claim(request("c3"), pending=False)
    taken = await ledger.cancel(request("c3"), "U0ALICE1")
    assert taken is not None
    assert taken.state == "executing"


async def test_stale_lists_requests_whose_instance_died(
    ledger: ChangeLedger, wall: WallClock
) -> None:
    await ledger.claim(request("old"), pending=False)
    wall.advance(STALE_AFTER.total_seconds() + 1)
    await ledger.claim(request("new"), pending=False)
    assert [e.id for e in await ledger.stale()] == ["old"]
    assert await ledger.stale(request_id="new") == []


async def test_history_is_newest_first_and_per_number(
    ledger: ChangeLedger, wall: WallClock
) -> None:
    await ledger.claim(request("a", "+12065550101"), pending=False)
    await ledger.settle("a", "rented")
    wall.advance(60)
    await ledger.claim(request("b", "+12065550102"), pending=False)
    wall.advance(60)
    await ledger.claim(request("c", "+12065550101"), pending=True)
    assert [e.id for e in await ledger.history()] == ["c", "b", "a"]
    assert [e.id for e in await ledger.history("+12065550101")] == ["c", "a"]
    last = await ledger.last_rent("+12065550101")
    assert last is not None
    assert last.id == "a"
    assert last.created_at == datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
