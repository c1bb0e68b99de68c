"""SummaryBuilder: counts, per-currency Decimal sums, releasing numbers, region order."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bot.active.summary import SummaryBuilder
from bot.core.domain import ActiveQuery
from bot.sinch.models import ActiveNumber


def active(
    region: str = "US",
    type: str = "LOCAL",
    caps: tuple[str, ...] = ("SMS", "VOICE"),
    amount: str | None = "1.00",
    currency: str = "USD",
    **extra: Any,
) -> ActiveNumber:
    money = None if amount is None else {"currencyCode": currency, "amount": amount}
    return ActiveNumber.model_validate(
        {
            "phoneNumber": "+12065550100",
            "regionCode": region,
            "type": type,
            "capability": list(caps),
            "money": money,
            **extra,
        }
    )


def test_counts_by_region_type_and_capability() -> None:
    builder = SummaryBuilder()
    builder.add_total(6)
    for number in (
        active("US", "LOCAL", ("SMS", "VOICE")),
        active("US", "LOCAL", ("VOICE",)),
        active("US", "TOLL_FREE", ("SMS",)),
        active("SE", "MOBILE", ("SMS",)),
        active("GB", "LOCAL", ("VOICE",)),
        active("GB", "MOBILE", ("SMS", "VOICE")),
    ):
        builder.add(number)
    summary = builder.build(ActiveQuery())
    assert summary.counted == 6
    assert summary.total_size == 6
    assert summary.missing == 0
    assert not summary.partial
    # Most numbers first; ties by region code.
    assert [r.region for r in summary.regions] == ["US", "GB", "SE"]
    us = summary.regions[0]
    assert us.count == 3
    assert us.by_type == (("LOCAL", 2), ("TOLL_FREE", 1))
    assert (us.sms, us.voice) == (2, 2)


def test_costs_are_exact_decimal_sums_per_currency() -> None:
    builder = SummaryBuilder()
    # 0.1 ten times is not 1.0 in binary floating point; it must be exactly 1.00 here.
    for _ in range(10):
        builder.add(active("US", amount="0.10", currency="USD"))
    builder.add(active("SE", amount="4.5", currency="SEK"))
    builder.add(active("SE", amount="0.8", currency="EUR"))
    builder.add(active("SE", amount="0.80", currency="EUR"))
    summary = builder.build(ActiveQuery())
    assert summary.monthly == (
        ("EUR", Decimal("1.60")),
        ("SEK", Decimal("4.5")),
        ("USD", Decimal("1.00")),
    )
    assert all(isinstance(amount, Decimal) for _, amount in summary.monthly)
    se = next(r for r in summary.regions if r.region == "SE")
    assert se.monthly == (("EUR", Decimal("1.60")), ("SEK", Decimal("4.5")))


def test_releasing_numbers_are_counted_separately_and_not_costed() -> None:
    builder = SummaryBuilder()
    builder.add(active("US", amount="2.00"))
    builder.add(active("US", amount="2.00", expireAt="2026-12-01T09:00:00.000000Z"))
    builder.add(active("US", amount="2.00", expireAt="2026-12-02T09:00:00.000000Z"))
    summary = builder.build(ActiveQuery())
    assert summary.counted == 3
    assert summary.releasing == 2
    assert summary.regions[0].releasing == 2
    assert summary.monthly == (("USD", Decimal("2.00")),)


def test_longer_payment_intervals_are_spread_per_month_and_unpriced_are_noted() -> None:
    builder = SummaryBuilder()
    builder.add(active("DE", amount="12.00", paymentIntervalMonths=12))
    builder.add(active("DE", amount="3.00", paymentIntervalMonths=1))
    builder.add(active("DE", amount=None))
    summary = builder.build(ActiveQuery())
    assert summary.monthly == (("USD", Decimal("4.00")),)
    assert summary.regions[0].unpriced == 1
    assert summary.counted == 3


def test_partial_summary_knows_what_it_missed() -> None:
    builder = SummaryBuilder()
    builder.add_total(48_310)
    builder.add_total(10)
    for _ in range(5):
        builder.add(active())
    builder.partial = True
    summary = builder.build(ActiveQuery())
    assert summary.partial
    assert summary.total_size == 48_320
    assert summary.missing == 48_315


def test_an_unknown_total_stays_unknown() -> None:
    builder = SummaryBuilder()
    builder.add_total(None)
    builder.add_total(3)
    summary = builder.build(ActiveQuery())
    assert summary.total_size is None
    assert summary.missing is None


def test_the_next_charge_does_not_count_as_a_release() -> None:
    builder = SummaryBuilder()
    builder.add(active(nextChargeDate=datetime(2026, 12, 1, tzinfo=UTC).isoformat()))
    assert builder.build(ActiveQuery()).releasing == 0
