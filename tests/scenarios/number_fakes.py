"""A stateful Sinch for rent/release scenarios (respx side effects), and Slack click bodies."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import httpx
import respx

from tests.scenarios.conftest import PREFIX, US_NUMBERS
from tests.slack_stub import action_body

NUMBER = "+12065550101"
SHOWN = "+1 206-555-0101"
_NUMBER_PATH = r"(?P<number>\+[0-9]+)"


def not_found(resource_type: str, number: str) -> httpx.Response:
    body = {
        "error": {
            "code": 404,
            "message": f"{resource_type} not found",
            "status": "NOT_FOUND",
            "details": [
                {"type": "ResourceInfo", "resourceType": resource_type, "resourceName": number}
            ],
        }
    }
    return httpx.Response(404, json=body)


class FakeNumbers:
    """Available and active numbers with Sinch's semantics: a rented number leaves the pool,
    a second rent gets 404, a release sets expireAt. ``on_rent`` may replace the rent answer
    after the commit (e.g. raise a timeout) or instead of it (return a response, commit nothing).
    """

    def __init__(self, router: respx.Router) -> None:
        self.available: dict[str, dict[str, Any]] = {
            str(n["phoneNumber"]): dict(n) for n in US_NUMBERS["availableNumbers"]
        }
        self.active: dict[str, dict[str, Any]] = {}
        self.rent_bodies: list[dict[str, Any]] = []
        # Called before committing: a Response is answered instead (nothing committed).
        self.before_rent: Callable[[], httpx.Response | None] | None = None
        # Called after committing: may raise (the answer is lost) or return a replacement.
        self.after_rent: Callable[[], httpx.Response | None] | None = None
        self.after_release: Callable[[], httpx.Response | None] | None = None
        prefix = re.escape(PREFIX)
        self.get_available = router.route(
            method="GET", url__regex=rf"{prefix}/availableNumbers/{_NUMBER_PATH}$"
        ).mock(side_effect=self._get_available)
        self.get_active = router.route(
            method="GET", url__regex=rf"{prefix}/activeNumbers/{_NUMBER_PATH}$"
        ).mock(side_effect=self._get_active)
        self.rent = router.route(
            method="POST", url__regex=rf"{prefix}/availableNumbers/{_NUMBER_PATH}:rent$"
        ).mock(side_effect=self._rent)
        self.release = router.route(
            method="POST", url__regex=rf"{prefix}/activeNumbers/{_NUMBER_PATH}:release$"
        ).mock(side_effect=self._release)

    def set_price(self, number: str, amount: str) -> None:
        self.available[number]["monthlyPrice"] = {"currencyCode": "USD", "amount": amount}

    def set_setup_price(self, number: str, amount: str) -> None:
        self.available[number]["setupPrice"] = {"currencyCode": "USD", "amount": amount}

    def hold(self, number: str, **fields: Any) -> None:
        self.active[number] = {
            "phoneNumber": number,
            "projectId": "proj-1",
            "displayName": "Support line",
            "regionCode": "US",
            "type": "LOCAL",
            "capability": ["SMS", "VOICE"],
            "money": {"currencyCode": "USD", "amount": "0.80"},
            "paymentIntervalMonths": 1,
            "nextChargeDate": "2026-12-24T09:00:00.000000Z",
            "expireAt": None,
            "smsConfiguration": {"servicePlanId": "plan-42", "campaignId": ""},
            "voiceConfiguration": {"type": "RTC", "appId": "app-7"},
            "callbackUrl": "https://hooks.example.test/numbers",
            **fields,
        }

    def _get_available(self, request: httpx.Request, number: str) -> httpx.Response:
        offer = self.available.get(number)
        if offer is None:
            return not_found("AvailableNumber", number)
        return httpx.Response(200, json=offer)

    def _get_active(self, request: httpx.Request, number: str) -> httpx.Response:
        held = self.active.get(number)
        if held is None:
            return not_found("ActiveNumber", number)
        return httpx.Response(200, json=held)

    def _rent(self, request: httpx.Request, number: str) -> httpx.Response:
        self.rent_bodies.append(json.loads(request.content or b"{}"))
        if self.before_rent is not None and (early := self.before_rent()) is not None:
            return early
        offer = self.available.pop(number, None)
        if offer is None:
            return not_found("AvailableNumber", number)
        self.hold(number, money=offer["monthlyPrice"], capability=offer["capability"])
        if self.after_rent is not None and (late := self.after_rent()) is not None:
            return late
        return httpx.Response(200, json=self.active[number])

    def _release(self, request: httpx.Request, number: str) -> httpx.Response:
        held = self.active.get(number)
        if held is None:
            return not_found("ActiveNumber", number)
        held["expireAt"] = "2026-12-24T09:00:00.000000Z"
        if self.after_release is not None and (late := self.after_release()) is not None:
            return late
        return httpx.Response(200, json=held)


# Clicks are built like every other test's (user names are never read by the bot).
click_body = action_body


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Every button of a message: in actions blocks and as section accessories."""
    found: list[dict[str, Any]] = []
    for block in message.get("blocks", []):
        if block.get("type") == "actions":
            found += [e for e in block["elements"] if e.get("type") == "button"]
        accessory = block.get("accessory")
        if isinstance(accessory, dict) and accessory.get("type") == "button":
            found.append(accessory)
    return found


def button(message: dict[str, Any], action_id: str, *, number: str | None = None) -> dict[str, Any]:
    for element in buttons(message):
        if element["action_id"] != action_id:
            continue
        if number is None or json.loads(element["value"]).get("n") == number:
            return element
    raise AssertionError(f"no {action_id} button for {number} in the message")
