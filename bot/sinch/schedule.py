"""The token policy's arithmetic: when to refresh, how long to back off. Pure, no state."""

from __future__ import annotations

import random
from typing import Final

from bot.sinch.retry import backoff_delay

# Assumed lifetime when `expires_in` is missing or unreadable (a project choice).
DEFAULT_LIFETIME: Final = 900.0
# Before the first token the lifetime is unknown: tick at the policy's default cadence.
DEFAULT_TICK: Final = 30.0
# Below this much remaining lifetime the backoff cap drops and requests nudge a refresh.
URGENT_REMAINING: Final = 300.0
ADVISORY_BACKOFF_CAP: Final = 300.0
# Non-recoverable failures (a refused key) are retried this often, ± the spread.
AUTH_RETRY: Final = 300.0
AUTH_RETRY_SPREAD: Final = 0.2
# A Retry-After longer than this is treated as a mistake, not as "come back tomorrow".
RETRY_AFTER_MAX: Final = 3600.0
# A tick that has not run for this many intervals is stalled (e.g. the wall clock stepped back).
STALL_TICKS: Final = 3.0


def tick_interval_for(lifetime: float) -> float:
    """Refresh tick for tokens of ``lifetime`` seconds: 30 s, down to 1 s for short tokens."""
    return min(30.0, max(1.0, lifetime / 10))


def mandatory_window_for(lifetime: float) -> float:
    """Remaining lifetime at or below which a request waits for a fresh token."""
    return min(60.0, lifetime / 4)


def held_token_margin(lifetime: float) -> float:
    """Remaining lifetime above which a held token is still sent when its refresh failed.

    2 s covers a Numbers request's trip to Sinch; short test tokens get a proportionally smaller
    margin (0.5 s for 8 s tokens), or the mandatory window would swallow their whole life.
    """
    return min(2.0, lifetime / 16)


def refresh_delay(lifetime: float, rng: random.Random) -> float:
    """Seconds after t0 at which to start refreshing: 45:00–48:00 for one-hour tokens.

    The jitter is subtractive only, so it spreads processes that started together and never
    makes a refresh later; the clamp stops short tokens from refreshing on every call.
    """
    target = min(0.8 * lifetime, lifetime - 300.0) - rng.uniform(0.0, 0.05 * lifetime)
    return max(target, 0.5 * lifetime, min(30.0, tick_interval_for(lifetime)))


def transient_delay(
    streak: int,
    *,
    remaining: float | None,
    tick: float,
    retry_after: float | None,
    rng: random.Random,
) -> float:
    """Seconds before the next POST after ``streak`` unsuccessful fetches in a row.

    ``Retry-After`` wins outright (no POST before it, whatever the cap), clamped to an hour.
    Otherwise equal-jitter backoff whose base and floor are the tick, so short tokens retry in
    time; capped at 300 s while the held token has more than 300 s, else at the tick.
    """
    if retry_after is not None:
        return max(tick, min(retry_after, RETRY_AFTER_MAX))
    cap = ADVISORY_BACKOFF_CAP if remaining is not None and remaining > URGENT_REMAINING else tick
    return max(tick, backoff_delay(streak, rng=rng, base=tick, cap=cap))


def refused_key_delay(rng: random.Random) -> float:
    """Seconds before retrying a key the endpoint refused: 300 s ± 20 %, on every path."""
    return AUTH_RETRY * rng.uniform(1 - AUTH_RETRY_SPREAD, 1 + AUTH_RETRY_SPREAD)
