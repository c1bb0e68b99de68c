"""Test doubles shared across the suite."""

from __future__ import annotations

import asyncio


class FakeClock:
    """A monotonic clock that only moves when told to; ``sleep`` advances it instead of waiting.

    ``sleeps`` records every requested sleep so tests can assert backoff delays.
    """

    def __init__(self, now: float = 1_000.0) -> None:
        self._now = now
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self._now += max(0.0, seconds)
        # Let other tasks run, as a real sleep would.
        await asyncio.sleep(0)
