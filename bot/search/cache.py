"""A small per-process TTL cache for search results, with single-flight for identical searches."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from bot.core.clock import Clock

V = TypeVar("V")


class SearchCache(Generic[V]):
    """Keeps the newest ``max_entries`` results for ``ttl`` seconds; failures are never cached.

    Concurrent callers with the same key share one fetch (and its failure), so a burst of
    identical commands costs one Sinch call.
    """

    def __init__(self, *, ttl: float, clock: Clock, max_entries: int = 256) -> None:
        self._ttl = ttl
        self._clock = clock
        self._max = max_entries
        self._entries: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._inflight: dict[Hashable, asyncio.Future[V]] = {}
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self._ttl > 0

    def __len__(self) -> int:
        return len(self._entries)

    async def get_or_fetch(
        self, key: Hashable, fetch: Callable[[], Awaitable[V]]
    ) -> tuple[V, float | None]:
        """Return ``(value, age)``: age in seconds when served from cache, None when fetched now."""
        if not self.enabled:
            return await fetch(), None
        now = self._clock.now()
        entry = self._entries.get(key)
        if entry is not None:
            stored_at, value = entry
            if now - stored_at < self._ttl:
                self._entries.move_to_end(key)
                self.hits += 1
                return value, now - stored_at
            del self._entries[key]
        shared = self._inflight.get(key)
        if shared is not None:
            self.hits += 1
            # shield: one impatient caller must not cancel the fetch the others wait on.
            return await asyncio.shield(shared), None
        self.misses += 1
        task = asyncio.ensure_future(fetch())
        self._inflight[key] = task
        task.add_done_callback(lambda t: self._settle(key, t))
        return await asyncio.shield(task), None

    def _settle(self, key: Hashable, task: asyncio.Future[V]) -> None:
        self._inflight.pop(key, None)
        if task.cancelled() or task.exception() is not None:
            return
        self._entries[key] = (self._clock.now(), task.result())
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
