"""Prices by currency rules (Babel): the same precision for setup and monthly, everywhere."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.cli.render import render_text
from bot.core.domain import SearchQuery
from bot.core.money import Money, format_amount, format_money, format_total
from bot.search.results import SearchResult
from bot.sinch.models import AvailableNumber
from bot.slack.search_blocks import render_search


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        ("4.5", "SEK", "SEK 4.50"),
        ("5", "SEK", "SEK 5.00"),
        ("100", "JPY", "JPY 100"),  # no minor unit
        ("1.5", "KWD", "KWD 1.500"),  # three decimals
        ("0.0035", "USD", "USD 0.0035"),  # finer than cents: kept
        ("4.5", "DOLLAR", "DOLLAR 4.50"),  # not ISO 4217: two decimals, code as sent
    ],
)
def test_money_follows_the_currency(amount: str, currency: str, shown: str) -> None:
    assert format_money(Money(currency_code=currency, amount=Decimal(amount))) == shown


def test_setup_and_monthly_look_alike_in_slack_and_cli() -> None:
    number = AvailableNumber(
        phone_number="+468465004 01".replace(" ", ""),
        region_code="SE",
        type="LOCAL",
        setup_price=Money(currency_code="SEK", amount=Decimal("5.00")),
        monthly_price=Money(currency_code="SEK", amount=Decimal("4.5")),
    )
    result = SearchResult(query=SearchQuery(region="SE"), numbers=(number,), fetch_size=30)
    slack = str(render_search(result))
    assert "SEK 4.50/month" in slack
    assert "setup SEK 5.00" in slack
    cli = render_text(result, sandbox=False)
    assert "4.50" in cli and "5.00" in cli  # noqa: PT018
    assert format_amount(Decimal("4.5"), "SEK") == "4.50"


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        ("12345.6", "USD", "12,345.60"),
        ("0.0049", "EUR", "0.00"),  # a total is rounded to the minor unit
        ("123456", "JPY", "123,456"),
        ("1.2345", "KWD", "1.235"),
        ("10", "DOLLAR", "10.00"),
    ],
)
def test_totals_are_grouped_and_rounded_to_the_minor_unit(
    amount: str, currency: str, shown: str
) -> None:
    assert format_total(Decimal(amount), currency) == shown
