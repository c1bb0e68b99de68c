"""Every statement on the watch tables: the one place a watch's state changes.

Exactly once, across instances and restarts, rests on three rules here:

- a search is run by the instance whose compare-and-set lease on its ``watch_searches`` row
  succeeded (``UPDATE ... WHERE next_run_at <= now AND lease free``: one row, so portable to
  SQLite; PostgreSQL re-checks the condition after waiting on the row lock);
- a number is news to a watch once: ``watch_seen`` is keyed by (watch, number), and the DM is
  queued in the same transaction as the insert that won the key (``ON CONFLICT DO NOTHING``);
- a DM is sent by the instance that moved it from pending to sending (compare-and-set). If that
  instance dies before Slack's answer is recorded, the DM becomes unconfirmed and is not sent
  again: a second DM is what a watch promises never to send (see README, "Watching a search").

Times cross this module's boundary as epoch seconds (the tick's clock) and are stored as UTC.
Every method is one transaction through ``Database.run``, so an outage is a
StoreUnavailableError, never a driver exception.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.sinch.models import AvailableNumber
from bot.store.engine import Database
from bot.store.migrate import Schema
from bot.watch.model import (
    LIVE_STATUSES,
    Dm,
    DmKind,
    DmState,
    Watch,
    WatchLimitReached,
    WatchStatus,
)
from bot.watch.tables import watch_dms, watch_searches, watch_seen, watches

# How a watch that Slack kept refusing DMs for is described (Home tab, `watches`).
PAUSED_REASON = "Slack refused a DM {attempts} times ({error})"
T = TypeVar("T")
_LIVE = tuple(s.value for s in LIVE_STATUSES)
_ACTIVE = WatchStatus.ACTIVE.value


class SqlWatchStore:
    """WatchStore on the bot's database (SQLite or PostgreSQL)."""

    def __init__(self, database: Database, schema: Schema) -> None:
        self._database = database
        self._schema = schema

    async def _run(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """One transaction, once the schema is migrated (it may still be, just after start)."""
        await self._schema.ensure()
        return await self._database.run(work)

    # --- watches ------------------------------------------------------------------------

    async def create(
        self,
        *,
        owner: str,
        team: str,
        search: str,
        baseline: Sequence[str],
        now: float,
        expires_at: float,
        next_run_at: float,
        max_per_user: int,
    ) -> Watch:
        async def work(conn: AsyncConnection) -> Watch:
            await _lock_owner(conn, owner)
            live = await conn.scalar(
                select(func.count())
                .select_from(watches)
                .where(watches.c.owner == owner, watches.c.status.in_(_LIVE))
            )
            if int(live or 0) >= max_per_user:
                raise WatchLimitReached(max_per_user)
            await conn.execute(
                _insert_ignore(conn, watch_searches).values(
                    search=search, next_run_at=_at(next_run_at)
                )
            )
            result = await conn.execute(
                watches.insert().values(
                    owner=owner,
                    team=team,
                    search=search,
                    created_at=_at(now),
                    expires_at=_at(expires_at),
                    status=_ACTIVE,
                    found=0,
                )
            )
            watch_id = int(result.inserted_primary_key[0])  # type: ignore[index]
            numbers = sorted(set(baseline))
            if numbers:
                await conn.execute(
                    watch_seen.insert(),
                    [
                        {
                            "watch_id": watch_id,
                            "phone_number": n,
                            "first_seen_at": _at(now),
                            "baseline": True,
                        }
                        for n in numbers
                    ],
                )
            return await _load(conn, watch_id)

        return await self._run(work)

    async def get(self, watch_id: int) -> Watch | None:
        async def work(conn: AsyncConnection) -> Watch | None:
            row = (await conn.execute(_WATCH.where(watches.c.id == watch_id))).first()
            return None if row is None else _watch(row)

        return await self._run(work)

    async def list_watches(
        self, *, owner: str | None = None, live_only: bool = False
    ) -> list[Watch]:
        query = _WATCH.order_by(watches.c.id.desc())
        if owner is not None:
            query = query.where(watches.c.owner == owner)
        if live_only:
            query = query.where(watches.c.status.in_(_LIVE))

        async def work(conn: AsyncConnection) -> list[Watch]:
            return [_watch(r) for r in (await conn.execute(query)).all()]

        return await self._run(work)

    async def stop(self, watch_id: int, *, reason: str, owner: str | None = None) -> Watch | None:
        condition = and_(watches.c.id == watch_id, watches.c.status.in_(_LIVE))
        if owner is not None:
            condition = and_(condition, watches.c.owner == owner)

        async def work(conn: AsyncConnection) -> Watch | None:
            result = await conn.execute(
                update(watches)
                .where(condition)
                .values(status=WatchStatus.STOPPED.value, reason=reason[:300])
            )
            if result.rowcount != 1:
                return None
            await _cancel_unsent(conn, watch_id)
            return await _load(conn, watch_id)

        return await self._run(work)

    async def expire_due(self, now: float) -> list[Watch]:
        async def due(conn: AsyncConnection) -> Sequence[int]:
            query = select(watches.c.id).where(
                watches.c.status.in_(_LIVE), watches.c.expires_at <= _at(now)
            )
            return (await conn.scalars(query)).all()

        expired: list[Watch] = []
        for watch_id in await self._run(due):

            async def expire(conn: AsyncConnection, watch_id: int = watch_id) -> Watch | None:
                # Compare-and-set: of several instances, one moves it and queues the notice.
                result = await conn.execute(
                    update(watches)
                    .where(
                        watches.c.id == watch_id,
                        watches.c.status.in_(_LIVE),
                        watches.c.expires_at <= _at(now),
                    )
                    .values(status=WatchStatus.EXPIRED.value)
                )
                if result.rowcount != 1:
                    return None
                await _cancel_unsent(conn, watch_id)
                await conn.execute(
                    _insert_ignore(conn, watch_dms).values(
                        watch_id=watch_id,
                        kind=DmKind.EXPIRED.value,
                        phone_number="",
                        state=DmState.PENDING.value,
                        attempts=0,
                        next_attempt_at=_at(now),
                        created_at=_at(now),
                    )
                )
                return await _load(conn, watch_id)

            watch = await self._run(expire)
            if watch is not None:
                expired.append(watch)
        return expired

    # --- runs ---------------------------------------------------------------------------

    async def claim_due_search(self, now: float, lease: float, holder: str) -> str | None:
        at = _at(now)
        free = or_(watch_searches.c.leased_until.is_(None), watch_searches.c.leased_until <= at)
        due = and_(watch_searches.c.next_run_at <= at, free)

        async def candidates(conn: AsyncConnection) -> Sequence[str]:
            active = select(watches.c.search).where(watches.c.status == _ACTIVE)
            query = (
                select(watch_searches.c.search)
                .where(due, watch_searches.c.search.in_(active))
                .order_by(watch_searches.c.next_run_at)
                .limit(10)
            )
            return (await conn.scalars(query)).all()

        for search in await self._run(candidates):

            async def claim(conn: AsyncConnection, search: str = search) -> bool:
                result = await conn.execute(
                    update(watch_searches)
                    .where(watch_searches.c.search == search, due)
                    .values(leased_until=_at(now + lease), holder=holder)
                )
                return bool(result.rowcount == 1)

            if await self._run(claim):
                return search
        return None

    async def watches_of(self, search: str) -> list[Watch]:
        query = _WATCH.where(watches.c.search == search, watches.c.status == _ACTIVE)

        async def work(conn: AsyncConnection) -> list[Watch]:
            return [_watch(r) for r in (await conn.execute(query.order_by(watches.c.id))).all()]

        return await self._run(work)

    async def record_run(
        self, watch_id: int, offers: Sequence[AvailableNumber], now: float
    ) -> list[AvailableNumber]:
        async def work(conn: AsyncConnection) -> list[AvailableNumber]:
            # First, so the row is locked (PostgreSQL) while numbers are recorded: an unwatch
            # in between waits, and after it nothing more is queued.
            touched = await conn.execute(
                update(watches)
                .where(watches.c.id == watch_id, watches.c.status == _ACTIVE)
                .values(last_run_at=_at(now))
            )
            if touched.rowcount != 1:
                return []
            # Each number once, in Sinch's order; the insert decides what is news: a number
            # already seen (the baseline, an earlier run, another instance's run) conflicts.
            ordered = list({o.phone_number: o for o in offers}.values())
            if not ordered:
                return []
            rows = [
                {
                    "watch_id": watch_id,
                    "phone_number": o.phone_number,
                    "first_seen_at": _at(now),
                    "baseline": False,
                }
                for o in ordered
            ]
            won = set(
                (
                    await conn.scalars(
                        _insert_ignore(conn, watch_seen)
                        .values(rows)
                        .returning(watch_seen.c.phone_number)
                    )
                ).all()
            )
            queued = [o for o in ordered if o.phone_number in won]
            if queued:
                await conn.execute(
                    watch_dms.insert(),
                    [
                        {
                            "watch_id": watch_id,
                            "kind": DmKind.NUMBER.value,
                            "phone_number": o.phone_number,
                            "offer": o.model_dump_json(by_alias=True),
                            "state": DmState.PENDING.value,
                            "attempts": 0,
                            "next_attempt_at": _at(now),
                            "created_at": _at(now),
                        }
                        for o in queued
                    ],
                )
                await conn.execute(
                    update(watches)
                    .where(watches.c.id == watch_id)
                    .values(found=watches.c.found + len(queued))
                )
            return queued

        return await self._run(work)

    async def finish_search(self, search: str, holder: str, now: float, next_run_at: float) -> None:
        async def work(conn: AsyncConnection) -> None:
            await conn.execute(
                update(watch_searches)
                .where(watch_searches.c.search == search, watch_searches.c.holder == holder)
                .values(
                    leased_until=None,
                    holder=None,
                    last_run_at=_at(now),
                    next_run_at=_at(next_run_at),
                )
            )

        await self._run(work)

    # --- DMs ----------------------------------------------------------------------------

    async def claim_dm(self, now: float, lease: float) -> Dm | None:
        at = _at(now)

        async def sweep(conn: AsyncConnection) -> Sequence[int]:
            # A sender that died mid-send: the DM may have arrived, so it is not sent again.
            await conn.execute(
                update(watch_dms)
                .where(watch_dms.c.state == DmState.SENDING.value, watch_dms.c.lease_until <= at)
                .values(state=DmState.UNCONFIRMED.value, lease_until=None)
            )
            sendable = or_(
                watches.c.status == _ACTIVE,
                and_(
                    watch_dms.c.kind == DmKind.EXPIRED.value,
                    watches.c.status == WatchStatus.EXPIRED.value,
                ),
            )
            query = (
                select(watch_dms.c.id)
                .join(watches, watches.c.id == watch_dms.c.watch_id)
                .where(
                    watch_dms.c.state == DmState.PENDING.value,
                    watch_dms.c.next_attempt_at <= at,
                    sendable,
                )
                .order_by(watch_dms.c.next_attempt_at, watch_dms.c.id)
                .limit(5)
            )
            return (await conn.scalars(query)).all()

        for dm_id in await self._run(sweep):

            async def claim(conn: AsyncConnection, dm_id: int = dm_id) -> Dm | None:
                # Compare-and-set: whoever moves it to sending sends it.
                result = await conn.execute(
                    update(watch_dms)
                    .where(watch_dms.c.id == dm_id, watch_dms.c.state == DmState.PENDING.value)
                    .values(state=DmState.SENDING.value, lease_until=_at(now + lease))
                )
                if result.rowcount != 1:
                    return None
                query = (
                    select(
                        watch_dms.c.id.label("dm_id"),
                        watch_dms.c.kind,
                        watch_dms.c.attempts,
                        watch_dms.c.offer,
                        *_WATCH_COLUMNS,
                    )
                    .join(watches, watches.c.id == watch_dms.c.watch_id)
                    .where(watch_dms.c.id == dm_id)
                )
                return _dm((await conn.execute(query)).one())

            dm = await self._run(claim)
            if dm is not None:
                return dm
        return None

    async def dm_sent(self, dm_id: int, now: float) -> None:
        async def work(conn: AsyncConnection) -> None:
            await conn.execute(
                update(watch_dms)
                .where(watch_dms.c.id == dm_id)
                .values(state=DmState.SENT.value, sent_at=_at(now), lease_until=None)
            )

        await self._run(work)

    async def dm_refused(
        self, dm_id: int, *, error: str, now: float, retry_at: float | None
    ) -> None:
        async def work(conn: AsyncConnection) -> None:
            values: dict[str, Any] = {
                "attempts": watch_dms.c.attempts + 1,
                "lease_until": None,
                "last_error": error[:60],
            }
            if retry_at is not None:
                values.update(state=DmState.PENDING.value, next_attempt_at=_at(retry_at))
            else:
                values.update(state=DmState.FAILED.value)
            await conn.execute(update(watch_dms).where(watch_dms.c.id == dm_id).values(**values))
            if retry_at is not None:
                return
            row = (
                await conn.execute(
                    select(watch_dms.c.watch_id, watch_dms.c.attempts).where(
                        watch_dms.c.id == dm_id
                    )
                )
            ).one()
            # Given up: the watch pauses (nothing more is searched or sent) and says why.
            reason = PAUSED_REASON.format(attempts=row.attempts, error=error[:60])
            await conn.execute(
                update(watches)
                .where(watches.c.id == row.watch_id, watches.c.status == _ACTIVE)
                .values(status=WatchStatus.PAUSED.value, reason=reason)
            )

        await self._run(work)

    async def undelivered(self, watch_ids: Sequence[int]) -> dict[int, list[str]]:
        """Per watch, the numbers whose DM did not (surely) arrive: refused or unconfirmed."""

        async def work(conn: AsyncConnection) -> dict[int, list[str]]:
            query = (
                select(watch_dms.c.watch_id, watch_dms.c.phone_number)
                .where(
                    watch_dms.c.watch_id.in_(list(watch_ids)),
                    watch_dms.c.kind == DmKind.NUMBER.value,
                    watch_dms.c.state.in_((DmState.FAILED.value, DmState.UNCONFIRMED.value)),
                )
                .order_by(watch_dms.c.id)
            )
            found: dict[int, list[str]] = {}
            for row in (await conn.execute(query)).all():
                found.setdefault(int(row.watch_id), []).append(str(row.phone_number))
            return found

        return await self._run(work)


_WATCH_COLUMNS = (
    watches.c.id.label("watch_id"),
    watches.c.owner,
    watches.c.team,
    watches.c.search,
    watches.c.created_at,
    watches.c.expires_at,
    watches.c.status,
    watches.c.last_run_at,
    watches.c.found,
    watches.c.reason,
)
_WATCH = select(*_WATCH_COLUMNS)


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _epoch(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def _watch(row: Row[Any, *tuple[Any, ...]]) -> Watch:
    return Watch(
        id=int(row.watch_id),
        owner=str(row.owner),
        team=str(row.team),
        search=str(row.search),
        created_at=row.created_at.timestamp(),
        expires_at=row.expires_at.timestamp(),
        status=WatchStatus(row.status),
        last_run_at=_epoch(row.last_run_at),
        found=int(row.found),
        reason=row.reason,
    )


def _dm(row: Row[Any, *tuple[Any, ...]]) -> Dm:
    offer = AvailableNumber.model_validate(json.loads(row.offer)) if row.offer else None
    return Dm(
        id=int(row.dm_id),
        watch=_watch(row),
        kind=DmKind(row.kind),
        attempts=int(row.attempts),
        offer=offer,
    )


async def _load(conn: AsyncConnection, watch_id: int) -> Watch:
    return _watch((await conn.execute(_WATCH.where(watches.c.id == watch_id))).one())


def _insert_ignore(conn: AsyncConnection, table: Any) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING in the connection's dialect (rowcount 0: conflict)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


async def _lock_owner(conn: AsyncConnection, owner: str) -> None:
    """Serialise one owner's watch creations, so two at once cannot pass the limit together.

    PostgreSQL: a transaction-scoped advisory lock per owner. SQLite: a no-op UPDATE takes the
    database's one write lock now, before the count (a deferred transaction would read first
    and could not upgrade to a writer while another command holds it).
    """
    if conn.dialect.name == "postgresql":
        key = zlib.crc32(f"numbers-bot watch owner {owner}".encode())
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    else:
        await conn.execute(update(watches).where(watches.c.id == -1).values(found=0))


async def _cancel_unsent(conn: AsyncConnection, watch_id: int) -> None:
    """A stopped or expired watch sends nothing more it had queued."""
    await conn.execute(
        update(watch_dms)
        .where(watch_dms.c.watch_id == watch_id, watch_dms.c.state == DmState.PENDING.value)
        .values(state=DmState.CANCELLED.value)
    )
