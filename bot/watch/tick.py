"""The watch tick: one periodic job per process that claims due searches and sends due DMs.

Each tick: expire watches past WATCH_DAYS (queueing their goodbye DM), then run every due
search this instance can lease, one after another (so watches have at most one Sinch call in
flight per process), then send due DMs. Which instance does which piece is decided by the
database (``bot.watch.store``), never by the scheduler: every instance runs the same tick.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from bot.commands.watch import parse_watch_text
from bot.core.clock import Clock
from bot.core.domain import SearchQuery
from bot.core.errors import CommandError, SinchError, StoreUnavailableError
from bot.search.results import SearchResult
from bot.watch.model import Dm, Watch, WatchStore
from bot.watch.policy import DM_LEASE, DMS_PER_TICK, SEARCH_LEASE, dm_retry_at

log = logging.getLogger(__name__)

Search = Callable[[SearchQuery], Awaitable[SearchResult]]
# Why a watch's owner may no longer watch (removed from an allowlist), or None.
OwnerCheck = Callable[[Watch], str | None]


class DmRefused(Exception):
    """Slack did not take a DM: ``error`` is Slack's code (or the failure's kind)."""

    def __init__(self, error: str, *, retry_after: float | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.retry_after = retry_after


class Notifier(Protocol):
    async def send(self, dm: Dm) -> None:
        """Post ``dm`` to its watch's owner; raises DmRefused when Slack does not take it."""
        ...


@dataclass
class WatchRunner:
    store: WatchStore
    search: Search
    notifier: Notifier
    clock: Clock  # wall-clock epoch seconds: stored times mean the same on every instance
    interval: float
    owner_check: OwnerCheck
    # Who holds a lease: one random id per process (a restarted process is someone new).
    holder: str = field(default_factory=lambda: uuid.uuid4().hex)

    async def run_tick(self) -> None:
        """The scheduler job: a catch boundary, like the token refresh's tick."""
        try:
            await self.tick()
        except asyncio.CancelledError:
            # Shutdown cancels a tick in flight; a leased search or DM is freed by its lease.
            log.debug("watch tick cancelled by shutdown")
        except StoreUnavailableError:
            pass  # the database logs one WARNING per outage; the next tick tries again
        except Exception as exc:
            log.error("watch tick failed: %s", type(exc).__name__)

    async def tick(self) -> None:
        now = self.clock.now()
        for watch in await self.store.expire_due(now):
            log.info("watch %d ended after its days (owner %s)", watch.id, watch.owner)
        while (
            search := await self.store.claim_due_search(now, SEARCH_LEASE, self.holder)
        ) is not None:
            await self._run(search, now)
        await self.deliver()

    async def _run(self, search: str, now: float) -> None:
        """One Sinch search for every active watch of ``search``, then its next run time."""
        try:
            watches = [w for w in await self.store.watches_of(search) if await self._allowed(w)]
            if watches:
                result = await self.search(parse_watch_text(search))
                for watch in watches:
                    new = await self.store.record_run(watch.id, result.numbers, now)
                    if new:
                        log.info("watch %d: %d new number(s)", watch.id, len(new))
        except SinchError as err:
            # Nothing recorded: the numbers are still news at the next run.
            log.warning("watch search failed: %s: %s", type(err).__name__, err)
        except CommandError:
            # A stored search the grammar no longer accepts: stop its watches, say why.
            for watch in await self.store.watches_of(search):
                await self.store.stop(watch.id, reason="its search is no longer valid")
            log.warning("watched search no longer parses; its watches were stopped")
        await self.store.finish_search(search, self.holder, now, now + self.interval)

    async def _allowed(self, watch: Watch) -> bool:
        reason = self.owner_check(watch)
        if reason is None:
            return True
        # The access rules changed since the watch started: it stops, and nothing is sent.
        if await self.store.stop(watch.id, reason=reason) is not None:
            log.info("watch %d stopped: %s", watch.id, reason)
        return False

    async def deliver(self) -> None:
        """Send due DMs, one claimed at a time; a refused one is retried later, then pauses."""
        for _ in range(DMS_PER_TICK):
            now = self.clock.now()
            dm = await self.store.claim_dm(now, DM_LEASE)
            if dm is None:
                return
            try:
                await self.notifier.send(dm)
            except DmRefused as refused:
                retry_at = dm_retry_at(now, dm.attempts + 1, refused.retry_after)
                await self.store.dm_refused(dm.id, error=refused.error, now=now, retry_at=retry_at)
                if retry_at is None:
                    log.warning(
                        "watch %d paused: Slack refused its DM %d times (%s)",
                        dm.watch.id,
                        dm.attempts + 1,
                        refused.error,
                    )
                else:
                    log.warning(
                        "Slack refused a watch DM (%s); retrying in %.0f s",
                        refused.error,
                        retry_at - now,
                    )
                if refused.error == "ratelimited":
                    return  # the rest would be refused too: next tick
                continue
            await self.store.dm_sent(dm.id, self.clock.now())
