"""NumbersService: validation before HTTP, wire form of queries, and the search cache."""

from __future__ import annotations

import asyncio
import dataclasses

import httpx
import pytest
import respx

from bot.core.domain import (
    SEARCH_FETCH_SIZE,
    Capability,
    NumberPattern,
    NumberType,
    SearchPattern,
    SearchQuery,
)
from bot.core.errors import CommandError, SinchUnavailableError
from bot.search.cache import SearchCache
from bot.search.service import NumbersService
from bot.sinch.client import SinchClient
from bot.sinch.models import AvailableNumber
from tests.fakes import FakeClock

BASE = "https://numbers.test"
PATH = f"{BASE}/v1/projects/p1/availableNumbers"


def number(n: int) -> dict[str, object]:
    return {
        "phoneNumber": f"+1206555{n:04d}",
        "regionCode": "US",
        "type": "LOCAL",
        "capability": ["SMS"],
        "setupPrice": {"currencyCode": "USD", "amount": "1"},
        "monthlyPrice": {"currencyCode": "USD", "amount": "2"},
    }


@pytest.fixture
def router() -> respx.Router:
    router = respx.Router(assert_all_mocked=True)
    router.get(PATH, name="available").respond(
        json={"availableNumbers": [number(i) for i in range(12)]}
    )
    return router


def make_service(
    router: respx.Router, clock: FakeClock, *, ttl: float = 0.0
) -> tuple[NumbersService, SearchCache[tuple[AvailableNumber, ...]], httpx.AsyncClient]:
    http = httpx.AsyncClient(base_url=BASE, transport=httpx.MockTransport(router.async_handler))
    client = SinchClient(http=http, project_id="p1", clock=clock)
    cache: SearchCache[tuple[AvailableNumber, ...]] = SearchCache(ttl=ttl, clock=clock)
    return NumbersService(client=client, cache=cache), cache, http


async def test_start_pattern_is_sent_with_plus_and_calling_code(
    router: respx.Router, fake_clock: FakeClock
) -> None:
    service, _, http = make_service(router, fake_clock)
    query = SearchQuery(
        region="SE",
        type=NumberType.MOBILE,
        capabilities=(Capability.SMS, Capability.VOICE),
        pattern=NumberPattern("70", SearchPattern.START),
        limit=5,
    )
    result = await service.search(query)
    request = router["available"].calls.last.request
    assert b"numberPattern.pattern=%2B4670" in request.url.query
    assert request.url.params["numberPattern.searchPattern"] == "START"
    assert request.url.params.get_list("capabilities") == ["SMS", "VOICE"]
    assert request.url.params["size"] == str(SEARCH_FETCH_SIZE)
    assert len(result.shown) == 5
    assert result.more == 7
    assert not result.more_is_lower_bound
    await http.aclose()


@pytest.mark.parametrize(
    "query",
    [
        SearchQuery(region="XX"),
        SearchQuery(region="us"),
        SearchQuery(region="USA"),
        SearchQuery(region="US", limit=0),
        SearchQuery(region="US", limit=10_000),
        SearchQuery(region="US", pattern=NumberPattern("12a", SearchPattern.CONTAINS)),
        SearchQuery(region="US", pattern=NumberPattern("", SearchPattern.END)),
        SearchQuery(region="US", pattern=NumberPattern("1" * 16, SearchPattern.START)),
        SearchQuery(region="US", capabilities=(Capability.SMS, Capability.SMS)),
    ],
)
async def test_invalid_queries_are_rejected_before_any_http_call(
    router: respx.Router, fake_clock: FakeClock, query: SearchQuery
) -> None:
    service, _, http = make_service(router, fake_clock)
    with pytest.raises(CommandError) as info:
        await service.search(query)
    assert info.value.hint
    assert not router["available"].called
    await http.aclose()


