"""What Sinch's own SDK fixtures contain, read the way Sinch documents it.

- ``expireAt`` is "the timestamp when the subscription will expire if an expiration date has
  been set" (sinch-sdk-java ActiveNumber.getExpireAt). The SDKs' fixtures carry it on ordinary
  numbers whose ``nextChargeDate`` comes first (openapi-contracts/src/test/resources/domains/
  numbers/v1/active/active-numbers-list.json: next charge 2023-09-22, expireAt 2023-10-06). So it
  is no proof of a release: a release is always sent, and Sinch's answer reported.
- ``paymentIntervalMonths: 0`` appears in the same fixtures (errors/rent-response.json): that
  price is not a monthly one.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

import pytest

from bot.active.summary import SummaryBuilder
from bot.changes.service import NumberChanges, RentPolicy
from bot.changes.text import active_lines, describe, offer_lines
from bot.core.domain import ActiveQuery
from bot.core.errors import SinchApiError, SinchUnavailableError
from bot.sinch.client import SinchClient
from bot.sinch.models import ActiveNumber, AvailableNumber
from bot.slack.blocks import _interval

# sinch-sdk-java: openapi-contracts/src/test/resources/domains/numbers/v1/active/
# active-numbers-list.json (the number, trimmed to the fields the bot reads).
FIXTURE_ACTIVE: dict[str, Any] = {
    "phoneNumber": "+447520651116",
    "projectId": "project id",
    "displayName": "a display",
    "regionCode": "GB",
    "type": "MOBILE",
    "capability": ["SMS", "VOICE"],
    "money": {"currencyCode": "EUR", "amount": "0.8"},
    "paymentIntervalMonths": 1,
    "nextChargeDate": "2023-09-22T15:49:58.813424Z",
    "expireAt": "2023-10-06T15:49:58.813381Z",
}
# sinch-sdk-java: openapi-contracts/src/test/resources/domains/numbers/v1/errors/rent-response.json
FIXTURE_INTERVAL_ZERO: dict[str, Any] = {
    "phoneNumber": "+12025550134",
    "regionCode": "US",
    "type": "MOBILE",
    "capability": ["SMS"],
    "money": {"currencyCode": "USD", "amount": "2.00"},
    "paymentIntervalMonths": 0,
    "nextChargeDate": "2019-08-24T14:15:22Z",
    "expireAt": "2019-08-24T14:15:22Z",
}
# What :release answers (sinch-sdk-node packages/numbers/tests/.../active-number-api.test.ts).
RELEASED_UNTIL = "2023-12-21T17:47:51.476076Z"


def number(**fields: Any) -> ActiveNumber:
    return ActiveNumber.model_validate({**FIXTURE_ACTIVE, **fields})


class _Sinch:
    """One rented number; ``release_number`` answers as configured and counts calls."""

    def __init__(self, held: ActiveNumber, *, answer: Exception | None = None) -> None:
        self.held = held
        self.after: ActiveNumber | None = held
        self.answer = answer
        self.releases = 0

    async def active_number(self, phone: str) -> ActiveNumber:
        return self.held if self.releases == 0 else cast(ActiveNumber, self.after)

    async def release_number(self, phone: str) -> ActiveNumber:
        self.releases += 1
        if self.answer is not None:
            raise self.answer
        return number(expireAt=RELEASED_UNTIL, nextChargeDate=RELEASED_UNTIL)


def changes_for(sinch: _Sinch) -> NumberChanges:
    return NumberChanges(client=cast(SinchClient, sinch), policy=RentPolicy(enabled=True))


# --- expireAt: release is sent, Sinch's answer told ------------------------------------------


async def test_a_number_with_expire_at_is_still_released_and_sinch_s_answer_told() -> None:
    sinch = _Sinch(number())
    result = await changes_for(sinch).release("+447520651116")
    assert sinch.releases == 1
    assert result.outcome == "released"
    assert describe(result).endswith("it stays active until 2023-12-21.")


async def test_sinch_refusing_the_release_is_reported_in_its_words() -> None:
    refusal = SinchApiError("number is already scheduled for release", status_code=400)
    sinch = _Sinch(number(), answer=refusal)
    result = await changes_for(sinch).release("+447520651116")
    assert sinch.releases == 1
    assert result.outcome == "rejected"
    assert "Sinch said: number is already scheduled for release" in describe(result)


async def test_an_unclear_release_of_a_number_that_kept_its_old_end_date_is_unknown() -> None:
    sinch = _Sinch(number(), answer=SinchUnavailableError("503", status_code=503))
    result = await changes_for(sinch).release("+447520651116")
    assert result.outcome == "unknown"  # the same expireAt as before proves nothing
    sinch = _Sinch(number(expireAt=None), answer=SinchUnavailableError("503", status_code=503))
    sinch.after = number(expireAt=RELEASED_UNTIL)
    assert (await changes_for(sinch).release("+447520651116")).outcome == "released"


def test_show_says_what_sinch_documents_for_expire_at() -> None:
    lines = active_lines(number())
    assert "Subscription expires: 2023-10-06" in lines
    assert not any("release" in line.lower() for line in lines)


@pytest.mark.parametrize(
    ("fields", "releasing"),
    [
        ({}, False),  # expireAt after the next charge: charged as usual
        ({"expireAt": "2023-09-22T15:49:58.813424Z"}, True),  # ends at the next charge
        ({"nextChargeDate": None}, True),
        ({"expireAt": None}, False),
    ],
)
def test_the_summary_counts_as_releasing_only_what_is_not_charged_again(
    fields: dict[str, Any], releasing: bool
) -> None:
    builder = SummaryBuilder()
    builder.add(number(**fields))
    summary = builder.build(ActiveQuery())
    assert summary.releasing == (1 if releasing else 0)
    assert summary.monthly == (() if releasing else (("EUR", Decimal("0.8")),))


# --- paymentIntervalMonths 0 --------------------------------------------------------------


def test_interval_zero_is_not_counted_as_a_monthly_cost() -> None:
    builder = SummaryBuilder()
    builder.add(ActiveNumber.model_validate({**FIXTURE_INTERVAL_ZERO, "expireAt": None}))
    builder.add(number(expireAt=None))
    summary = builder.build(ActiveQuery())
    assert summary.monthly == (("EUR", Decimal("0.8")),)
    assert {r.region: r.unpriced for r in summary.regions} == {"US": 1, "GB": 0}


def test_interval_zero_is_not_labelled_monthly() -> None:
    shown = ActiveNumber.model_validate({**FIXTURE_INTERVAL_ZERO, "expireAt": None})
    assert "Price: USD 2.00 (payment interval 0 months: not monthly)" in active_lines(shown)
    offer = AvailableNumber.model_validate(
        {
            "phoneNumber": "+12025550134",
            "regionCode": "US",
            "type": "MOBILE",
            "monthlyPrice": {"currencyCode": "USD", "amount": "2.00"},
            "paymentIntervalMonths": 0,
        }
    )
    assert not any(line.startswith("Monthly") for line in offer_lines(offer))
    assert "not monthly" in _interval(0)
    assert _interval(1) == "/month"
