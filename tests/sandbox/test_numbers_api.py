"""The three read-only Numbers endpoints: shapes, honest filtering, pagination and 400s.

These tests only read, so they share one server (and one event loop) per module.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
import pytest_asyncio

from bot.core.domain import NumberType
from bot.sandbox import SANDBOX_PROJECT_ID, SandboxServer
from bot.sandbox.catalog import CATALOG
from bot.sinch.models import ActiveNumbersPage, AvailableNumbersResponse, AvailableRegionsResponse
from tests.sandbox.conftest import Api, fetch_token

pytestmark = pytest.mark.asyncio(loop_scope="module")

US_LOCAL = {"regionCode": "US", "type": "LOCAL"}


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def shared_api() -> AsyncIterator[Api]:
    async with (
        SandboxServer() as server,
        httpx.AsyncClient(base_url=server.base_url, timeout=5.0) as client,
    ):
        yield Api(client, await fetch_token(client))


async def search(api: Api, params: Any) -> AvailableNumbersResponse:
    response = await api.get("availableNumbers", params)
    assert response.status_code == 200, response.text
    return AvailableNumbersResponse.model_validate(response.json())


async def violations(api: Api, endpoint: str, params: Any) -> list[str]:
    """The fieldViolations' fields of a 400 INVALID_ARGUMENT answer."""
    response = await api.get(endpoint, params)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == 400
    assert error["status"] == "INVALID_ARGUMENT"
    assert error["message"]
    (detail,) = error["details"]
    assert detail["type"] == "BadRequest"
    return [v["field"] for v in detail["fieldViolations"]]


# availableNumbers


async def test_search_shape_matches_the_reference_and_the_models(shared_api: Api):
    response = await shared_api.get("availableNumbers", {**US_LOCAL, "size": 1})

    (number,) = response.json()["availableNumbers"]
    assert set(number) == {
        "phoneNumber",
        "regionCode",
        "type",
        "capability",
        "setupPrice",
        "monthlyPrice",
        "paymentIntervalMonths",
        "supportingDocumentationRequired",
    }
    assert isinstance(number["monthlyPrice"]["amount"], str)
    parsed = AvailableNumbersResponse.model_validate(response.json())
    assert parsed.available_numbers[0].monthly_price is not None
    assert parsed.available_numbers[0].monthly_price.amount == Decimal(
        number["monthlyPrice"]["amount"]
    )


async def test_search_without_size_returns_ten(shared_api: Api):
    result = await search(shared_api, US_LOCAL)

    assert len(result.available_numbers) == 10


@pytest.mark.parametrize("size", [1, 7, 30])
async def test_search_size_caps_the_result(shared_api: Api, size: int):
    result = await search(shared_api, {**US_LOCAL, "size": size})

    assert len(result.available_numbers) == size


async def test_search_returns_only_the_pool_asked_for(shared_api: Api):
    result = await search(shared_api, {"regionCode": "GB", "type": "MOBILE", "size": 1000})

    pool = [o for o in CATALOG.offers if (o.region_code, o.type) == ("GB", "MOBILE")]
    assert [n.phone_number for n in result.available_numbers] == [o.phone_number for o in pool]
    assert {(n.region_code, n.type) for n in result.available_numbers} == {("GB", "MOBILE")}


@pytest.mark.parametrize("area_code", ["206", "212", "312", "415", "512"])
async def test_search_start_filters_on_calling_code_and_area_code(shared_api: Api, area_code: str):
    params = {
        **US_LOCAL,
        "numberPattern.pattern": f"+1{area_code}",
        "numberPattern.searchPattern": "START",
        "size": 1000,
    }

    result = await search(shared_api, params)

    expected = [o for o in CATALOG.offers if o.phone_number.startswith(f"+1{area_code}")]
    assert len(result.available_numbers) == len(expected) > 0
    assert all(n.phone_number.startswith(f"+1{area_code}") for n in result.available_numbers)


async def test_search_start_with_another_country_code_matches_nothing(shared_api: Api):
    params = {**US_LOCAL, "numberPattern.pattern": "+44", "numberPattern.searchPattern": "START"}

    response = await shared_api.get("availableNumbers", params)

    assert response.status_code == 200
    assert response.json() == {}


async def test_search_contains_matches_digits_anywhere(shared_api: Api):
    pool = CATALOG.offers_for("US", NumberType.LOCAL)
    digits = pool[5].phone_number[-6:-1]  # from the middle: exchange and line number
    params = {
        **US_LOCAL,
        "numberPattern.pattern": digits,
        "numberPattern.searchPattern": "CONTAINS",
        "size": 1000,
    }

    result = await search(shared_api, params)

    expected = [o.phone_number for o in pool if digits in o.phone_number]
    assert [n.phone_number for n in result.available_numbers] == expected
    assert 1 < len(expected) < len(pool)  # across area codes, but not everything


