"""Place searches fan out: one request per area, at most 4 in flight, merged and deduplicated,
interleaved across areas (nearest first for near:), partial failures shown, never cached."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx

from bot.cli.render import render_text
from bot.core.domain import PlaceFilter, SearchQuery
from bot.core.errors import CommandError, SinchUnavailableError
from bot.search.cache import SearchCache
from bot.search.fanout import MAX_IN_FLIGHT, fan_out
from bot.search.service import NumbersService
from bot.sinch.client import SinchClient
from bot.sinch.models import AvailableNumber
from bot.slack.search_blocks import render_search
from tests.fakes import FakeClock

BASE = "https://numbers.test"
PATH = f"{BASE}/v1/projects/p1/availableNumbers"


def wire(phone: str, docs: bool = False, monthly: str = "1.00") -> dict[str, object]:
    return {
        "phoneNumber": phone,
        "regionCode": "US",
        "type": "LOCAL",
        "capability": ["SMS"],
        "setupPrice": {"currencyCode": "USD", "amount": "1"},
        "monthlyPrice": {"currencyCode": "USD", "amount": monthly},
        "supportingDocumentationRequired": docs,
    }


def number(phone: str) -> AvailableNumber:
    return AvailableNumber.model_validate(wire(phone))


BY_AREA = {
    "+1214": [wire("+12145550101"), wire("+12145550102"), wire("+12145550103")],
    "+1512": [wire("+15125550101", monthly="0.50")],
    "+1713": [wire("+17135550101", docs=True), wire("+17135550102", docs=True)],
}
TEXAS = PlaceFilter(text="tx", label="Texas", areas=("214", "512", "713"))


def answer(request: httpx.Request) -> httpx.Response:
    pattern = request.url.params["numberPattern.pattern"]
    if pattern == "+1999":
        return httpx.Response(503, json={"error": {"code": 503, "message": "down"}})
    return httpx.Response(200, json={"availableNumbers": BY_AREA.get(pattern, [])})


@pytest.fixture
def router() -> respx.Router:
    router = respx.Router(assert_all_mocked=True)
    router.get(PATH, name="available").mock(side_effect=answer)
    return router


def make_service(
    router: respx.Router, clock: FakeClock, ttl: float = 0
) -> tuple[NumbersService, httpx.AsyncClient]:
    http = httpx.AsyncClient(base_url=BASE, transport=httpx.MockTransport(router.async_handler))
    # One attempt: the 503 below must fail at once rather than be retried on the fake clock.
    client = SinchClient(http=http, project_id="p1", clock=clock, max_attempts=1)
    cache: SearchCache[tuple[AvailableNumber, ...]] = SearchCache(ttl=ttl, clock=clock)
    return NumbersService(client=client, cache=cache), http


async def test_one_request_per_area_merged_interleaved(
    router: respx.Router, fake_clock: FakeClock
) -> None:
    service, http = make_service(router, fake_clock)
    result = await service.search(SearchQuery(region="US", place=TEXAS))
    patterns = sorted(c.request.url.params["numberPattern.pattern"] for c in router.calls)
    assert patterns == ["+1214", "+1512", "+1713"]
    assert all(c.request.url.params["numberPattern.searchPattern"] == "START" for c in router.calls)
    # Round robin: one of each area before a second of any.
    assert [n.phone_number for n in result.numbers] == [
        "+12145550101",
        "+15125550101",
        "+17135550101",
        "+12145550102",
        "+17135550102",
        "+12145550103",
    ]
    assert result.failed_areas == ()
    await http.aclose()


async def test_post_filters_and_price_sort(router: respx.Router, fake_clock: FakeClock) -> None:
    service, http = make_service(router, fake_clock)
    query = SearchQuery(region="US", place=TEXAS, nodocs=True, sort_by_price=True)
    result = await service.search(query)
    assert result.hidden_for_docs == 2
    assert [n.phone_number for n in result.numbers][:1] == ["+15125550101"]  # 0.50 first
    assert not any(n.supporting_documentation_required for n in result.numbers)
    await http.aclose()


async def test_some_areas_failing_shows_the_rest_and_is_not_cached(
    router: respx.Router, fake_clock: FakeClock
) -> None:
    service, http = make_service(router, fake_clock, ttl=30)
    place = PlaceFilter(text="x", label="X", areas=("214", "999"))
    query = SearchQuery(region="US", place=place)
    result = await service.search(query)
    assert result.failed_areas == ("999",)
    assert [n.phone_number[:5] for n in result.numbers] == ["+1214"] * 3
    calls = router["available"].call_count
    await service.search(query)
    assert router["available"].call_count == calls + 2  # a partial answer is not reused
    await http.aclose()


async def test_every_area_failing_is_the_sinch_error(
    router: respx.Router, fake_clock: FakeClock
) -> None:
    service, http = make_service(router, fake_clock)
    place = PlaceFilter(text="x", label="X", areas=("999",))
    with pytest.raises(SinchUnavailableError):
        await service.search(SearchQuery(region="US", place=place))
    await http.aclose()


@pytest.mark.parametrize(
    "areas", [(), ("2a4",), tuple(str(200 + i) for i in range(9)), ("1" * 16,)]
)
async def test_invalid_areas_never_reach_sinch(
    router: respx.Router, fake_clock: FakeClock, areas: tuple[str, ...]
) -> None:
    service, http = make_service(router, fake_clock)
    place = PlaceFilter(text="x", label="X", areas=areas)
    with pytest.raises(CommandError):
        await service.search(SearchQuery(region="US", place=place))
    assert not router["available"].called
    await http.aclose()


async def test_at_most_four_in_flight_and_duplicates_dropped() -> None:
    running = 0
    peak = 0
    release = asyncio.Event()

    async def fetch(area: str) -> tuple[AvailableNumber, ...]:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await release.wait()
        running -= 1
        # Every area also returns one shared number (near: searches overlap like this).
        return (number(f"+1{area}5550101"), number("+12065550100"))

    areas = [str(200 + i) for i in range(8)]
    task = asyncio.create_task(fan_out(fetch, areas, page_size=30))
    while running < 4:
        await asyncio.sleep(0)
    for _ in range(20):
        await asyncio.sleep(0)  # give a fifth request every chance to start
    assert running == MAX_IN_FLIGHT == 4  # the limit
    release.set()
    merged = await task
    assert peak == 4
    phones = [n.phone_number for n in merged.numbers]
    assert len(phones) == len(set(phones)) == 9
    assert not merged.full


async def test_near_keeps_the_nearest_area_first() -> None:
    async def fetch(area: str) -> tuple[AvailableNumber, ...]:
        if area == "206555":
            return (number("+12065550150"),)
        return (number("+12065550150"), number("+12065550101"), number("+12065550102"))

    merged = await fan_out(fetch, ["206555", "206"], page_size=30, nearest_first=True)
    assert [n.phone_number for n in merged.numbers] == [
        "+12065550150",
        "+12065550101",
        "+12065550102",
    ]


async def test_an_area_that_runs_out_of_time_is_reported_as_failed() -> None:
    never = asyncio.Event()

    async def fetch(area: str) -> tuple[AvailableNumber, ...]:
        if area == "713":
            await never.wait()  # cancelled by the budget
        return (number(f"+1{area}5550101"),)

    merged = await fan_out(fetch, ["214", "713"], page_size=30, budget=0.05)
    assert merged.failed == ("713",)
    assert [n.phone_number for n in merged.numbers] == ["+12145550101"]


async def test_the_reply_names_the_areas_that_failed(
    router: respx.Router, fake_clock: FakeClock
) -> None:
    service, http = make_service(router, fake_clock)
    place = PlaceFilter(text="tx", label="Texas", areas=("214", "999"))
    result = await service.search(SearchQuery(region="US", place=place))
    slack = str(render_search(result))
    assert "Sinch did not answer for 999" in slack
    assert "+1 214-555-0101" in slack
    assert "Sinch did not answer for 999" in render_text(result, sandbox=False)
    await http.aclose()
