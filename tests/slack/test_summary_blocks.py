"""The active-numbers summary in Block Kit: totals, partial and cached notes, and the limits."""

from __future__ import annotations

import json
from decimal import Decimal

from bot.active.summary import ActiveSummary, RegionSummary
from bot.core.domain import ActiveQuery, NumberType
from bot.slack.summary_blocks import (
    MAX_REGION_BUTTONS,
    REGION_ACTION,
    format_cost,
    render_active_summary,
)
from tests.blockkit import assert_valid_message


def region(code: str, count: int, *, releasing: int = 0) -> RegionSummary:
    return RegionSummary(
        region=code,
        count=count,
        by_type=(("LOCAL", count - count // 3), ("MOBILE", count // 3)),
        sms=count // 2,
        voice=count,
        releasing=releasing,
        monthly=(("EUR", Decimal("0.80") * count), ("USD", Decimal("1.25") * count)),
        unpriced=0,
    )


def summary(regions: list[RegionSummary], **overrides: object) -> ActiveSummary:
    values: dict[str, object] = {
        "query": ActiveQuery(),
        "counted": sum(r.count for r in regions),
        "total_size": sum(r.count for r in regions),
        "releasing": sum(r.releasing for r in regions),
        "regions": tuple(regions),
        "monthly": (
            ("EUR", sum((r.monthly[0][1] for r in regions), Decimal(0))),
            ("USD", sum((r.monthly[1][1] for r in regions), Decimal(0))),
        ),
        "pages": 11,
        "partial": False,
    }
    values.update(overrides)
    return ActiveSummary(**values)  # type: ignore[arg-type]


def _codes(n: int) -> list[str]:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return [a + b for a in letters for b in letters][:n]


def buttons(message: dict[str, object]) -> list[dict[str, object]]:
    return [
        element
        for block in message["blocks"]  # type: ignore[attr-defined]
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def test_250_regions_fit_block_kit_with_the_largest_as_buttons() -> None:
    regions = [region(code, 10_000 - i, releasing=i % 3) for i, code in enumerate(_codes(250))]
    message = render_active_summary(summary(regions), sandbox=True)
    assert_valid_message(message)
    text = json.dumps(message, ensure_ascii=False)
    assert "…and" in text  # the regions that did not fit are counted, not silently dropped
    found = buttons(message)
    assert len(found) == MAX_REGION_BUTTONS
    ids = [b["action_id"] for b in found]
    assert len(set(ids)) == len(ids)
    assert ids[0] == f"{REGION_ACTION}:AA"  # the largest region first
    assert json.loads(str(found[0]["value"])) == {"region": "AA"}


def test_totals_costs_per_currency_and_releasing() -> None:
    regions = [region("US", 3_000, releasing=3), region("SE", 200)]
    message = render_active_summary(summary(regions))
    assert_valid_message(message)
    text = json.dumps(message, ensure_ascii=False)
    assert "3,200" in text
    assert "3 releasing" in text
    assert "EUR 2,560.00" in text
    assert "USD 4,000.00" in text
    assert "counted from 11 pages" in text
    assert "cached" not in text


def test_partial_summary_says_how_much_was_counted_and_points_to_the_cli() -> None:
    regions = [region("US", 20_000)]
    message = render_active_summary(summary(regions, total_size=48_310, partial=True))
    assert_valid_message(message)
    text = json.dumps(message, ensure_ascii=False)
    assert "first 20,000 of 48,310 counted" in text
    assert "numbers-bot active --summary" in text
    assert "20,000+" in message["blocks"][0]["text"]["text"]


def test_footer_says_when_the_summary_is_cached() -> None:
    message = render_active_summary(summary([region("US", 5)], cache_age=12.4))
    assert "cached, 12 s old" in json.dumps(message)


def test_type_filter_reaches_the_buttons_and_empty_projects_say_so() -> None:
    typed = summary([region("US", 5)], query=ActiveQuery(type=NumberType.MOBILE))
    (button,) = buttons(render_active_summary(typed))
    assert json.loads(str(button["value"])) == {"region": "US", "type": "MOBILE"}
    empty = render_active_summary(summary([]))
    assert_valid_message(empty)
    assert "rents no numbers" in empty["text"]


def test_format_cost_is_grouped_and_two_decimals() -> None:
    assert format_cost(Decimal("12345.6"), "USD") == "USD 12,345.60"
    assert format_cost(Decimal("0.0049"), "EUR") == "EUR 0.00"
