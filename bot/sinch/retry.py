"""Retry arithmetic for Numbers API calls: jittered exponential backoff and Retry-After parsing."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

BACKOFF_BASE = 0.25
BACKOFF_CAP = 2.0
# 2**30 x base is far past any cap; bounding the exponent keeps huge attempt numbers from
# overflowing the float arithmetic.
_MAX_EXPONENT = 30


def backoff_delay(
    retry: int, *, rng: random.Random, base: float = BACKOFF_BASE, cap: float = BACKOFF_CAP
) -> float:
    """Seconds to wait before retry number ``retry`` (1 for the first retry).

    Equal jitter: half of the exponential step is always waited, so a retry never follows
    immediately, and the other half is random, so clients that failed together spread out.
    """
    if retry < 1:
        raise ValueError("retry counts from 1")
    step = min(cap, base * 2.0 ** min(retry - 1, _MAX_EXPONENT))
    return step / 2 + rng.uniform(0.0, step / 2)


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait according to a ``Retry-After`` value, or None when absent or unreadable.

    Accepts delay-seconds (decimals too, defensively) and an HTTP date, which is compared with
    ``now`` (timezone-aware wall-clock time). A date in the past means "retry now" (0.0).
    """
    if value is None or not (text := value.strip()):
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        # RFC 5322 "-0000" yields a naive datetime; HTTP dates are always GMT.
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
