"""The rent policy's money guards, one rule each: ceilings, agreed prices, four eyes, who asks.

The policy (bot.changes.service.RentPolicy) is what Slack and the CLI both consult; these tests
pin each comparison at its boundary, so a guard that loosens (``<`` for ``<=``, a currency
ignored, a setup price never compared) fails here rather than passing every flow test.
"""

from __future__ import annotations

import argparse
import asyncio
import io
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from bot.app.runtime import Runtime
from bot.changes.service import ChangeResult, NumberChanges, Prices, RentPolicy
from bot.changes.text import describe
from bot.cli import numbers as cli_numbers
from bot.core.money import Money
from bot.sinch.client import SinchClient
from bot.sinch.models import ActiveNumber, AvailableNumber, RentRequest
from bot.store.engine import Database
from bot.store.ledger import ChangeLedger
from bot.store.migrate import Schema
from bot.store.url import database_target

NUMBER = "+12065550100"
POLICY = RentPolicy(
    enabled=True,
    allowed_user_ids=frozenset({"U1", "U2"}),
    approver_ids=frozenset({"U2", "U9"}),
    approval_channel="C9",
    max_monthly_price=Decimal("2.00"),
    max_setup_price=Decimal("50"),
)


def usd(amount: str, currency: str = "USD") -> Money:
    return Money(currency_code=currency, amount=Decimal(amount))


def offer(monthly: Money | None = None, setup: Money | None = None) -> AvailableNumber:
    return AvailableNumber(
        phone_number=NUMBER,
        region_code="US",
        type="LOCAL",
        monthly_price=monthly,
        setup_price=setup,
    )


def outcome(result: ChangeResult | None) -> str | None:
    return None if result is None else result.outcome


# --- ceilings: at the limit is allowed, a cent above is not ---------------------------------


@pytest.mark.parametrize(
    ("monthly", "setup", "expected"),
    [
        ("2.00", "50", None),  # both exactly at their ceilings
        ("2.01", "1", "over_ceiling"),
        ("1", "50.01", "setup_over_ceiling"),
        ("1", "5000", "setup_over_ceiling"),
    ],
)
def test_each_price_is_capped_by_its_own_ceiling(
    monthly: str, setup: str, expected: str | None
) -> None:
    result = POLICY.price_refusal(offer(usd(monthly), usd(setup)))
    assert outcome(result) == expected
    assert POLICY.allows_offer(offer(usd(monthly), usd(setup))) is (expected is None)


def test_an_unknown_price_is_never_rented_blind() -> None:
    assert outcome(POLICY.price_refusal(offer(None, usd("1")))) == "price_unknown"
    assert outcome(POLICY.price_refusal(offer(usd("1"), None))) == "setup_price_unknown"
    assert not POLICY.allows_offer(offer(usd("1"), None))


def test_the_refusal_names_the_ceiling_it_went_over() -> None:
    refusal = POLICY.price_refusal(offer(usd("1"), usd("5000")))
    assert refusal is not None
    assert refusal.limit == Decimal("50")
    text = describe(refusal)
    assert "setup price of USD 5000.00, above the limit of USD 50.00 (RENT_MAX_SETUP_PRICE)" in text


# --- agreed prices: dearer, or in another currency, counts as changed -----------------------


@pytest.mark.parametrize(
    ("now", "seen", "expected"),
    [
        (usd("1.00"), usd("1.00"), None),
        (usd("0.90"), usd("1.00"), None),  # cheaper is fine
        (usd("1.01"), usd("1.00"), "changed"),
        (usd("1.00", "EUR"), usd("1.00"), "changed"),  # same amount, another currency
        (usd("0.50", "EUR"), usd("1.00"), "changed"),
    ],
)
def test_a_price_above_the_one_agreed_to_stops_the_rent(
    now: Money, seen: Money, expected: str | None
) -> None:
    monthly = POLICY.price_refusal(offer(now, usd("1")), seen=Prices(monthly=seen))
    setup = POLICY.price_refusal(offer(usd("1"), now), seen=Prices(setup=seen))
    assert outcome(monthly) == (None if expected is None else "price_changed")
    assert outcome(setup) == (None if expected is None else "setup_price_changed")


def test_the_price_changed_sentence_says_who_saw_the_price() -> None:
    refusal = POLICY.price_refusal(offer(usd("1.50"), usd("1")), seen=Prices(monthly=usd("1")))
    assert refusal is not None
    assert describe(refusal).endswith("rose to USD 1.50 since it was shown.")
    assert describe(refusal, approved=True).endswith("rose to USD 1.50 since it was approved.")


