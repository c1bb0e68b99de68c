"""The store's background work in the web process: migrate at start-up, then sweep.

Runs beside the app, never before it: a slow or absent database must not keep PORT from
binding, and searches never need it. Every ``SWEEP_INTERVAL`` it settles requests left
``executing`` by a dead instance (``bot.changes.reconcile``), so none stays "in progress" until the
next click or restart; every instance sweeps, and the ledger's compare-and-set settles each
request once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.changes.reconcile import sweep
from bot.changes.service import NumberChanges
from bot.core.errors import StoreUnavailableError
from bot.store.engine import Database
from bot.store.ledger import STALE_AFTER, ChangeLedger
from bot.store.migrate import Schema

log = logging.getLogger(__name__)

SWEEP_INTERVAL = STALE_AFTER.total_seconds()
# Shutdown lets a query in progress finish rather than cut it off mid-statement (the driver's
# thread would answer a loop that is gone); bounded by the connect timeout.
SHUTDOWN_WAIT = 6.0


class StoreUpkeep:
    def __init__(
        self,
        *,
        database: Database,
        schema: Schema,
        ledger: ChangeLedger,
        changes: NumberChanges,
        opened: asyncio.Event,
        interval: float = SWEEP_INTERVAL,
    ) -> None:
        self._database = database
        self._schema = schema
        self._ledger = ledger
        self._changes = changes
        self._opened = opened
        self._interval = interval
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="store-upkeep")

    async def aclose(self) -> None:
        if self._task is None:
            return
        self._stopping.set()
        await asyncio.wait({self._task}, timeout=SHUTDOWN_WAIT)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _run(self) -> None:
        target = self._database.target
        note = " (one instance's store; several instances need PostgreSQL)"
        log.info("store: %s%s", target.describe(), note if target.is_sqlite else "")
        while not self._stopping.is_set():
            with contextlib.suppress(StoreUnavailableError):  # logged once by Database
                await self._schema.ensure()
                settled = await sweep(self._ledger, self._changes)
                if settled:
                    log.info("sweep: %d interrupted request(s) read back from Sinch", settled)
            # Set after the first pass whatever its result, so tests and probes can wait on it.
            self._opened.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._interval)
