"""Per-user command rate limit: a sliding one-minute window on the injected clock."""

from __future__ import annotations

from collections import deque

from bot.core.clock import Clock

WINDOW = 60.0
# Forget idle users so a large workspace cannot grow the table without bound.
MAX_TRACKED_USERS = 10_000


class UserRateLimiter:
    def __init__(self, *, per_minute: int, clock: Clock) -> None:
        self._limit = per_minute
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}

    def check(self, user_id: str) -> float | None:
        """Record a command; None when allowed, else seconds until the user may try again."""
        if self._limit <= 0:
            return None
        now = self._clock.now()
        hits = self._hits.setdefault(user_id, deque())
        while hits and now - hits[0] >= WINDOW:
            hits.popleft()
        if len(hits) >= self._limit:
            return WINDOW - (now - hits[0])
        hits.append(now)
        if len(self._hits) > MAX_TRACKED_USERS:
            self._forget_idle(now)
        return None

    def _forget_idle(self, now: float) -> None:
        for user, hits in list(self._hits.items()):
            if not hits or now - hits[-1] >= WINDOW:
                del self._hits[user]