# --- who may ask, who may decide ------------------------------------------------------------


def test_requesting_needs_rent_enabled_as_well_as_the_list() -> None:
    assert POLICY.may_request("U1")
    assert not POLICY.may_request("U3")
    disabled = RentPolicy(enabled=False, allowed_user_ids=frozenset({"U1"}))
    assert not disabled.may_request("U1")


def test_four_eyes_an_approver_never_decides_their_own_request() -> None:
    assert POLICY.may_decide("U9", "U1")
    assert POLICY.may_decide("U2", "U1")
    assert not POLICY.may_decide("U2", "U2")  # an approver who asked
    assert not POLICY.may_decide("U1", "U2")  # listed to request, not to approve
    assert not POLICY.may_decide("U3", "U1")


# --- the CLI rents at most at the prices its prompt showed ----------------------------------


class _PriceRisesDuringThePrompt:
    """Sinch for one number whose price goes up while the operator reads the question."""

    def __init__(self) -> None:
        self.monthly = usd("1.00")
        self.setup = usd("1.00")
        self.rent_calls = 0

    async def available_number(self, number: str) -> AvailableNumber:
        return offer(self.monthly, self.setup)

    async def rent_number(self, number: str, request: RentRequest) -> ActiveNumber:
        self.rent_calls += 1
        return ActiveNumber(phone_number=number)


@pytest.mark.parametrize("which", ["monthly", "setup"])
async def test_the_cli_rents_at_most_at_the_prices_its_prompt_showed(
    which: str, tmp_path: Path
) -> None:
    sinch = _PriceRisesDuringThePrompt()
    changes = NumberChanges(client=cast(SinchClient, sinch), policy=POLICY)
    questions: list[str] = []

    def yes_but_the_price_rises(question: str) -> bool:
        questions.append(question)
        setattr(sinch, which, usd("1.50"))  # still under both ceilings
        return True

    args = argparse.Namespace(command="rent", yes=False, json=False)
    out = io.StringIO()
    say = cli_numbers._Say(out=out, err=out, sandbox=False)
    # The CLI claims its request in the ledger before calling Sinch: a real (SQLite) store.
    database = Database(database_target(f"sqlite:///{tmp_path}/store.db"))
    ledger = ChangeLedger(database, Schema(database), approval_ttl=60)
    runtime = cast(Runtime, SimpleNamespace(changes=changes, ledger=ledger))
    try:
        code = await cli_numbers._act(args, runtime, NUMBER, ask=yes_but_the_price_rises, say=say)
    finally:
        await database.aclose()
    assert code != 0
    assert sinch.rent_calls == 0
    assert "rose to USD 1.50 since it was shown" in out.getvalue()
    assert "Setup: USD 1.00" in questions[0]


# --- joined rents: one "rented" per :rent Sinch answered ------------------------------------


class _SlowRent:
    """One number whose :rent (and :release) waits until the test lets it finish."""

    def __init__(self) -> None:
        self.finish = asyncio.Event()
        self.rent_calls = 0
        self.release_calls = 0

    async def available_number(self, number: str) -> AvailableNumber:
        return offer(usd("1"), usd("1"))

    async def active_number(self, number: str) -> ActiveNumber:
        return ActiveNumber(phone_number=number)

    async def rent_number(self, number: str, request: RentRequest) -> ActiveNumber:
        self.rent_calls += 1
        await self.finish.wait()
        return ActiveNumber(phone_number=number)

    async def release_number(self, number: str) -> ActiveNumber:
        self.release_calls += 1
        await self.finish.wait()
        return ActiveNumber(phone_number=number)


@pytest.mark.parametrize(
    ("action", "done", "joined"),
    [("rent", "rented", "already_rented"), ("release", "released", "already_releasing")],
)
async def test_calls_that_join_a_change_in_flight_are_not_counted_as_doing_it(
    action: str, done: str, joined: str
) -> None:
    sinch = _SlowRent()
    changes = NumberChanges(client=cast(SinchClient, sinch), policy=POLICY)
    calls = [asyncio.create_task(getattr(changes, action)(NUMBER)) for _ in range(3)]
    while changes.flights.joined < 2:  # the other two are waiting on the first
        await asyncio.sleep(0)
    sinch.finish.set()
    outcomes = [r.outcome for r in await asyncio.gather(*calls)]
    assert sorted(outcomes) == sorted([done, joined, joined])
    assert sinch.rent_calls + sinch.release_calls == 1
