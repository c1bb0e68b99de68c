"""The APScheduler job that keeps the Sinch token fresh: one interval tick, rescheduled with L."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED
from apscheduler.schedulers.asyncio import AsyncIOScheduler

logger = logging.getLogger(__name__)

JOB_ID = "sinch-token-refresh"
WATCH_JOB_ID = "watch-tick"


class Refresher(Protocol):
    """What the tick needs from the token provider."""

    @property
    def tick_interval(self) -> float: ...

    async def refresh_if_due(self) -> None: ...


def jitter_for(interval: float) -> float:
    """Tick jitter: spreads workers, but stays well under half a tick so short ticks keep up."""
    return interval / 6


def build_scheduler(provider: Refresher) -> AsyncIOScheduler:
    """An AsyncIOScheduler (not started) whose one job runs ``provider.refresh_if_due``.

    Start it inside the running loop (the ASGI lifespan): APScheduler 3.11 needs one. The job
    first runs at start-up, so readiness turns green as soon as the first fetch succeeds.
    """
    # Every run logs two INFO lines; keep the scheduler's own chatter out of the logs.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    scheduler = AsyncIOScheduler(timezone=UTC)
    interval = provider.tick_interval

    async def tick() -> None:
        # An interval job with misfire_grace_time=None cannot be lost, but an exception would
        # be logged by APScheduler with a full traceback: this job is a catch boundary.
        nonlocal interval
        try:
            await provider.refresh_if_due()
            wanted = provider.tick_interval
            if wanted != interval:
                scheduler.reschedule_job(
                    JOB_ID, trigger="interval", seconds=wanted, jitter=jitter_for(wanted)
                )
                logger.info("Sinch token refresh tick now every %g s", wanted)
                interval = wanted
        except asyncio.CancelledError:
            # Shutdown cancels a tick in flight. Ending quietly keeps APScheduler from logging
            # "Job raised an exception" with a traceback; the job's task ends here either way.
            logger.debug("Sinch token refresh tick cancelled by shutdown")
        except Exception as exc:
            logger.error("Sinch token refresh tick failed: %s", type(exc).__name__)

    _add_tick(
        scheduler,
        tick,
        seconds=interval,
        job_id=JOB_ID,
        name="Sinch token refresh",
        next_run_time=datetime.now(UTC),
    )
    scheduler.add_listener(
        log_job_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES
    )
    return scheduler


def add_watch_job(
    scheduler: AsyncIOScheduler, tick: Callable[[], Awaitable[None]], seconds: float
) -> None:
    """The one watch job of this process: every instance runs it, the database decides who
    runs which watch (bot.watch.store). ``tick`` is its own catch boundary."""
    _add_tick(scheduler, tick, seconds=seconds, job_id=WATCH_JOB_ID, name="Watch tick")


def _add_tick(
    scheduler: AsyncIOScheduler,
    tick: Callable[[], Awaitable[None]],
    *,
    seconds: float,
    job_id: str,
    name: str,
    **extra: Any,
) -> None:
    """One interval job of this process, as both ticks want it: one run at a time, late runs
    coalesced into one, and never dropped as "missed" however late the loop gets to it."""
    scheduler.add_job(
        tick,
        "interval",
        seconds=seconds,
        jitter=jitter_for(seconds),
        id=job_id,
        name=name,
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
        **extra,
    )


async def stop_scheduler(scheduler: AsyncIOScheduler) -> None:
    """Shut the scheduler down so that a tick in flight ends quietly (see ``tick``).

    A job submitted but not yet started would be cancelled before its first line runs, and
    APScheduler logs that as an error with a traceback: no new submissions, let those start,
    then shut down. AsyncIOScheduler shuts down on the next loop iteration; wait for it.
    """
    if not scheduler.running:
        return
    scheduler.pause()
    for _ in range(2):
        await asyncio.sleep(0)
    scheduler.shutdown(wait=False)
    await asyncio.sleep(0)


def log_job_event(event: Any) -> None:
    """Safety net for scheduler trouble: one sanitized line, never the exception's text."""
    if event.code == EVENT_JOB_ERROR:
        # Only error events carry .exception; its message could hold anything, so log the type.
        logger.error("scheduler job %s raised %s", event.job_id, type(event.exception).__name__)
    elif event.code == EVENT_JOB_MISSED:
        logger.warning("scheduler job %s missed its run time", event.job_id)
    elif event.code == EVENT_JOB_MAX_INSTANCES:
        logger.warning("scheduler job %s skipped: the previous run is still going", event.job_id)
