"""The CLI's tables: one line per row, counts like costs (thousands separated), plurals."""

from __future__ import annotations

from decimal import Decimal

from bot.active.summary import SummaryBuilder
from bot.cli.render import render_text
from bot.core.domain import ActiveQuery
from bot.core.money import Money
from bot.search.results import ActiveResult
from bot.sinch.models import ActiveNumber


def rented(phone: str, name: str | None = None, region: str = "US") -> ActiveNumber:
    return ActiveNumber(
        phone_number=phone,
        region_code=region,
        type="LOCAL",
        display_name=name,
        capability=("SMS",),
        money=Money(currency_code="USD", amount=Decimal("1.50")),
    )


def test_a_display_name_with_a_newline_stays_on_its_row() -> None:
    numbers = (
        rented("+12065550100", "Support\nDesk\t=SUM(A1)\x07"),
        rented("+12065550101", "Sales"),
    )
    result = ActiveResult(query=ActiveQuery(), numbers=numbers, total_size=2, next_page_token=None)
    lines = render_text(result, sandbox=False).splitlines()
    assert len(lines) == 2 + 2 + 1  # header, rule, two rows, footer
    assert lines[2].endswith("Support Desk =SUM(A1)")
    assert lines[3].endswith("Sales")


def test_summary_counts_have_thousands_separators_and_one_region_is_singular() -> None:
    builder = SummaryBuilder()
    builder.add_total(12_345)
    builder.pages = 1
    for n in range(12_345):
        builder.add(rented(f"+1206{n:07d}"))
    text = render_text(builder.build(ActiveQuery()), sandbox=False)
    assert "12,345 numbers in 1 region, 0 releasing" in text
    assert "(1 page)" in text
    assert "12,345 LOCAL" in text
    assert "USD 18,517.50" in text  # costs had separators already


def test_a_long_list_footer_has_thousands_separators() -> None:
    numbers = tuple(rented(f"+1206{n:07d}") for n in range(1_200))
    result = ActiveResult(
        query=ActiveQuery(), numbers=numbers, total_size=1_200, next_page_token=None
    )
    assert render_text(result, sandbox=False).endswith("1,200 shown of 1,200")
