"""Active numbers at scale: page-size cap and fallback, streaming walks, partial summaries,
and the summary cache with single-flight. Sinch is a respx handler with real paging."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal

import httpx
import pytest
import respx

from bot.active.summary import ActiveSummary
from bot.core.domain import ActiveQuery, NumberType
from bot.core.errors import CommandError, SinchBadRequestError, SinchConnectionError
from bot.search.cache import SearchCache
from bot.search.service import SUMMARY_BUDGET, NumbersService
from bot.sinch.client import MAX_ACTIVE_PAGE_SIZE, SinchClient
from tests.fakes import FakeClock

BASE = "https://numbers.test"
PATH = f"{BASE}/v1/projects/p1/activeNumbers"
REGIONS = ("US", "GB", "SE", "DE")


def rented(n: int, type: NumberType) -> dict[str, object]:
    return {
        "phoneNumber": f"+1206{n:07d}",
        "regionCode": REGIONS[n % len(REGIONS)],
        "type": type.value,
        "capability": ["SMS", "VOICE"] if n % 2 else ["VOICE"],
        "money": {"currencyCode": "USD", "amount": "0.10"},
        "paymentIntervalMonths": 1,
        **({"expireAt": "2026-12-01T09:00:00.000000Z"} if n % 10 == 0 else {}),
    }


@dataclass
class FakeSinch:
    """activeNumbers with Sinch's paging: pageSize capped (400 above), offset page tokens."""

    per_type: dict[NumberType, int]
    cap: int = MAX_ACTIVE_PAGE_SIZE
    sizes: list[int] = field(default_factory=list)
    # Called before each answer (e.g. to move the fake clock, or to hold the answer).
    before: Callable[[httpx.Request], Awaitable[None]] | None = None

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.before is not None:
            await self.before(request)
        params = request.url.params
        size = int(params["pageSize"])
        self.sizes.append(size)
        if size > self.cap:
            return httpx.Response(
                400,
                json={
                    "error": {
                        "code": 400,
                        "message": f"pageSize must be between 1 and {self.cap}, got {size}",
                        "status": "INVALID_ARGUMENT",
                        "details": [
                            {
                                "type": "BadRequest",
                                "fieldViolations": [
                                    {"field": "pageSize", "description": "too large"}
                                ],
                            }
                        ],
                    }
                },
            )
        type = NumberType(params["type"])
        total = self.per_type.get(type, 0)
        offset = int(params.get("pageToken") or 0)
        end = min(total, offset + size)
        return httpx.Response(
            200,
            json={
                "activeNumbers": [rented(n, type) for n in range(offset, end)],
                "nextPageToken": str(end) if end < total else "",
                "totalSize": total,
            },
        )


def make(
    sinch: FakeSinch, clock: FakeClock, *, ttl: float = 0.0
) -> tuple[NumbersService, SinchClient, SearchCache[ActiveSummary]]:
    router = respx.Router(assert_all_mocked=True)
    router.get(PATH).mock(side_effect=sinch)
    http = httpx.AsyncClient(base_url=BASE, transport=httpx.MockTransport(router.async_handler))
    client = SinchClient(http=http, project_id="p1", clock=clock)
    cache: SearchCache[ActiveSummary] = SearchCache(ttl=ttl, clock=clock)
    return NumbersService(client=client, active_cache=cache, clock=clock), client, cache


PER_TYPE = {NumberType.LOCAL: 2_500, NumberType.MOBILE: 700, NumberType.TOLL_FREE: 30}


async def test_summary_walks_each_type_with_the_largest_page_size(fake_clock: FakeClock) -> None:
    sinch = FakeSinch(PER_TYPE)
    service, _, _ = make(sinch, fake_clock)
    summary = await service.active_summary()
    assert summary.counted == summary.total_size == 3_230
    assert not summary.partial
    assert set(sinch.sizes) == {MAX_ACTIVE_PAGE_SIZE}
    assert summary.pages == len(sinch.sizes) == 3 + 1 + 1  # 2,500 LOCAL take three pages
    assert summary.releasing == 323
    # Ten cents each, releasing numbers left out: exact, no float drift.
    assert summary.monthly == (("USD", Decimal("290.70")),)
    assert sum(r.count for r in summary.regions) == 3_230