async def test_cache_hit_miss_and_expiry_on_the_fake_clock(
    router: respx.Router, fake_clock: FakeClock
) -> None:
    service, cache, http = make_service(router, fake_clock, ttl=30)
    first = await service.search(SearchQuery(region="US"))
    assert first.cache_age is None
    fake_clock.advance(12)
    # A different limit is the same search: served from cache, with its age.
    second = await service.search(SearchQuery(region="US", limit=3))
    assert second.cache_age == pytest.approx(12)
    assert len(second.shown) == 3
    assert router["available"].call_count == 1
    fake_clock.advance(18.5)
    third = await service.search(SearchQuery(region="US"))
    assert third.cache_age is None
    assert router["available"].call_count == 2
    # A different filter is a different search.
    await service.search(SearchQuery(region="US", capabilities=(Capability.SMS,)))
    assert router["available"].call_count == 3
    assert (cache.hits, cache.misses) == (1, 3)
    await http.aclose()


async def test_concurrent_identical_searches_share_one_upstream_call(
    router: respx.Router, fake_clock: FakeClock
) -> None:
    release = asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        await release.wait()
        return httpx.Response(200, json={"availableNumbers": [number(1)]})

    router["available"].side_effect = slow
    service, _, http = make_service(router, fake_clock, ttl=30)
    tasks = [asyncio.create_task(service.search(SearchQuery(region="US"))) for _ in range(20)]
    await asyncio.sleep(0)
    release.set()
    results = await asyncio.gather(*tasks)
    assert router["available"].call_count == 1
    assert {r.numbers[0].phone_number for r in results} == {"+12065550001"}
    await http.aclose()


async def test_failures_are_shared_but_never_cached(
    router: respx.Router, fake_clock: FakeClock
) -> None:
    router["available"].side_effect = [
        httpx.Response(
            400, json={"error": {"code": 400, "message": "bad", "status": "INVALID_ARGUMENT"}}
        ),
        httpx.Response(200, json={"availableNumbers": [number(2)]}),
    ]
    service, _, http = make_service(router, fake_clock, ttl=30)
    with pytest.raises(Exception, match="bad"):
        await service.search(SearchQuery(region="US"))
    result = await service.search(SearchQuery(region="US"))
    assert result.numbers[0].phone_number == "+12065550002"
    await http.aclose()


async def test_cache_is_bounded(fake_clock: FakeClock) -> None:
    cache: SearchCache[int] = SearchCache(ttl=30, clock=fake_clock, max_entries=3)

    async def value(n: int) -> int:
        return n

    for n in range(5):
        await cache.get_or_fetch(n, lambda n=n: value(n))  # type: ignore[misc]
    assert len(cache) == 3


async def test_ttl_zero_disables_the_cache(router: respx.Router, fake_clock: FakeClock) -> None:
    service, cache, http = make_service(router, fake_clock, ttl=0)
    await service.search(SearchQuery(region="US"))
    await service.search(SearchQuery(region="US"))
    assert router["available"].call_count == 2
    assert len(cache) == 0
    await http.aclose()


async def test_upstream_errors_propagate_as_sinch_errors(
    router: respx.Router, fake_clock: FakeClock
) -> None:
    router["available"].respond(503)
    service, _, http = make_service(router, fake_clock)
    with pytest.raises(SinchUnavailableError):
        await service.search(SearchQuery(region="US"))
    await http.aclose()


BASE_SEARCH = SearchQuery(
    region="US",
    type=NumberType.LOCAL,
    capabilities=(Capability.SMS,),
    pattern=NumberPattern("206", SearchPattern.CONTAINS),
)


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(dataclasses.replace(BASE_SEARCH, region="CA"), id="region"),
        pytest.param(dataclasses.replace(BASE_SEARCH, type=NumberType.TOLL_FREE), id="type"),
        pytest.param(dataclasses.replace(BASE_SEARCH, capabilities=()), id="capabilities"),
        pytest.param(
            dataclasses.replace(BASE_SEARCH, pattern=NumberPattern("207", SearchPattern.CONTAINS)),
            id="pattern-digits",
        ),
        pytest.param(
            dataclasses.replace(BASE_SEARCH, pattern=NumberPattern("206", SearchPattern.END)),
            id="pattern-kind",
        ),
        pytest.param(dataclasses.replace(BASE_SEARCH, pattern=None), id="no-pattern"),
    ],
)
async def test_searches_differing_in_any_filter_never_share_a_cache_entry(
    router: respx.Router, fake_clock: FakeClock, other: SearchQuery
) -> None:
    service, _, http = make_service(router, fake_clock, ttl=30)
    await service.search(BASE_SEARCH)
    result = await service.search(other)
    assert result.cache_age is None
    assert router["available"].call_count == 2
    # ...while the same search again is a hit.
    assert (await service.search(BASE_SEARCH)).cache_age == 0
    await http.aclose()


