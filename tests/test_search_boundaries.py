"""Search details at their edges: filters Sinch lacks, paging counts, prefixes, vanity, cache TTL.

Each test pins one comparison that a mutant audit found unprotected (an off-by-one, a skipped
calling code, an unpriced number let through).
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from bot.commands.parser import parse_command
from bot.commands.vanity import spell
from bot.core.domain import NumberPattern, PlaceFilter, SearchPattern, SearchQuery
from bot.core.money import Money
from bot.search.cache import SearchCache
from bot.search.refine import refine
from bot.search.results import SearchResult
from bot.sinch.models import AvailableNumber
from bot.slack.search_blocks import show_more_value
from tests.fakes import FakeClock

SEATTLE = PlaceFilter(text="in:seattle,wa", label="Seattle, WA", areas=("206",))


def offer(phone: str, price: str | None = "1.00") -> AvailableNumber:
    return AvailableNumber(
        phone_number=phone,
        region_code="US",
        type="LOCAL",
        monthly_price=None if price is None else Money(currency_code="USD", amount=Decimal(price)),
    )


# --- refine: filters applied to what Sinch returned ------------------------------------------


def test_contains_in_a_place_search_ignores_the_calling_code() -> None:
    numbers = (offer("+12065550000"), offer("+12065551000"))
    query = SearchQuery(
        region="US", place=SEATTLE, pattern=NumberPattern("1", SearchPattern.CONTAINS)
    )
    # "+1" is the calling code: only the second number has a 1 after it.
    assert [n.phone_number for n in refine(numbers, query).numbers] == ["+12065551000"]


def test_max_hides_unpriced_numbers_and_counts_them() -> None:
    numbers = (offer("+12065550001", "2.00"), offer("+12065550002", None), offer("+12065550003"))
    refined = refine(numbers, SearchQuery(region="US", max_monthly=Decimal("2.00")))
    assert [n.phone_number for n in refined.numbers] == ["+12065550001", "+12065550003"]
    assert refined.over_max == 1


def test_sort_by_price_puts_unpriced_numbers_last() -> None:
    numbers = (offer("+12065550001", None), offer("+12065550002", "3"), offer("+12065550003", "0"))
    refined = refine(numbers, SearchQuery(region="US", sort_by_price=True))
    assert [n.phone_number for n in refined.numbers] == [
        "+12065550003",
        "+12065550002",
        "+12065550001",
    ]


# --- paging: the last page's "more" and the Show more offset ---------------------------------


def result(count: int, offset: int, limit: int = 5) -> SearchResult:
    numbers = tuple(offer(f"+1206555{i:04d}") for i in range(count))
    query = SearchQuery(region="US", limit=limit, offset=offset)
    return SearchResult(query=query, numbers=numbers, fetch_size=50)


@pytest.mark.parametrize(
    ("count", "offset", "shown", "more", "next_offset"),
    [
        (12, 0, 5, 7, 5),
        (12, 5, 5, 2, 10),
        (12, 10, 2, 0, None),  # the last page: nothing more, no button
        (10, 5, 5, 0, None),  # exactly full
    ],
)
def test_the_more_count_and_the_show_more_offset(
    count: int, offset: int, shown: int, more: int, next_offset: int | None
) -> None:
    page = result(count, offset)
    assert len(page.shown) == shown
    assert page.more == more
    value = show_more_value(page)
    assert (None if value is None else json.loads(value)["o"]) == next_offset


# --- a prefix that is only the trunk prefix or the calling code stays as typed ---------------


@pytest.mark.parametrize(
    ("text", "digits"),
    [("GB LOCAL 0", "0"), ("US LOCAL 1", "1"), ("GB LOCAL 020", "20"), ("US LOCAL 1206", "206")],
)
def test_a_lone_trunk_prefix_is_kept(text: str, digits: str) -> None:
    query = parse_command(text)
    assert isinstance(query, SearchQuery)
    assert query.pattern is not None
    assert query.pattern.digits == digits


# --- vanity: the word is written where it occurs last ----------------------------------------


def test_the_vanity_word_replaces_the_last_occurrence() -> None:
    assert spell("+1 206-226-2222", "22", "AB") == "+1 206-226-22AB"
    assert spell("+1 206-555-4992", "74992", "PIZZA") is None


# --- the cache's TTL: fresh below it, fetched again at it ------------------------------------


async def test_a_cached_result_expires_exactly_at_the_ttl() -> None:
    clock = FakeClock()
    cache: SearchCache[int] = SearchCache(ttl=30, clock=clock)
    fetches = 0

    async def fetch() -> int:
        nonlocal fetches
        fetches += 1
        return fetches

    assert await cache.get_or_fetch("k", fetch) == (1, None)
    clock.advance(29.999)
    value, age = await cache.get_or_fetch("k", fetch)
    assert value == 1
    assert age == pytest.approx(29.999)
    clock.advance(0.001)
    assert await cache.get_or_fetch("k", fetch) == (2, None)