async def test_search_end_matches_the_last_digits(shared_api: Api):
    params = {
        "regionCode": "DE",
        "type": "LOCAL",
        "numberPattern.pattern": "7",
        "numberPattern.searchPattern": "END",
        "size": 1000,
    }

    result = await search(shared_api, params)

    expected = [
        o.phone_number
        for o in CATALOG.offers
        if (o.region_code, o.type) == ("DE", "LOCAL") and o.phone_number.endswith("7")
    ]
    assert [n.phone_number for n in result.available_numbers] == expected
    assert expected


async def test_search_capabilities_require_every_one_listed(shared_api: Api):
    both = await search(
        shared_api,
        [*US_LOCAL.items(), ("capabilities", "SMS"), ("capabilities", "VOICE"), ("size", 1000)],
    )
    voice = await search(shared_api, {**US_LOCAL, "capabilities": "VOICE", "size": 1000})
    everything = await search(shared_api, {**US_LOCAL, "size": 1000})

    assert all(set(n.capability) == {"SMS", "VOICE"} for n in both.available_numbers)
    assert all("VOICE" in n.capability for n in voice.available_numbers)
    assert len(both.available_numbers) < len(voice.available_numbers)
    assert len(voice.available_numbers) == len(everything.available_numbers)


async def test_search_sms_on_voice_only_gb_landlines_finds_few(shared_api: Api):
    gb = {"regionCode": "GB", "type": "LOCAL", "size": 1000}
    sms = await search(shared_api, {**gb, "capabilities": "SMS"})
    all_gb = await search(shared_api, gb)

    assert 0 < len(sms.available_numbers) < len(all_gb.available_numbers)


@pytest.mark.parametrize(
    "params",
    [
        {"regionCode": "FR", "type": "LOCAL"},  # a region the sandbox does not serve
        {"regionCode": "XX", "type": "MOBILE"},  # valid-looking, not a country
        {"regionCode": "US", "type": "MOBILE"},  # a type the region does not offer
    ],
)
async def test_search_with_nothing_to_offer_is_an_empty_200(shared_api: Api, params: Any):
    response = await shared_api.get("availableNumbers", params)

    assert response.status_code == 200
    assert response.json() == {}  # Sinch omits empty lists
    assert AvailableNumbersResponse.model_validate(response.json()).available_numbers == ()


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"type": "LOCAL"}, ["regionCode"]),
        ({"regionCode": "us", "type": "LOCAL"}, ["regionCode"]),
        ({"regionCode": "USA", "type": "LOCAL"}, ["regionCode"]),
        ({"regionCode": "US"}, ["type"]),
        ({"regionCode": "US", "type": "LANDLINE"}, ["type"]),
        ({**US_LOCAL, "capabilities": "MMS"}, ["capabilities"]),
        ({**US_LOCAL, "capabilities": "SMS,VOICE"}, ["capabilities"]),
        ({**US_LOCAL, "size": "0"}, ["size"]),
        ({**US_LOCAL, "size": "1001"}, ["size"]),
        ({**US_LOCAL, "size": "ten"}, ["size"]),
        (
            {**US_LOCAL, "numberPattern.pattern": "206", "numberPattern.searchPattern": "START"},
            ["numberPattern.pattern"],
        ),
        (
            {**US_LOCAL, "numberPattern.pattern": "+1", "numberPattern.searchPattern": "END"},
            ["numberPattern.pattern"],
        ),
        (
            {**US_LOCAL, "numberPattern.pattern": "12", "numberPattern.searchPattern": "CONTAIN"},
            ["numberPattern.searchPattern"],
        ),
        ({**US_LOCAL, "numberPattern.pattern": "12"}, ["numberPattern.searchPattern"]),
        ({"regionCode": "u", "type": "X", "size": "-1"}, ["regionCode", "type", "size"]),
    ],
)
async def test_search_rejects_bad_arguments_with_field_violations(
    shared_api: Api, params: Any, fields: list[str]
):
    assert await violations(shared_api, "availableNumbers", params) == fields


async def test_unknown_project_is_404(shared_api: Api):
    response = await shared_api.client.get(
        "/v1/projects/someone-else/availableNumbers",
        params=US_LOCAL,
        headers={"Authorization": f"Bearer {shared_api.token}"},
    )

    assert response.status_code == 404
    error = response.json()["error"]
    assert (error["code"], error["status"]) == (404, "NOT_FOUND")
    assert error["details"][0]["resourceName"] == "someone-else"


