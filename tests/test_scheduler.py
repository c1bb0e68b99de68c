"""The token refresh job: its options, the reschedule when L changes, and its catch boundary."""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.triggers.interval import IntervalTrigger
from pydantic import SecretStr

from bot.ops.scheduler import JOB_ID, build_scheduler, jitter_for, log_job_event
from bot.sinch.auth import TokenProvider
from tests.fakes import FakeClock, hanging_handler

AUTH_URL = "https://auth.example.test/oauth2/token"
SECRET = "key-secret-Zq8vX2"


class Lifetimes:
    """Token endpoint whose lifetime the test sets; tokens are numbered."""

    def __init__(self) -> None:
        self.lifetime = 3600
        self.issued = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.issued += 1
        body = {"access_token": f"at-{self.issued}", "expires_in": self.lifetime}
        return httpx.Response(200, json={**body, "token_type": "bearer"})


@pytest.fixture
def endpoint() -> Lifetimes:
    return Lifetimes()


@pytest.fixture
def router(endpoint: Lifetimes) -> Iterator[respx.MockRouter]:
    with respx.MockRouter(assert_all_called=False) as mock:
        mock.post(AUTH_URL, name="token").mock(side_effect=endpoint)
        yield mock


@pytest.fixture
async def provider(router: respx.MockRouter, fake_clock: FakeClock) -> AsyncIterator[TokenProvider]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(router.async_handler)) as http:
        provider = TokenProvider(
            http=http,
            auth_url=AUTH_URL,
            key_id="key-id",
            key_secret=SecretStr(SECRET),
            clock=fake_clock,
            rng=random.Random(1),
        )
        yield provider
        await provider.aclose()


def test_one_interval_job_that_first_runs_at_start_up(provider: TokenProvider) -> None:
    logging.getLogger("apscheduler").setLevel(logging.DEBUG)
    scheduler = build_scheduler(provider)

    assert not scheduler.running
    (job,) = scheduler.get_jobs()
    assert job.id == JOB_ID
    assert isinstance(job.trigger, IntervalTrigger)
    assert job.trigger.interval == timedelta(seconds=30)
    assert 0 < job.trigger.jitter < 15
    assert job.coalesce is True
    assert job.max_instances == 1
    assert job.misfire_grace_time is None
    assert job.next_run_time.tzinfo is not None
    assert job.next_run_time <= datetime.now(UTC)
    assert inspect.iscoroutinefunction(job.func)
    assert logging.getLogger("apscheduler").level == logging.WARNING


async def test_tick_reschedules_when_the_lifetime_changes(
    provider: TokenProvider,
    endpoint: Lifetimes,
    router: respx.MockRouter,
    fake_clock: FakeClock,
) -> None:
    scheduler = build_scheduler(provider)
    job = scheduler.get_job(JOB_ID)
    endpoint.lifetime = 8

    await job.func()

    assert router["token"].call_count == 1
    job = scheduler.get_job(JOB_ID)
    assert job.trigger.interval == timedelta(seconds=1)
    assert job.trigger.jitter == jitter_for(1) < 0.5

    # The issuer goes back to one-hour tokens: the tick slows down again.
    endpoint.lifetime = 3600
    fake_clock.advance(provider.next_post_at - fake_clock.now())
    await job.func()
    assert router["token"].call_count == 2
    assert scheduler.get_job(JOB_ID).trigger.interval == timedelta(seconds=30)


def test_jitter_stays_under_half_a_tick() -> None:
    for interval in (1.0, 2.5, 12.0, 30.0):
        assert 0 < jitter_for(interval) < interval / 2


class Exploding:
    tick_interval = 30.0

    async def refresh_if_due(self) -> None:
        raise RuntimeError(f"boom {SECRET}")


async def test_the_job_never_raises_and_logs_one_sanitized_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    scheduler = build_scheduler(Exploding())

    await scheduler.get_job(JOB_ID).func()

    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in errors] == ["Sinch token refresh tick failed: RuntimeError"]
    assert SECRET not in caplog.text


def test_listener_logs_errors_and_misses_without_exception_text(
    caplog: pytest.LogCaptureFixture,
) -> None:
    when = datetime.now(UTC)
    error = JobExecutionEvent(
        EVENT_JOB_ERROR, JOB_ID, "default", when, exception=RuntimeError(SECRET)
    )

    log_job_event(error)
    log_job_event(JobExecutionEvent(EVENT_JOB_MISSED, JOB_ID, "default", when))

    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.ERROR, f"scheduler job {JOB_ID} raised RuntimeError"),
        (logging.WARNING, f"scheduler job {JOB_ID} missed its run time"),
    ]
    assert SECRET not in caplog.text


async def test_started_scheduler_fetches_the_first_token_at_start_up(
    router: respx.MockRouter, fake_clock: FakeClock
) -> None:
    # The one test that starts a scheduler: it must start inside the running loop.
    fetched = asyncio.Event()
    async with httpx.AsyncClient(transport=httpx.MockTransport(router.async_handler)) as http:
        provider = TokenProvider(
            http=http,
            auth_url=AUTH_URL,
            key_id="key-id",
            key_secret=SecretStr(SECRET),
            clock=fake_clock,
            on_fetch=lambda outcome: fetched.set(),
        )
        scheduler = build_scheduler(provider)
        scheduler.start()
        try:
            await asyncio.wait_for(fetched.wait(), timeout=5)
        finally:
            scheduler.shutdown(wait=False)
            await provider.aclose()

    assert provider.is_ready()
    assert router["token"].call_count == 1


async def test_a_tick_in_flight_at_shutdown_ends_quietly(
    router: respx.MockRouter, provider: TokenProvider, caplog: pytest.LogCaptureFixture
) -> None:
    entered, hang = hanging_handler()  # the token endpoint never answers
    router["token"].mock(side_effect=hang)
    scheduler = build_scheduler(provider)
    scheduler.start()
    await asyncio.wait_for(entered.wait(), timeout=5)  # the start-up tick is fetching

    # The lifespan's shutdown: the scheduler cancels the running tick, then the provider
    # cancels the fetch.
    scheduler.shutdown(wait=False)
    await provider.aclose()
    for _ in range(10):
        await asyncio.sleep(0)  # let the cancelled job task finish and report

    loud = [
        (r.name, r.getMessage())
        for r in caplog.get_records("call")
        if r.levelno >= logging.WARNING and r.name.startswith(("apscheduler", "bot"))
    ]
    assert loud == []
