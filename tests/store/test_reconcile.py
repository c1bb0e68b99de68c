"""Requests left executing by a crash are settled from what Sinch shows, on both engines."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from bot.changes.reconcile import sweep
from bot.changes.service import NumberChanges
from bot.core.errors import SinchConnectionError
from bot.sinch.models import ActiveNumber
from bot.store.engine import Database
from bot.store.ledger import STALE_AFTER, ChangeLedger, NewRequest
from bot.store.migrate import Schema
from tests.store.test_ledger import PRICE, WallClock

RELEASING = datetime(2026, 12, 24, tzinfo=UTC)


class SinchReads:
    """What ``NumberChanges.show`` answers per number (only reads: a rent here would fail)."""

    def __init__(self, held: dict[str, ActiveNumber | None], *, down: bool = False) -> None:
        self.held = held
        self.down = down
        self.reads: list[str] = []

    async def show(self, number: str) -> ActiveNumber | None:
        self.reads.append(number)
        if self.down:
            raise SinchConnectionError("connect failed")
        return self.held.get(number)


def active(
    number: str, *, expire_at: datetime | None = None, next_charge: datetime | None = None
) -> ActiveNumber:
    return ActiveNumber(
        phone_number=number, money=PRICE, expire_at=expire_at, next_charge_date=next_charge
    )


async def seed(ledger: ChangeLedger, rid: str, action: str, number: str) -> None:
    request = NewRequest(id=rid, action=action, number=number, requester="U0A", price=PRICE)
    assert await ledger.claim(request, pending=False) is None


async def test_sweep_settles_stale_requests_from_sinch(database: Database) -> None:
    wall = WallClock()
    ledger = ChangeLedger(database, Schema(database), approval_ttl=60, now=wall)
    await seed(ledger, "held", "rent", "+12065550101")
    await seed(ledger, "lost", "rent", "+12065550102")
    await seed(ledger, "gone", "release", "+12065550103")
    await seed(ledger, "kept", "release", "+12065550104")
    await seed(ledger, "renews", "release", "+12065550106")
    wall.advance(STALE_AFTER.total_seconds() + 1)
    await seed(ledger, "fresh", "rent", "+12065550105")  # its instance may still be waiting
    sinch = SinchReads(
        {
            "+12065550101": active("+12065550101"),
            "+12065550103": active("+12065550103", expire_at=RELEASING),
            "+12065550104": active("+12065550104"),
            # expireAt alone is no release (SDK fixtures carry it on ordinary numbers): this
            # one is charged again before it would end, so the release did not happen.
            "+12065550106": active(
                "+12065550106",
                expire_at=RELEASING,
                next_charge=RELEASING.replace(day=1),
            ),
        }
    )
    assert await sweep(ledger, cast(NumberChanges, sinch)) == 5
    outcomes = {e.id: (e.state, e.outcome) for e in await ledger.history()}
    assert outcomes == {
        "held": ("done", "rented"),
        "lost": ("done", "not_rented"),
        "gone": ("done", "released"),
        "kept": ("done", "not_released"),
        "renews": ("done", "not_released"),
        "fresh": ("executing", None),
    }
    assert "+12065550105" not in sinch.reads


async def test_sinch_unreachable_leaves_it_for_the_next_try(database: Database) -> None:
    wall = WallClock()
    ledger = ChangeLedger(database, Schema(database), approval_ttl=60, now=wall)
    await seed(ledger, "held", "rent", "+12065550101")
    wall.advance(STALE_AFTER.total_seconds() + 1)
    assert await sweep(ledger, cast(NumberChanges, SinchReads({}, down=True))) == 0
    entry = await ledger.get("held")
    assert entry is not None
    assert entry.state == "executing"


async def test_an_approval_never_started_is_settled_not_done_without_asking_sinch(
    database: Database,
) -> None:
    wall = WallClock()
    ledger = ChangeLedger(database, Schema(database), approval_ttl=600, now=wall)
    request = NewRequest(id="a", action="rent", number="+12065550101", requester="U0A", price=PRICE)
    await ledger.claim(request, pending=True)
    await ledger.decide(request, "U0B", approve=True)  # then the instance died
    wall.advance(STALE_AFTER.total_seconds() + 1)
    # The number is rented now (by someone else): that is not this request's doing.
    sinch = SinchReads({"+12065550101": active("+12065550101")})
    assert await sweep(ledger, cast(NumberChanges, sinch)) == 1
    entry = await ledger.get("a")
    assert entry is not None
    assert (entry.state, entry.outcome) == ("done", "not_rented")
    assert sinch.reads == []