async def test_unknown_path_is_a_404_envelope(shared_api: Api):
    response = await shared_api.client.get(f"/v1/projects/{SANDBOX_PROJECT_ID}/nothing-here")

    assert response.status_code == 404
    assert response.json()["error"]["status"] == "NOT_FOUND"


# availableRegions


async def test_regions_lists_every_region_with_its_types(shared_api: Api):
    response = await shared_api.get("availableRegions")

    assert response.status_code == 200
    regions = AvailableRegionsResponse.model_validate(response.json()).available_regions
    assert {r.region_code: r.types for r in regions} == {
        "CA": ("LOCAL",),
        "DE": ("MOBILE", "LOCAL"),
        "GB": ("MOBILE", "LOCAL"),
        "SE": ("MOBILE", "LOCAL"),
        "US": ("LOCAL", "TOLL_FREE"),
    }
    assert {r.region_name for r in regions} >= {"United States", "United Kingdom"}


async def test_regions_filter_by_any_of_the_repeated_types(shared_api: Api):
    toll_free = await shared_api.get("availableRegions", {"types": "TOLL_FREE"})
    mixed = await shared_api.get("availableRegions", [("types", "TOLL_FREE"), ("types", "MOBILE")])

    assert [r["regionCode"] for r in toll_free.json()["availableRegions"]] == ["US"]
    assert [r["regionCode"] for r in mixed.json()["availableRegions"]] == ["DE", "GB", "SE", "US"]


async def test_regions_rejects_an_unknown_type(shared_api: Api):
    assert await violations(shared_api, "availableRegions", {"types": "FAX"}) == ["types"]


# activeNumbers


async def test_active_pages_through_all_45_rentals(shared_api: Api):
    pages: list[ActiveNumbersPage] = []
    params: dict[str, Any] = {"pageSize": 20}
    while True:
        response = await shared_api.get("activeNumbers", params)
        assert response.status_code == 200, response.text
        page = ActiveNumbersPage.model_validate(response.json())
        pages.append(page)
        if not page.next_page_token:
            assert response.json()["nextPageToken"] == ""
            break
        params["pageToken"] = page.next_page_token

    assert [len(p.active_numbers) for p in pages] == [20, 20, 5]
    assert {p.total_size for p in pages} == {45}
    numbers = [n.phone_number for p in pages for n in p.active_numbers]
    assert numbers == sorted({r.phone_number for r in CATALOG.rentals})


async def test_active_number_shape(shared_api: Api):
    response = await shared_api.get("activeNumbers", {"pageSize": 1})

    (number,) = response.json()["activeNumbers"]
    assert number["projectId"] == SANDBOX_PROJECT_ID
    assert isinstance(number["money"]["amount"], str)
    assert "setupPrice" not in number
    assert number["nextChargeDate"].endswith("Z")
    parsed = ActiveNumbersPage.model_validate(response.json()).active_numbers[0]
    assert parsed.next_charge_date is not None
    assert parsed.money is not None


async def test_active_filters_by_region_type_and_capability(shared_api: Api):
    gb_mobile = await shared_api.get(
        "activeNumbers", {"regionCode": "GB", "type": "MOBILE", "pageSize": 100}
    )
    sms = await shared_api.get("activeNumbers", {"capability": "SMS", "pageSize": 100})

    gb = gb_mobile.json()
    assert gb["totalSize"] == len(gb["activeNumbers"]) > 0
    assert {(n["regionCode"], n["type"]) for n in gb["activeNumbers"]} == {("GB", "MOBILE")}
    assert all("SMS" in n["capability"] for n in sms.json()["activeNumbers"])
    assert sms.json()["totalSize"] < 45


async def test_active_with_no_match_is_empty_with_total_zero(shared_api: Api):
    response = await shared_api.get("activeNumbers", {"regionCode": "SE", "type": "LOCAL"})

    assert response.json() == {"nextPageToken": "", "totalSize": 0}


async def test_active_orders_by_display_name_on_request(shared_api: Api):
    response = await shared_api.get("activeNumbers", {"orderBy": "displayName", "pageSize": 100})

    names = [n.get("displayName") for n in response.json()["activeNumbers"]]
    named = [n for n in names if n is not None]
    assert named == sorted(named)
    assert names[len(named) :] == [None] * (len(names) - len(named))


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"pageToken": "not-a-token"}, ["pageToken"]),
        ({"pageSize": "0"}, ["pageSize"]),
        ({"regionCode": "gb"}, ["regionCode"]),
        ({"type": "FIXED"}, ["type"]),
        ({"capability": "FAX"}, ["capability"]),
        ({"orderBy": "price"}, ["orderBy"]),
    ],
)
async def test_active_rejects_bad_arguments(shared_api: Api, params: Any, fields: list[str]):
    assert await violations(shared_api, "activeNumbers", params) == fields
