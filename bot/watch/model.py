"""What a watch is, and the store interface the tick and the front ends use."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.sinch.models import AvailableNumber


class WatchStatus(StrEnum):
    ACTIVE = "active"
    # Slack kept refusing its DMs: nothing is searched or sent until the owner watches again.
    PAUSED = "paused"
    STOPPED = "stopped"
    EXPIRED = "expired"


# A watch in one of these counts against WATCH_MAX_PER_USER and is listed as the user's.
LIVE_STATUSES = (WatchStatus.ACTIVE, WatchStatus.PAUSED)


class DmKind(StrEnum):
    NUMBER = "number"  # a new number
    EXPIRED = "expired"  # the watch ended after WATCH_DAYS


class DmState(StrEnum):
    PENDING = "pending"  # to send (again, after next_attempt_at)
    SENDING = "sending"  # claimed by one instance until lease_until
    SENT = "sent"
    FAILED = "failed"  # Slack refused it too often: the watch paused
    CANCELLED = "cancelled"  # the watch stopped before it went out
    # The instance sending it died before Slack's answer was recorded: it may have arrived, so
    # it is not sent again (a second DM is what a watch promises never to send).
    UNCONFIRMED = "unconfirmed"


@dataclass(frozen=True)
class Watch:
    id: int
    owner: str  # Slack user ID
    team: str  # Slack team ID
    search: str  # canonical search text (commands.watch.watch_text)
    created_at: float  # wall-clock seconds (epoch)
    expires_at: float
    status: WatchStatus
    last_run_at: float | None = None
    found: int = 0  # numbers DMed (or queued to be) so far
    reason: str | None = None  # why it paused or stopped


@dataclass(frozen=True)
class Dm:
    """One DM to send: a new number of a watch, or the notice that the watch ended."""

    id: int
    watch: Watch
    kind: DmKind
    attempts: int  # failed attempts so far
    offer: AvailableNumber | None = None


class WatchLimitReached(Exception):
    """The owner already has WATCH_MAX_PER_USER live watches."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"at most {limit} watches per user")
        self.limit = limit


class WatchStore(Protocol):
    """The watch tables. Times are wall-clock epoch seconds; every method is one transaction."""

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
        """A new active watch whose seen numbers start as ``baseline`` (never DMed).
        Raises WatchLimitReached when the owner has ``max_per_user`` live watches."""
        ...

    async def get(self, watch_id: int) -> Watch | None: ...

    async def list_watches(
        self, *, owner: str | None = None, live_only: bool = False
    ) -> list[Watch]:
        """Newest first; one owner's or everyone's."""
        ...

    async def stop(self, watch_id: int, *, reason: str, owner: str | None = None) -> Watch | None:
        """Stop a live watch (only ``owner``'s when given) and cancel its unsent DMs; None if
        there was no such live watch."""
        ...

    async def expire_due(self, now: float) -> list[Watch]:
        """Mark active watches past their end as expired, queueing their goodbye DM; returns
        those this call expired (exactly once across instances)."""
        ...

    async def claim_due_search(self, now: float, lease: float, holder: str) -> str | None:
        """Lease one search with an active watch that is due; None when none is."""
        ...

    async def watches_of(self, search: str) -> list[Watch]:
        """The active watches of one search."""
        ...

    async def record_run(
        self, watch_id: int, offers: Sequence[AvailableNumber], now: float
    ) -> list[AvailableNumber]:
        """Remember ``offers`` as seen and queue a DM for each one not seen before; returns
        those (none if the watch is no longer active). Each number is new to a watch once."""
        ...

    async def finish_search(self, search: str, holder: str, now: float, next_run_at: float) -> None:
        """Release the lease and schedule the search's next run."""
        ...

    async def claim_dm(self, now: float, lease: float) -> Dm | None:
        """Claim the most overdue DM of a live watch (each by one instance), or None. DMs
        whose sender died while sending become UNCONFIRMED first."""
        ...

    async def dm_sent(self, dm_id: int, now: float) -> None: ...

    async def undelivered(self, watch_ids: Sequence[int]) -> dict[int, list[str]]:
        """Per watch, the numbers whose DM did not (surely) arrive."""
        ...

    async def dm_refused(
        self, dm_id: int, *, error: str, now: float, retry_at: float | None
    ) -> None:
        """Slack refused it: retry at ``retry_at``, or (None) give up and pause the watch."""
        ...