async def test_page_size_above_the_cap_is_halved_and_remembered(
    fake_clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    sinch = FakeSinch({NumberType.LOCAL: 600}, cap=300)
    service, client, _ = make(sinch, fake_clock)
    with caplog.at_level(logging.WARNING, logger="bot.sinch.client"):
        numbers = [n async for n in service.active_stream(type=NumberType.LOCAL)]
    assert len(numbers) == 600
    assert len({n.phone_number for n in numbers}) == 600
    # 1000 refused, 500 refused, 250 accepted for every page after.
    assert sinch.sizes == [1000, 500, 250, 250, 250]
    assert client.active_page_size == 250
    assert any("pageSize=1000" in r.getMessage() for r in caplog.get_records("call"))
    sinch.sizes.clear()
    await service.active_summary(type=NumberType.LOCAL)
    assert sinch.sizes == [250, 250, 250]


async def test_a_400_about_something_else_is_not_retried(fake_clock: FakeClock) -> None:
    router = respx.Router(assert_all_mocked=True)
    route = router.get(PATH).respond(
        400,
        json={"error": {"code": 400, "message": "bad type", "status": "INVALID_ARGUMENT"}},
    )
    http = httpx.AsyncClient(base_url=BASE, transport=httpx.MockTransport(router.async_handler))
    client = SinchClient(http=http, project_id="p1", clock=fake_clock)
    with pytest.raises(SinchBadRequestError):
        [page async for page in client.active_pages(type=NumberType.LOCAL)]
    assert route.call_count == 1
    assert client.active_page_size == MAX_ACTIVE_PAGE_SIZE


async def test_summary_over_budget_is_partial_and_says_how_much(fake_clock: FakeClock) -> None:
    async def slow_page(request: httpx.Request) -> None:
        fake_clock.advance(1.5)  # each page "takes" 1.5 s of the summary's budget

    sinch = FakeSinch({NumberType.LOCAL: 48_310}, before=slow_page)
    service, _, _ = make(sinch, fake_clock)
    summary = await service.active_summary(type=NumberType.LOCAL)
    assert summary.partial
    pages = int(SUMMARY_BUDGET // 1.5) + 1  # the page started before the deadline is kept
    assert summary.pages == pages
    assert summary.counted == pages * MAX_ACTIVE_PAGE_SIZE
    assert summary.total_size == 48_310


async def test_cli_summary_has_no_budget(fake_clock: FakeClock) -> None:
    async def slow_page(request: httpx.Request) -> None:
        fake_clock.advance(1.5)

    sinch = FakeSinch({NumberType.LOCAL: 12_000}, before=slow_page)
    service, _, _ = make(sinch, fake_clock)
    summary = await service.active_summary(type=NumberType.LOCAL, budget=None)
    assert not summary.partial
    assert summary.counted == 12_000


async def test_summary_is_cached_for_the_ttl_and_says_its_age(fake_clock: FakeClock) -> None:
    sinch = FakeSinch(PER_TYPE)
    service, _, cache = make(sinch, fake_clock, ttl=60)
    first = await service.active_summary()
    calls = len(sinch.sizes)
    fake_clock.advance(12)
    second = await service.active_summary()
    assert len(sinch.sizes) == calls  # no Sinch call
    assert first.cache_age is None
    assert second.cache_age == 12
    assert second.counted == first.counted
    fake_clock.advance(60)
    third = await service.active_summary()
    assert third.cache_age is None
    assert len(sinch.sizes) == 2 * calls
    assert (cache.hits, cache.misses) == (1, 2)


async def test_identical_summaries_in_flight_share_one_walk(fake_clock: FakeClock) -> None:
    release = asyncio.Event()

    async def hold(request: httpx.Request) -> None:
        await release.wait()

    sinch = FakeSinch(PER_TYPE, before=hold)
    service, _, _ = make(sinch, fake_clock, ttl=60)
    tasks = [asyncio.create_task(service.run(ActiveQuery())) for _ in range(20)]
    await asyncio.sleep(0)
    release.set()
    results = await asyncio.gather(*tasks)
    assert len(sinch.sizes) == 5  # one walk: three LOCAL pages, one MOBILE, one TOLL_FREE
    assert {r.counted for r in results if isinstance(r, ActiveSummary)} == {3_230}


async def test_a_failed_walk_is_not_cached_and_its_error_is_the_answer(
    fake_clock: FakeClock,
) -> None:
    failures = iter([True])

    async def fail_once(request: httpx.Request) -> None:
        if request.url.params["type"] == "MOBILE" and next(failures, False):
            raise httpx.ConnectError("boom")

    sinch = FakeSinch(PER_TYPE, before=fail_once)
    router = respx.Router(assert_all_mocked=True)
    router.get(PATH).mock(side_effect=sinch)
    http = httpx.AsyncClient(base_url=BASE, transport=httpx.MockTransport(router.async_handler))
    # One attempt per page: the connection error is the answer, not retried away.
    client = SinchClient(http=http, project_id="p1", clock=fake_clock, max_attempts=1)
    cache: SearchCache[ActiveSummary] = SearchCache(ttl=60, clock=fake_clock)
    service = NumbersService(client=client, active_cache=cache, clock=fake_clock)
    with pytest.raises(SinchConnectionError):
        await service.active_summary()
    assert len(cache) == 0
    summary = await service.active_summary()
    assert summary.counted == 3_230


async def test_ttl_zero_walks_every_time(fake_clock: FakeClock) -> None:
    sinch = FakeSinch({NumberType.TOLL_FREE: 3})
    service, _, _ = make(sinch, fake_clock, ttl=0)
    await service.active_summary(type=NumberType.TOLL_FREE)
    await service.active_summary(type=NumberType.TOLL_FREE)
    assert len(sinch.sizes) == 2


async def test_run_summarises_only_without_region_or_page_token(fake_clock: FakeClock) -> None:
    sinch = FakeSinch({NumberType.LOCAL: 30})
    service, _, _ = make(sinch, fake_clock)
    assert isinstance(await service.run(ActiveQuery()), ActiveSummary)
    listed = await service.run(ActiveQuery(region="US", type=NumberType.LOCAL))
    assert not isinstance(listed, ActiveSummary)


async def test_bad_region_is_refused_before_any_walk(fake_clock: FakeClock) -> None:
    sinch = FakeSinch(PER_TYPE)
    service, _, _ = make(sinch, fake_clock)
    with pytest.raises(CommandError):
        await service.active_summary(region="Narnia")
    with pytest.raises(CommandError):
        [n async for n in service.active_stream(region="Narnia")]
    assert sinch.sizes == []


async def test_stream_walks_the_types_at_once_and_yields_each_number_once(
    fake_clock: FakeClock,
) -> None:
    in_flight: set[str] = set()
    overlapped: list[bool] = []
    gate = asyncio.Event()

    async def track(request: httpx.Request) -> None:
        in_flight.add(request.url.params["type"])
        overlapped.append(len(in_flight) > 1)
        if len(in_flight) == 3:
            gate.set()
        await asyncio.wait_for(gate.wait(), 5)

    sinch = FakeSinch(PER_TYPE, before=track)
    service, _, _ = make(sinch, fake_clock)
    numbers = [n async for n in service.active_stream()]
    assert len(numbers) == len({(n.phone_number, n.type) for n in numbers}) == 3_230
    assert any(overlapped)  # the three first pages were requested together


async def test_stream_failure_is_the_answer_and_stops_the_other_walks(
    fake_clock: FakeClock,
) -> None:
    async def fail_mobile(request: httpx.Request) -> None:
        if request.url.params["type"] == "MOBILE":
            raise httpx.ConnectError("boom")

    sinch = FakeSinch(PER_TYPE, before=fail_mobile)
    router = respx.Router(assert_all_mocked=True)
    router.get(PATH).mock(side_effect=sinch)
    http = httpx.AsyncClient(base_url=BASE, transport=httpx.MockTransport(router.async_handler))
    client = SinchClient(http=http, project_id="p1", clock=fake_clock, max_attempts=1)
    service = NumbersService(client=client, clock=fake_clock)
    with pytest.raises(SinchConnectionError):
        [n async for n in service.active_stream()]
    assert sinch.sizes.count(MAX_ACTIVE_PAGE_SIZE) < 5  # LOCAL did not walk all three pages


async def test_a_page_still_in_flight_at_the_deadline_is_cut_off_and_the_summary_partial(
    fake_clock: FakeClock,
) -> None:
    never = asyncio.Event()

    async def hang_on_the_second_local_page(request: httpx.Request) -> None:
        if request.url.params.get("pageToken") == str(MAX_ACTIVE_PAGE_SIZE):
            await never.wait()  # Sinch never answers this page

    sinch = FakeSinch(PER_TYPE, before=hang_on_the_second_local_page)
    service, _, _ = make(sinch, fake_clock)
    # The budget also bounds the wait for a page (in loop time): kept tiny here.
    summary = await service.active_summary(budget=0.05)
    assert summary.partial
    assert summary.counted == MAX_ACTIVE_PAGE_SIZE + 700 + 30
    assert summary.total_size == 3_230


async def test_cli_listing_gets_every_number_in_large_pages(fake_clock: FakeClock) -> None:
    sinch = FakeSinch(PER_TYPE)
    service, _, _ = make(sinch, fake_clock)
    result = await service.active_all()
    assert len(result.numbers) == result.total_size == 3_230
    assert set(sinch.sizes) == {MAX_ACTIVE_PAGE_SIZE}
    phones = [n.phone_number for n in result.numbers]
    assert phones == sorted(phones)
