"""Test doubles shared across the suite."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx


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


def hanging_handler() -> tuple[asyncio.Event, Callable[[httpx.Request], Awaitable[httpx.Response]]]:
    """A respx side effect that never answers, and the event set once a request reached it."""
    entered = asyncio.Event()

    async def hang(request: httpx.Request) -> httpx.Response:
        entered.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    return entered, hang
