"""The change ledger: every rent/release request, its decision and its outcome, shared by all
instances. Each step is one compare-and-set in the database, taken BEFORE Sinch is called:

    claim     INSERT … ON CONFLICT DO NOTHING   → pending (approval asked) or executing
    decide    UPDATE … WHERE state='pending' AND not expired   → approved | denied | expired
    cancel    INSERT/UPDATE … WHERE state='pending'            → cancelled
    start     UPDATE … WHERE state='approved'                  → executing
    settle    UPDATE … WHERE state IN ('approved', 'executing') → done(outcome)
    release   DELETE … WHERE state='pending' (the approval was never asked): forget it

The caller that moved the row acts; every other caller, on any instance, gets the row back and
says who handled it. A request left ``executing`` by a crash is reconciled from Sinch
(``stale``), never by a second blind :rent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import Row, and_, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.money import Money
from bot.store.engine import Database
from bot.store.migrate import Schema
from bot.store.tables import change_requests as t

State = Literal["pending", "approved", "denied", "cancelled", "expired", "executing", "done"]
# After this long in ``executing`` nobody is still waiting on Sinch (its call budget is 10 s):
# the request is reconciled by reading the number back.
STALE_AFTER = timedelta(seconds=60)
Now = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Entry:
    """One request as the ledger holds it."""

    id: str
    action: str
    number: str
    state: State
    requester: str
    decided_by: str | None
    price: Money | None
    outcome: str | None
    created_at: datetime
    decided_at: datetime | None
    claimed_at: datetime | None
    done_at: datetime | None
    expires_at: datetime | None

    @classmethod
    def of(cls, row: Row[Any]) -> Entry:
        m = row._mapping
        price = None
        if m["price_amount"] is not None and m["price_currency"] is not None:
            price = Money(currency_code=m["price_currency"], amount=Decimal(m["price_amount"]))
        # Every other field is the column of the same name.
        columns = {f.name: m[f.name] for f in fields(cls) if f.name != "price"}
        return cls(price=price, **columns)


@dataclass(frozen=True)
class NewRequest:
    id: str
    action: str
    number: str
    requester: str
    price: Money | None

    def row(self, state: State, now: datetime, **columns: Any) -> dict[str, Any]:
        """The request's new row in ``state``, created ``now``, with ``columns`` set."""
        return {
            "id": self.id,
            "action": self.action,
            "number": self.number,
            "state": state,
            "requester": self.requester,
            "created_at": now,
            **_price(self.price),
            **columns,
        }


