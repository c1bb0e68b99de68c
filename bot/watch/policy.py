"""The watch policy's arithmetic: how often the tick looks, DM retries, leases (pure)."""

from __future__ import annotations

from typing import Final

# The tick claims due searches and sends due DMs; it runs this often at most, so DM retries
# and short WATCH_INTERVALs are served on time without a job per watch.
MAX_TICK_SECONDS: Final = 30.0
# A DM Slack refused is tried this many times in all, then the watch pauses (Home tab says why).
MAX_DM_ATTEMPTS: Final = 5
# Retry delays after the 1st, 2nd, ... refusal: quick for a blip, then hours of patience
# (about 45 min in all) before the watch pauses. Slack's Retry-After wins when longer.
DM_RETRY_DELAYS: Final = (30.0, 120.0, 600.0, 1800.0)
# A claimed search or DM is someone's for this long; an instance that died frees it after.
# Longer than a search's 13 s budget and a DM's few seconds, with room for a slow database.
SEARCH_LEASE: Final = 120.0
DM_LEASE: Final = 60.0
# DMs sent per tick at most: Slack allows about one message a second per channel, and a tick
# that found 30 new numbers for one person should not post them all in one burst.
DMS_PER_TICK: Final = 20
DAY: Final = 86_400.0


def tick_seconds(watch_interval: float) -> float:
    """The tick's period: the watch interval, but never longer than MAX_TICK_SECONDS."""
    return min(watch_interval, MAX_TICK_SECONDS)


def dm_retry_at(now: float, attempts: int, retry_after: float | None = None) -> float | None:
    """When to try a refused DM again after its ``attempts``-th refusal; None: give up."""
    if attempts >= MAX_DM_ATTEMPTS:
        return None
    delay = DM_RETRY_DELAYS[min(attempts, len(DM_RETRY_DELAYS)) - 1]
    return now + max(delay, retry_after or 0.0)