@pytest.mark.parametrize("cancelled", [0, 1], ids=["first-caller", "joining-caller"])
async def test_cancelling_one_of_two_identical_searches_leaves_the_other_its_answer(
    router: respx.Router, fake_clock: FakeClock, cancelled: int
) -> None:
    started, release = asyncio.Event(), asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        started.set()
        await release.wait()
        return httpx.Response(200, json={"availableNumbers": [number(7)]})

    router["available"].side_effect = slow
    service, _, http = make_service(router, fake_clock, ttl=30)
    first = asyncio.create_task(service.search(SearchQuery(region="US")))
    async with asyncio.timeout(5):
        await started.wait()
    second = asyncio.create_task(service.search(SearchQuery(region="US")))
    await asyncio.sleep(0)  # let the second caller join the fetch in flight
    tasks = [first, second]
    tasks[cancelled].cancel()
    release.set()
    async with asyncio.timeout(5):
        survivor = await tasks[1 - cancelled]
    assert survivor.numbers[0].phone_number == "+12065550007"
    with pytest.raises(asyncio.CancelledError):
        await tasks[cancelled]
    assert router["available"].call_count == 1
    await http.aclose()


REGIONS = f"{BASE}/v1/projects/p1/availableRegions"


async def test_an_empty_search_says_what_the_region_offers_from_the_regions_list(
    fake_clock: FakeClock,
) -> None:
    router = respx.Router(assert_all_mocked=True)
    router.get(PATH).respond(json={"availableNumbers": []})
    regions = router.get(REGIONS).respond(
        json={"availableRegions": [{"regionCode": "US", "types": ["LOCAL", "TOLL_FREE"]}]}
    )
    service, _, http = make_service(router, fake_clock)
    async with http:
        mobile = await service.search(SearchQuery(region="US", type=NumberType.MOBILE))
        local = await service.search(SearchQuery(region="US", type=NumberType.LOCAL))
        georgia = await service.search(SearchQuery(region="GE"))
    assert mobile.region_types == ("LOCAL", "TOLL_FREE")
    assert mobile.type_not_offered
    assert not local.type_not_offered  # offered, just none matched: the filters' advice stands
    assert georgia.region_types == ()  # not in the list at all
    assert georgia.type_not_offered
    assert regions.call_count == 3


async def test_a_search_that_found_numbers_does_not_ask_for_regions(
    router: respx.Router, fake_clock: FakeClock
) -> None:
    regions = router.get(REGIONS).respond(json={"availableRegions": []})
    service, _, http = make_service(router, fake_clock)
    async with http:
        result = await service.search(SearchQuery(region="US", type=NumberType.MOBILE))
    assert result.region_types is None
    assert not regions.called


async def test_a_failed_regions_lookup_leaves_the_empty_result_as_it_was(
    fake_clock: FakeClock,
) -> None:
    router = respx.Router(assert_all_mocked=True)
    router.get(PATH).respond(json={"availableNumbers": []})
    router.get(REGIONS).respond(status_code=400, json={"error": {"message": "no"}})
    service, _, http = make_service(router, fake_clock)
    async with http:
        result = await service.search(SearchQuery(region="US", type=NumberType.MOBILE))
    assert result.numbers == ()
    assert result.region_types is None
    assert not result.type_not_offered
