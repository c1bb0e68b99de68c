"""/numbers active end to end: a signed command gets the summary; a region button lists that
region with the existing paging. Sinch is respx with real paging."""

from __future__ import annotations

import json
from typing import Any

import httpx
import respx

from bot.sinch.client import MAX_ACTIVE_PAGE_SIZE
from tests.blockkit import assert_valid_message
from tests.scenarios.conftest import MakeBot
from tests.slack_stub import action_body

RENTED = [
    # (number, region, type, price, releasing)
    ("+12065550101", "US", "LOCAL", "1.00", False),
    ("+12065550102", "US", "LOCAL", "1.00", True),
    ("+18005550103", "US", "TOLL_FREE", "2.00", False),
    ("+46701740605", "SE", "MOBILE", "6.00", False),
    ("+46701740606", "SE", "MOBILE", "6.00", False),
    ("+447700900123", "GB", "MOBILE", "2.50", False),
]


def wire(number: str, region: str, type: str, price: str, releasing: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "phoneNumber": number,
        "regionCode": region,
        "type": type,
        "capability": ["SMS", "VOICE"],
        "money": {"currencyCode": "USD", "amount": price},
        "paymentIntervalMonths": 1,
    }
    if releasing:
        body["expireAt"] = "2026-12-01T09:00:00.000000Z"
    return body


def active_numbers(request: httpx.Request) -> httpx.Response:
    params = request.url.params
    matches = [
        wire(*r)
        for r in RENTED
        if params.get("regionCode", r[1]) == r[1] and params.get("type", r[2]) == r[2]
    ]
    return httpx.Response(
        200, json={"activeNumbers": matches, "nextPageToken": "", "totalSize": len(matches)}
    )


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        element["action_id"]: element
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    }


async def test_active_summary_then_a_region_button_lists_that_region(
    make_bot: MakeBot, sinch_api: respx.Router
) -> None:
    sinch_api["active"].side_effect = active_numbers
    bot = await make_bot(active_cache_ttl=60)

    summary = await bot.answer("active")
    assert_valid_message(summary)
    text = json.dumps(summary, ensure_ascii=False)
    assert "Rented numbers: 6" in summary["blocks"][0]["text"]["text"]
    assert "1 releasing" in text
    # Releasing numbers are not in the monthly cost: 1 + 2 + 6 + 6 + 2.50.
    assert "USD 17.50" in text
    walked = [call.request.url.params for call in sinch_api["active"].calls]
    assert sorted(p["type"] for p in walked) == ["LOCAL", "MOBILE", "TOLL_FREE"]
    assert {p["pageSize"] for p in walked} == {str(MAX_ACTIVE_PAGE_SIZE)}
    assert all("regionCode" not in p for p in walked)

    found = buttons(summary)
    assert set(found) == {
        "numbers_active_region:US",
        "numbers_active_region:SE",
        "numbers_active_region:GB",
    }
    se = found["numbers_active_region:SE"]
    response = await bot.post_signed(
        action_body(se["action_id"], se["value"], bot.slack.response_url("se"))
    )
    assert response.status_code == 200
    listing = (await bot.slack.wait_for(2))[1]
    assert_valid_message(listing)
    assert listing["replace_original"] is False  # the summary stays above it
    assert sinch_api["active"].calls.last.request.url.params["regionCode"] == "SE"
    listed = json.dumps(listing, ensure_ascii=False)
    assert "+46 70 174 06 05" in listed
    assert "+46 70 174 06 06" in listed
    assert "+1 206" not in listed

    # Within the TTL the summary comes from the cache, and its footer says so.
    calls = sinch_api["active"].call_count
    again = await bot.answer("active")
    assert sinch_api["active"].call_count == calls
    assert "cached, 0 s old" in json.dumps(again)


async def test_a_forged_region_button_gets_a_hint_not_a_sinch_call(
    make_bot: MakeBot, sinch_api: respx.Router
) -> None:
    bot = await make_bot()
    response = await bot.post_signed(
        action_body("numbers_active_region:XX", '{"region":"../x"}', bot.slack.response_url("bad"))
    )
    assert response.status_code == 200
    (message,) = await bot.slack.wait_for(1)
    assert_valid_message(message)
    assert not sinch_api["active"].called