class ChangeLedger:
    """The ledger's transitions. Every method raises StoreUnavailableError when the database
    cannot be reached: the caller then changes nothing and calls nothing."""

    def __init__(
        self,
        database: Database,
        schema: Schema,
        *,
        approval_ttl: float,
        now: Now = utc_now,
    ) -> None:
        self._db = database
        self._schema = schema
        self._ttl = timedelta(seconds=approval_ttl)
        self._now = now

    async def _run(self, work: Callable[[AsyncConnection], Any]) -> Any:
        await self._schema.ensure()
        return await self._db.run(work)

    # --- claim / release ------------------------------------------------------------------

    async def claim(self, request: NewRequest, *, pending: bool) -> Entry | None:
        """Record a new request: ``pending`` (an approval will be asked) or ``executing`` (it
        runs now). None when this caller owns it; else the row someone else wrote first."""
        now = self._now()
        if pending:
            values = request.row("pending", now, expires_at=now + self._ttl)
        else:
            values = request.row("executing", now, claimed_at=now)

        async def work(conn: AsyncConnection) -> Entry | None:
            if await _insert_new(conn, values):
                return None
            return await _get(conn, request.id)

        result: Entry | None = await self._run(work)
        return result

    async def release(self, request_id: str) -> None:
        """Forget a pending claim whose approval was never asked, so the same button may be
        used again. Never an executing one: its Sinch call may have been made."""

        async def work(conn: AsyncConnection) -> None:
            await conn.execute(delete(t).where(t.c.id == request_id, t.c.state == "pending"))

        await self._run(work)

    # --- decisions ------------------------------------------------------------------------

    async def decide(
        self, request: NewRequest, approver: str, *, approve: bool
    ) -> tuple[bool, Entry]:
        """pending → approved | denied, once. (True, row) when this click decided it; else
        (False, row) with who did, or the row now ``expired`` when APPROVAL_TTL has passed.

        An approval message whose request the ledger never saw (posted before the ledger
        existed) is recorded from the button first, then decided the same way."""
        now = self._now()
        seed = request.row("pending", now, expires_at=now + self._ttl)

        async def work(conn: AsyncConnection) -> tuple[bool, Entry]:
            await _insert_new(conn, seed)
            moved = await conn.execute(
                update(t)
                .where(t.c.id == request.id, t.c.state == "pending", t.c.expires_at > now)
                .values(
                    state="approved" if approve else "denied", decided_by=approver, decided_at=now
                )
            )
            if moved.rowcount == 1:
                return True, await _get(conn, request.id)
            await conn.execute(
                update(t)
                .where(t.c.id == request.id, t.c.state == "pending", t.c.expires_at <= now)
                .values(state="expired", done_at=now)
            )
            return False, await _get(conn, request.id)

        result: tuple[bool, Entry] = await self._run(work)
        return result

    async def cancel(self, request: NewRequest, user: str) -> Entry | None:
        """A new or pending request → cancelled. None when this click cancelled it."""
        now = self._now()
        values = request.row("cancelled", now, decided_by=user, decided_at=now, done_at=now)

        async def work(conn: AsyncConnection) -> Entry | None:
            if await _insert_new(conn, values):
                return None
            moved = await conn.execute(
                update(t)
                .where(t.c.id == request.id, t.c.state == "pending")
                .values(state="cancelled", decided_by=user, decided_at=now, done_at=now)
            )
            return None if moved.rowcount == 1 else await _get(conn, request.id)

        result: Entry | None = await self._run(work)
        return result

    # --- execution ------------------------------------------------------------------------

    async def start(self, request_id: str) -> bool:
        """approved → executing: True for the one caller that may now call Sinch."""
        now = self._now()

        async def work(conn: AsyncConnection) -> bool:
            moved = await conn.execute(
                update(t)
                .where(t.c.id == request_id, t.c.state == "approved")
                .values(state="executing", claimed_at=now)
            )
            return bool(moved.rowcount == 1)

        result: bool = await self._run(work)
        return result

    async def settle(self, request_id: str, outcome: str, *, price: Money | None = None) -> bool:
        """approved | executing → done(outcome). False when it was already settled."""
        now = self._now()
        values: dict[str, Any] = {"state": "done", "outcome": outcome, "done_at": now}
        if price is not None:
            values.update(_price(price))

        async def work(conn: AsyncConnection) -> bool:
            moved = await conn.execute(
                update(t)
                .where(t.c.id == request_id, t.c.state.in_(("approved", "executing")))
                .values(**values)
            )
            return bool(moved.rowcount == 1)

        result: bool = await self._run(work)
        return result

    async def stale(self, *, request_id: str | None = None) -> list[Entry]:
        """Requests ``executing`` (or ``approved`` but never started) for longer than
        STALE_AFTER: their instance died before Sinch's answer was written down."""
        before = self._now() - STALE_AFTER

        async def work(conn: AsyncConnection) -> list[Entry]:
            query = select(t).where(
                or_(
                    and_(t.c.state == "executing", t.c.claimed_at <= before),
                    and_(t.c.state == "approved", t.c.decided_at <= before),
                )
            )
            if request_id is not None:
                query = query.where(t.c.id == request_id)
            return [Entry.of(row) for row in await conn.execute(query)]

        result: list[Entry] = await self._run(work)
        return result

    # --- reading --------------------------------------------------------------------------

    async def get(self, request_id: str) -> Entry | None:
        async def work(conn: AsyncConnection) -> Entry | None:
            row = (await conn.execute(select(t).where(t.c.id == request_id))).first()
            return None if row is None else Entry.of(row)

        result: Entry | None = await self._run(work)
        return result

    async def history(self, number: str | None = None, *, limit: int | None = None) -> list[Entry]:
        """Newest first; one number's requests when ``number`` is given."""

        async def work(conn: AsyncConnection) -> list[Entry]:
            query = select(t).order_by(t.c.created_at.desc(), t.c.id.desc())
            if number is not None:
                query = query.where(t.c.number == number)
            if limit is not None:
                query = query.limit(limit)
            return [Entry.of(row) for row in await conn.execute(query)]

        result: list[Entry] = await self._run(work)
        return result

    async def last_rent(self, number: str) -> Entry | None:
        """The request that rented ``number`` most recently, if the ledger saw it."""

        async def work(conn: AsyncConnection) -> Entry | None:
            row = (
                await conn.execute(
                    select(t)
                    .where(
                        t.c.number == number,
                        t.c.action == "rent",
                        t.c.state == "done",
                        t.c.outcome == "rented",
                    )
                    .order_by(t.c.done_at.desc())
                    .limit(1)
                )
            ).first()
            return None if row is None else Entry.of(row)

        result: Entry | None = await self._run(work)
        return result


def _price(price: Money | None) -> dict[str, str | None]:
    if price is None:
        return {"price_amount": None, "price_currency": None}
    return {"price_amount": str(price.amount), "price_currency": price.currency_code}


async def _insert_new(conn: AsyncConnection, values: dict[str, Any]) -> bool:
    """INSERT … ON CONFLICT (id) DO NOTHING: True when this call created the row."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(t).values(**values).on_conflict_do_nothing(index_elements=["id"])
    return bool((await conn.execute(statement)).rowcount == 1)


async def _get(conn: AsyncConnection, request_id: str) -> Entry:
    row = (await conn.execute(select(t).where(t.c.id == request_id))).one()
    return Entry.of(row)
