"""SinchClient: wire parameters, response parsing, error mapping, retries and the time budget."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Generator, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from bot.core.domain import Capability, NumberType, SearchPattern
from bot.core.errors import (
    FieldViolation,
    SinchApiError,
    SinchAuthError,
    SinchBadRequestError,
    SinchConnectionError,
    SinchNotFoundError,
    SinchPermissionError,
    SinchRateLimitedError,
    SinchTimeoutError,
    SinchUnavailableError,
)
from bot.sinch.client import SinchClient
from bot.sinch.retry import BACKOFF_CAP, backoff_delay, parse_retry_after
from tests.fakes import FakeClock

BASE_URL = "https://numbers.test"
PROJECT = "proj-123"
PREFIX = f"/v1/projects/{PROJECT}"
SECRET = "sekret-token"

NUMBER = {
    "phoneNumber": "+12013504948",
    "regionCode": "US",
    "type": "LOCAL",
    "capability": ["SMS", "VOICE"],
    "setupPrice": {"currencyCode": "EUR", "amount": "0.80"},
    "monthlyPrice": {"currencyCode": "EUR", "amount": "0.8"},
    "paymentIntervalMonths": 1,
    "supportingDocumentationRequired": True,
}
REGIONS = {
    "availableRegions": [
        {"regionCode": "AU", "regionName": "Australia", "types": ["MOBILE"]},
        {"regionCode": "US", "regionName": "United States", "types": ["LOCAL", "TOLL_FREE"]},
    ]
}


def active(phone: str) -> dict[str, Any]:
    return {
        "phoneNumber": phone,
        "projectId": PROJECT,
        "regionCode": "US",
        "type": "LOCAL",
        "capability": ["SMS"],
        "money": {"currencyCode": "EUR", "amount": "1.50"},
        "nextChargeDate": "2024-06-06T14:42:42.677575Z",
        "expireAt": None,
        "voiceConfiguration": {"type": "RTC", "appId": "x"},
    }


def envelope(code: int, status: str, message: str, details: list[Any] | None = None) -> Any:
    return {"error": {"code": code, "message": message, "status": status, "details": details or []}}


@pytest.fixture
def router() -> respx.Router:
    router = respx.Router(base_url=BASE_URL, assert_all_called=False)
    router.get(f"{PREFIX}/availableNumbers", name="available")
    router.get(f"{PREFIX}/availableRegions", name="regions")
    router.get(f"{PREFIX}/activeNumbers", name="active")
    return router


@pytest.fixture
async def http(router: respx.Router) -> AsyncIterator[httpx.AsyncClient]:
    # A static bearer header stands in for SinchAuth: it must never leak into errors or logs.
    async with httpx.AsyncClient(
        base_url=BASE_URL,
        transport=httpx.MockTransport(router.async_handler),
        headers={"Authorization": f"Bearer {SECRET}"},
    ) as client:
        yield client


@pytest.fixture
def calls() -> list[tuple[str, str, float]]:
    return []


@pytest.fixture
def client(
    http: httpx.AsyncClient, fake_clock: FakeClock, calls: list[tuple[str, str, float]]
) -> SinchClient:
    return SinchClient(
        http=http,
        project_id=PROJECT,
        clock=fake_clock,
        rng=random.Random(1234),
        on_call=lambda *args: calls.append(args),
    )


def make_client(http: httpx.AsyncClient, clock: FakeClock, **kwargs: Any) -> SinchClient:
    return SinchClient(http=http, project_id=PROJECT, clock=clock, rng=random.Random(1), **kwargs)


# --- request parameters -----------------------------------------------------------------------


async def test_search_sends_repeated_capabilities_and_explicit_size(client, router):
    router["available"].respond(json={"availableNumbers": [NUMBER]})

    await client.available_numbers(
        region_code="US",
        type=NumberType.LOCAL,
        capabilities=(Capability.SMS, Capability.VOICE),
        size=30,
    )

    params = router["available"].calls.last.request.url.params
    assert params.get_list("capabilities") == ["SMS", "VOICE"]
    assert params["regionCode"] == "US"
    assert params["type"] == "LOCAL"
    assert params["size"] == "30"
    assert "numberPattern.pattern" not in params
    assert "numberPattern.searchPattern" not in params


async def test_each_search_sends_its_own_query_when_urls_are_reused(client, router):
    # The client builds each distinct URL once (bot.sinch.client: _url); a repeat reuses it.
    router["available"].respond(json={"availableNumbers": [NUMBER]})
    asked = [("US", NumberType.LOCAL), ("SE", NumberType.MOBILE), ("US", NumberType.LOCAL)]

    for region, number_type in asked:
        await client.available_numbers(region_code=region, type=number_type, size=30)

    sent = [
        (call.request.url.params["regionCode"], call.request.url.params["type"])
        for call in router["available"].calls
    ]
    assert sent == [("US", "LOCAL"), ("SE", "MOBILE"), ("US", "LOCAL")]


async def test_start_pattern_plus_is_percent_encoded(client, router):
    router["available"].respond(json={})

    await client.available_numbers(
        region_code="US",
        type=NumberType.MOBILE,
        pattern="+1206",
        search_pattern=SearchPattern.START,
        size=10,
    )

    request = router["available"].calls.last.request
    assert b"numberPattern.pattern=%2B1206" in request.url.query
    assert request.url.params["numberPattern.pattern"] == "+1206"
    assert request.url.params["numberPattern.searchPattern"] == "START"
    assert "capabilities" not in request.url.params


async def test_regions_repeat_types_key(client, router):
    router["regions"].respond(json=REGIONS)

    regions = await client.available_regions([NumberType.LOCAL, NumberType.TOLL_FREE])

    params = router["regions"].calls.last.request.url.params
    assert params.get_list("types") == ["LOCAL", "TOLL_FREE"]
    assert [r.region_code for r in regions] == ["AU", "US"]
    assert regions[1].types == ("LOCAL", "TOLL_FREE")


async def test_regions_without_types_sends_no_query(client, router):
    router["regions"].respond(json=REGIONS)

    await client.available_regions()

    assert router["regions"].calls.last.request.url.query == b""


async def test_project_id_is_path_quoted(http, fake_clock, router):
    route = router.get(url__regex=r"/v1/projects/.*/availableRegions$").respond(json={})
    client = SinchClient(http=http, project_id="a/b?c d", clock=fake_clock)

    await client.available_regions()

    assert route.calls.last.request.url.raw_path == b"/v1/projects/a%2Fb%3Fc%20d/availableRegions"


@pytest.mark.parametrize(
    "kwargs",
    [{"project_id": " "}, {"budget": 0.0}, {"max_attempts": 0}],
)
def test_constructor_rejects_nonsense(http, fake_clock, kwargs):
    arguments: dict[str, Any] = {"project_id": PROJECT, **kwargs}
    with pytest.raises(ValueError):  # noqa: PT011 - three different messages
        SinchClient(http=http, clock=fake_clock, **arguments)


# --- response parsing -------------------------------------------------------------------------


async def test_search_parses_prices_as_decimal(client, router):
    router["available"].respond(json={"availableNumbers": [NUMBER], "unknownField": 1})

    (number,) = await client.available_numbers(region_code="US", type=NumberType.LOCAL, size=10)

    assert number.phone_number == "+12013504948"
    assert number.capability == ("SMS", "VOICE")
    assert number.setup_price is not None
    assert number.setup_price.amount == Decimal("0.80")
    assert isinstance(number.setup_price.amount, Decimal)
    assert number.monthly_price is not None
    assert number.monthly_price.amount == Decimal("0.8")
    assert number.supporting_documentation_required is True


@pytest.mark.parametrize("body", [{}, {"availableNumbers": []}])
async def test_search_without_matches_is_empty(client, router, body):
    router["available"].respond(json=body)

    assert await client.available_numbers(region_code="SE", type=NumberType.LOCAL, size=5) == ()


async def test_active_single_page_sends_token_and_size(client, router):
    router["active"].respond(
        json={"activeNumbers": [active("+12015555555")], "nextPageToken": "t2", "totalSize": 3}
    )

    page = await client.active_numbers(
        region_code="US", type=NumberType.LOCAL, page_size=20, page_token="t1"
    )

    params = router["active"].calls.last.request.url.params
    assert dict(params) == {
        "regionCode": "US",
        "type": "LOCAL",
        "pageSize": "20",
        "pageToken": "t1",
    }
    assert page.next_page_token == "t2"
    assert page.total_size == 3
    (number,) = page.active_numbers
    assert number.money is not None
    assert number.money.amount == Decimal("1.50")
    assert number.next_charge_date == datetime(2024, 6, 6, 14, 42, 42, 677575, tzinfo=UTC)


async def test_active_first_page_omits_optional_filters(client, router):
    router["active"].respond(json={})

    page = await client.active_numbers(page_size=20)

    assert dict(router["active"].calls.last.request.url.params) == {"pageSize": "20"}
    assert page.active_numbers == ()
    assert page.next_page_token is None


@pytest.mark.parametrize("last_token", [{"nextPageToken": ""}, {}])
async def test_all_active_follows_tokens_until_falsy(client, router, last_token):
    router["active"].side_effect = [
        httpx.Response(200, json={"activeNumbers": [active("+1")], "nextPageToken": "t1"}),
        httpx.Response(200, json={"activeNumbers": [active("+2")], "nextPageToken": "t2"}),
        httpx.Response(200, json={"activeNumbers": [active("+3")], **last_token}),
    ]

    pages = [page async for page in client.active_pages(type=NumberType.MOBILE)]

    assert [n.phone_number for p in pages for n in p.active_numbers] == ["+1", "+2", "+3"]
    sent = [call.request.url.params for call in router["active"].calls]
    assert [p.get("pageToken") for p in sent] == [None, "t1", "t2"]
    size = str(client.active_page_size)
    assert all(p["type"] == "MOBILE" and p["pageSize"] == size for p in sent)


async def test_all_active_stops_when_token_repeats(client, router):
    router["active"].respond(json={"activeNumbers": [active("+1")], "nextPageToken": "same"})

    pages = [page async for page in client.active_pages()]

    assert len(pages) == 2
    assert router["active"].call_count == 2


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<html>oops</html>"),
        httpx.Response(200, text=""),
        httpx.Response(200, json={"availableNumbers": "nope"}),
        httpx.Response(200, json={"availableNumbers": [{"phoneNumber": 5}]}),
        httpx.Response(200, json=[1, 2]),
    ],
)
async def test_malformed_success_body_is_unexpected_response(client, router, response):
    router["available"].mock(return_value=response)

    with pytest.raises(SinchApiError) as info:
        await client.available_numbers(region_code="US", type=NumberType.LOCAL, size=10)

    assert type(info.value) is SinchApiError
    assert info.value.status_code == 502
    assert "unexpected response" in info.value.message
    assert router["available"].call_count == 1


async def test_undecodable_body_is_unexpected_response(client, router, calls):
    # A stream, so the body is decoded only when the client reads it.
    router["regions"].side_effect = lambda request: httpx.Response(
        200, headers={"Content-Encoding": "gzip"}, stream=httpx.ByteStream(b"not gzip")
    )

    with pytest.raises(SinchApiError, match="unexpected response") as info:
        await client.available_regions()

    assert info.value.status_code == 502
    assert router["regions"].call_count == 1
    assert [outcome for _, outcome, _ in calls] == ["unexpected_response"]


# --- error mapping ----------------------------------------------------------------------------

BAD_REQUEST = envelope(
    400,
    "INVALID_ARGUMENT",
    'parsing field "type": "XXX" is not a valid value',
    [
        {"type": "ResourceInfo", "resourceType": "x"},
        {
            "type": "BadRequest",
            "fieldViolations": [
                {"field": "type", "description": "not a valid value"},
                {"field": "size", "description": "too\nlarge"},
                {"field": 7},
                "junk",
            ],
        },
    ],
)


@pytest.mark.parametrize(
    ("response", "error_class", "message", "status"),
    [
        (
            httpx.Response(400, json=BAD_REQUEST),
            SinchBadRequestError,
            'parsing field "type": "XXX" is not a valid value',
            "INVALID_ARGUMENT",
        ),
        (
            httpx.Response(403, json=envelope(403, "PERMISSION_DENIED", "Trial account")),
            SinchPermissionError,
            "Trial account",
            "PERMISSION_DENIED",
        ),
        (
            httpx.Response(404, json=envelope(404, "NOT_FOUND", "Project not found")),
            SinchNotFoundError,
            "Project not found",
            "NOT_FOUND",
        ),
        (
            httpx.Response(429, json=envelope(429, "RESOURCE_EXHAUSTED", "Slow down")),
            SinchRateLimitedError,
            "Slow down",
            "RESOURCE_EXHAUSTED",
        ),
        (
            httpx.Response(500, json=envelope(500, "INTERNAL", "Internal failure")),
            SinchUnavailableError,
            "Internal failure",
            "INTERNAL",
        ),
        (
            httpx.Response(502, json=envelope(502, "UNKNOWN", "Upstream broke")),
            SinchUnavailableError,
            "Upstream broke",
            "UNKNOWN",
        ),
        (
            httpx.Response(503, json=envelope(503, "UNAVAILABLE", "Try later")),
            SinchUnavailableError,
            "Try later",
            "UNAVAILABLE",
        ),
        (
            httpx.Response(500, text="<html><body>crash</body></html>"),
            SinchUnavailableError,
            "Internal Server Error",
            None,
        ),
        (httpx.Response(418, json={"error": "teapot"}), SinchApiError, "I'm a teapot", None),
        (
            httpx.Response(409, json={"error": {"message": 5, "status": ["x"]}}),
            SinchApiError,
            "Conflict",
            None,
        ),
        (
            httpx.Response(400, json=["not", "an", "envelope"]),
            SinchBadRequestError,
            "Bad Request",
            None,
        ),
    ],
)
async def test_error_statuses_map_to_exceptions(
    http, fake_clock, router, response, error_class, message, status
):
    # One attempt: this is about the mapping, not the retries.
    client = make_client(http, fake_clock, max_attempts=1)
    router["available"].mock(return_value=response)

    with pytest.raises(SinchApiError) as info:
        await client.available_numbers(region_code="US", type=NumberType.LOCAL, size=10)

    error = info.value
    assert type(error) is error_class
    assert error.status_code == response.status_code
    assert error.message == message
    assert error.status == status
    assert message in str(error)


async def test_bad_request_carries_field_violations(http, fake_clock, router):
    client = make_client(http, fake_clock)
    router["available"].respond(400, json=BAD_REQUEST)

    with pytest.raises(SinchBadRequestError) as info:
        await client.available_numbers(region_code="US", type=NumberType.LOCAL, size=10)

    assert info.value.violations == (
        FieldViolation(field="type", description="not a valid value"),
        FieldViolation(field="size", description="too large"),
    )


async def test_long_messages_are_capped(http, fake_clock, router):
    client = make_client(http, fake_clock)
    router["regions"].respond(404, json=envelope(404, "NOT_FOUND", "x" * 5000))

    with pytest.raises(SinchNotFoundError) as info:
        await client.available_regions()

    assert 0 < len(info.value.message) <= 300


async def test_persistent_401_is_auth_error(client, router):
    router["regions"].respond(
        401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}, json={"x": SECRET}
    )

    with pytest.raises(SinchAuthError) as info:
        await client.available_regions()

    assert "401" in str(info.value)
    assert router["regions"].call_count == 1


@pytest.mark.parametrize("status", [400, 403, 404, 409])
async def test_client_errors_are_not_retried(client, router, fake_clock, status):
    router["available"].respond(status, json=envelope(status, "X", "no"))

    with pytest.raises(SinchApiError):
        await client.available_numbers(region_code="US", type=NumberType.LOCAL, size=10)

    assert router["available"].call_count == 1
    assert fake_clock.sleeps == []


# --- retries and the time budget --------------------------------------------------------------


async def test_429_waits_for_retry_after_then_succeeds(client, router, fake_clock):
    router["regions"].side_effect = [
        httpx.Response(429, headers={"Retry-After": "1"}),
        httpx.Response(200, json=REGIONS),
    ]

    regions = await client.available_regions()

    assert len(regions) == 2
    assert router["regions"].call_count == 2
    assert len(fake_clock.sleeps) == 1
    assert fake_clock.sleeps[0] >= 1.0


async def test_429_with_retry_after_past_budget_gives_up_at_once(client, router, fake_clock):
    router["regions"].respond(429, headers={"Retry-After": "60"})

    with pytest.raises(SinchRateLimitedError) as info:
        await client.available_regions()

    assert info.value.retry_after == 60.0
    assert router["regions"].call_count == 1
    assert fake_clock.sleeps == []


async def test_429_without_retry_after_backs_off(client, router, fake_clock):
    router["regions"].side_effect = [httpx.Response(429), httpx.Response(200, json=REGIONS)]

    await client.available_regions()

    assert router["regions"].call_count == 2
    (delay,) = fake_clock.sleeps
    assert 0 < delay <= BACKOFF_CAP


async def test_5xx_is_retried_then_succeeds(client, router, fake_clock):
    router["regions"].side_effect = [
        httpx.Response(503),
        httpx.Response(502, json=envelope(502, "UNKNOWN", "bad gateway")),
        httpx.Response(500),
        httpx.Response(200, json=REGIONS),
    ]

    regions = await client.available_regions()

    assert len(regions) == 2
    assert router["regions"].call_count == 4
    assert len(fake_clock.sleeps) == 3


async def test_connect_error_is_retried_then_succeeds(client, router, fake_clock):
    router["available"].side_effect = [
        httpx.ConnectError("connection refused"),
        httpx.Response(200, json={"availableNumbers": [NUMBER]}),
    ]

    numbers = await client.available_numbers(region_code="US", type=NumberType.LOCAL, size=10)

    assert len(numbers) == 1
    assert router["available"].call_count == 2
    assert len(fake_clock.sleeps) == 1


async def test_persistent_5xx_stops_after_max_attempts(client, router, fake_clock):
    router["regions"].respond(503, json=envelope(503, "UNAVAILABLE", "down"))

    with pytest.raises(SinchUnavailableError) as info:
        await client.available_regions()

    assert info.value.message == "down"
    assert router["regions"].call_count == 4
    assert len(fake_clock.sleeps) == 3


async def test_budget_bounds_retries(http, router, fake_clock):
    client = make_client(http, fake_clock, budget=1.0, max_attempts=100)
    start = fake_clock.now()

    def slow_503(request: httpx.Request) -> httpx.Response:
        fake_clock.advance(0.2)  # each attempt takes a while
        return httpx.Response(503)

    router["regions"].side_effect = slow_503

    with pytest.raises(SinchUnavailableError):
        await client.available_regions()

    assert 1 < router["regions"].call_count < 100
    assert sum(fake_clock.sleeps) <= 1.0
    # No sleep started unless it ended inside the budget.
    assert fake_clock.now() - start < 1.0 + 0.2


async def test_persistent_timeout_raises_timeout_error(client, router, fake_clock):
    router["available"].side_effect = httpx.ReadTimeout("timed out")

    with pytest.raises(SinchTimeoutError):
        await client.available_numbers(region_code="US", type=NumberType.LOCAL, size=10)

    assert router["available"].call_count == 4
    assert len(fake_clock.sleeps) == 3


async def test_hung_request_is_cut_at_the_budget(http, router, fake_clock, calls):
    # The fake clock does not drive asyncio.timeout, so keep the (real) budget tiny.
    client = make_client(http, fake_clock, budget=0.05, on_call=lambda *a: calls.append(a))

    started: list[httpx.Request] = []

    async def hang(request: httpx.Request) -> httpx.Response:
        started.append(request)
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    router["regions"].side_effect = hang

    with pytest.raises(SinchTimeoutError, match="budget"):
        await client.available_regions()

    # The budget is spent, so no retry follows even though the fake clock stood still.
    # (respx records a call only once it is answered, hence the hand-kept list.)
    assert len(started) == 1
    assert [outcome for _, outcome, _ in calls] == ["timeout"]


async def test_on_call_reports_each_attempt(client, router, fake_clock, calls):
    responses: Iterator[httpx.Response | Exception] = iter(
        [
            httpx.Response(503),
            httpx.ConnectError("refused"),
            httpx.ConnectTimeout("slow"),
            httpx.Response(200, json=REGIONS),
        ]
    )

    def respond(request: httpx.Request) -> httpx.Response:
        fake_clock.advance(0.5)
        item = next(responses)
        if isinstance(item, Exception):
            raise item
        return item

    router["regions"].side_effect = respond

    await client.available_regions()

    assert [(endpoint, outcome) for endpoint, outcome, _ in calls] == [
        ("available_regions", "503"),
        ("available_regions", "connection_error"),
        ("available_regions", "timeout"),
        ("available_regions", "200"),
    ]
    assert [seconds for _, _, seconds in calls] == [0.5] * 4


async def test_each_retry_logs_one_line_without_query(client, router, caplog):
    caplog.set_level(logging.INFO, logger="bot.sinch.client")
    router["available"].side_effect = [httpx.Response(503), httpx.Response(200, json={})]

    await client.available_numbers(region_code="US", type=NumberType.LOCAL, size=10)

    lines = [r.getMessage() for r in caplog.records if r.name == "bot.sinch.client"]
    assert len(lines) == 1
    assert f"{PREFIX}/availableNumbers" in lines[0]
    assert "503" in lines[0]
    assert "regionCode" not in lines[0]


# --- errors raised by the auth flow -----------------------------------------------------------


class _FailingAuth(httpx.Auth):
    """Stands in for SinchAuth whose token provider fails a given number of times."""

    def __init__(self, error: Exception, times: int) -> None:
        self.error = error
        self.remaining = times

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.remaining:
            self.remaining -= 1
            raise self.error
        yield request


async def test_token_auth_error_passes_through_unretried(router, fake_clock, calls):
    error = SinchAuthError("token endpoint refused the key")
    async with httpx.AsyncClient(
        base_url=BASE_URL,
        transport=httpx.MockTransport(router.async_handler),
        auth=_FailingAuth(error, times=5),
    ) as http:
        client = make_client(http, fake_clock, on_call=lambda *a: calls.append(a))
        with pytest.raises(SinchAuthError) as info:
            await client.available_regions()

    assert info.value is error
    assert not router["regions"].called
    assert fake_clock.sleeps == []
    assert [outcome for _, outcome, _ in calls] == ["auth_error"]


async def test_token_wait_failure_is_retried(router, fake_clock):
    router["regions"].respond(json=REGIONS)
    async with httpx.AsyncClient(
        base_url=BASE_URL,
        transport=httpx.MockTransport(router.async_handler),
        auth=_FailingAuth(SinchConnectionError("token wait timed out"), times=1),
    ) as http:
        regions = await make_client(http, fake_clock).available_regions()

    assert len(regions) == 2
    assert router["regions"].call_count == 1
    assert len(fake_clock.sleeps) == 1


# --- secret hygiene ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "side_effect",
    [
        httpx.ConnectError(f"refused Bearer {SECRET}"),
        httpx.ReadTimeout("timed out"),
        httpx.Response(400, json=BAD_REQUEST),
        httpx.Response(401, headers={"WWW-Authenticate": f'Bearer error="{SECRET}"'}),
        httpx.Response(503, text=f"Authorization: Bearer {SECRET}"),
        httpx.Response(200, json={"availableNumbers": SECRET}),
    ],
)
async def test_no_secret_or_query_in_errors_or_logs(client, router, caplog, side_effect):
    caplog.set_level(logging.DEBUG)
    router["available"].side_effect = side_effect

    with pytest.raises(Exception) as info:  # noqa: PT011 - each case raises its own kind
        await client.available_numbers(
            region_code="US", type=NumberType.LOCAL, pattern="+1206", size=10
        )

    assert isinstance(info.value, SinchAuthError | SinchApiError | SinchConnectionError)
    for text in (str(info.value), repr(info.value), caplog.text):
        assert SECRET not in text
    assert "regionCode" not in str(info.value)
    assert "%2B1206" not in str(info.value)


# --- retry arithmetic -------------------------------------------------------------------------


def test_backoff_delay_grows_with_equal_jitter_and_caps():
    rng = random.Random(42)
    for retry, step in [(1, 0.25), (2, 0.5), (3, 1.0), (4, 2.0), (5, 2.0), (500, 2.0)]:
        for _ in range(50):
            assert step / 2 <= backoff_delay(retry, rng=rng) <= step


def test_backoff_delay_rejects_retry_zero():
    with pytest.raises(ValueError, match="from 1"):
        backoff_delay(0, rng=random.Random())


NOW = datetime(2024, 7, 8, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", 1.0),
        (" 120 ", 120.0),
        ("1.5", 1.5),
        ("Mon, 08 Jul 2024 12:00:30 GMT", 30.0),
        ("Mon, 08 Jul 2024 11:59:00 GMT", 0.0),
        ("Mon, 08 Jul 2024 12:00:05 -0000", 5.0),
        ("-1", None),
        ("nan", None),
        ("inf", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value, now=NOW) == expected


# --- pageSize refusals: halve on a 400 that names it, stop at 1 -----------------------------

PAGE_SIZE_VIOLATION = [
    {"type": "BadRequest", "fieldViolations": [{"field": "pageSize", "description": "too big"}]}
]


async def test_a_page_size_refused_even_at_1_stops_the_walk(client, router):
    refused = envelope(400, "INVALID_ARGUMENT", "invalid", PAGE_SIZE_VIOLATION)
    router["active"].respond(400, json=refused)

    with pytest.raises(SinchBadRequestError):
        _ = [page async for page in client.active_pages()]

    sizes = [int(c.request.url.params["pageSize"]) for c in router["active"].calls]
    assert sizes == [1000, 500, 250, 125, 62, 31, 15, 7, 3, 1]


async def test_a_400_naming_page_size_only_in_its_message_halves_it(client, router):
    router["active"].side_effect = [
        httpx.Response(400, json=envelope(400, "INVALID_ARGUMENT", "pageSize must be at most 500")),
        httpx.Response(200, json={"activeNumbers": [active("+1")], "nextPageToken": ""}),
    ]

    pages = [page async for page in client.active_pages()]

    assert [n.phone_number for p in pages for n in p.active_numbers] == ["+1"]
    assert [c.request.url.params["pageSize"] for c in router["active"].calls] == ["1000", "500"]
    assert client.active_page_size == 500  # kept for later walks


async def test_a_400_about_something_else_is_not_a_page_size_refusal(client, router):
    router["active"].respond(400, json=envelope(400, "INVALID_ARGUMENT", "bad type"))

    with pytest.raises(SinchBadRequestError):
        _ = [page async for page in client.active_pages()]

    assert router["active"].call_count == 1
