"""NumbersService: runs validated queries through the Sinch client and returns domain results."""

from __future__ import annotations

from bot.domain import (
    ACTIVE_PAGE_SIZE,
    SEARCH_FETCH_SIZE,
    ActiveQuery,
    HelpQuery,
    NumberType,
    Query,
    RegionsQuery,
    SearchPattern,
    SearchQuery,
)
from bot.fanout import Merged, PartialSearch, fan_out
from bot.refine import refine
from bot.results import ActiveResult, RegionsResult, Result, SearchResult
from bot.search_cache import SearchCache
from bot.sinch.client import SinchClient
from bot.sinch.models import AvailableNumber
from bot.validation import (
    validate_active_query,
    validate_search_query,
    wire_area,
    wire_pattern,
)


class NumbersService:
    """The one entry point for lookups, whatever the front end (Slack, CLI)."""

    def __init__(
        self, *, client: SinchClient, cache: SearchCache[tuple[AvailableNumber, ...]] | None = None
    ) -> None:
        self._client = client
        self._cache = cache

    async def run(self, query: Query) -> Result:
        if isinstance(query, SearchQuery):
            return await self.search(query)
        if isinstance(query, RegionsQuery):
            return await self.regions(query.type)
        if isinstance(query, ActiveQuery):
            return await self.active(query.region, query.type, page_token=query.page_token)
        assert not isinstance(query, HelpQuery), "help needs no lookup"
        raise TypeError(f"unknown query {type(query).__name__}")

    async def search(self, query: SearchQuery) -> SearchResult:
        validate_search_query(query)
        age: float | None = None
        try:
            if self._cache is None:
                numbers = await self._fetch(query)
            else:
                # The limit only trims what is shown: searches differing in it share one entry.
                key = _cache_key(query)
                numbers, age = await self._cache.get_or_fetch(key, lambda: self._fetch(query))
            merged = Merged(numbers=numbers, failed=(), full=len(numbers) >= SEARCH_FETCH_SIZE)
        except PartialSearch as partial:
            merged = partial.merged
        refined = refine(merged.numbers, query)
        return SearchResult(
            query=query,
            numbers=refined.numbers,
            fetch_size=SEARCH_FETCH_SIZE,
            cache_age=age,
            failed_areas=merged.failed,
            hidden_for_docs=refined.hidden_for_docs,
            over_max=refined.over_max,
            upstream_full=merged.full,
        )

    async def _fetch(self, query: SearchQuery) -> tuple[AvailableNumber, ...]:
        if query.place is None:
            pattern, search_pattern = wire_pattern(query)
            return await self._fetch_one(query, pattern, search_pattern)
        merged = await fan_out(
            lambda area: self._fetch_one(query, wire_area(query.region, area), SearchPattern.START),
            query.place.areas,
            page_size=SEARCH_FETCH_SIZE,
            nearest_first=query.place.nearest_first,
        )
        if merged.failed:
            raise PartialSearch(merged)  # shown, but never cached
        return merged.numbers

    async def _fetch_one(
        self, query: SearchQuery, pattern: str | None, search_pattern: SearchPattern | None
    ) -> tuple[AvailableNumber, ...]:
        return await self._client.available_numbers(
            region_code=query.region,
            type=query.type,
            pattern=pattern,
            search_pattern=search_pattern,
            capabilities=query.capabilities,
            size=SEARCH_FETCH_SIZE,
        )

    async def regions(self, type: NumberType | None = None) -> RegionsResult:
        regions = await self._client.available_regions(types=(type,) if type else ())
        ordered = tuple(sorted(regions, key=lambda r: r.region_code))
        return RegionsResult(query=RegionsQuery(type=type), regions=ordered)

    async def active(
        self,
        region: str | None = None,
        type: NumberType | None = None,
        *,
        page_token: str | None = None,
    ) -> ActiveResult:
        query = ActiveQuery(region=region, type=type, page_token=page_token)
        validate_active_query(query)
        page = await self._client.active_numbers(
            region_code=region, type=type, page_size=ACTIVE_PAGE_SIZE, page_token=page_token
        )
        return ActiveResult(
            query=query,
            numbers=page.active_numbers,
            total_size=page.total_size,
            next_page_token=page.next_page_token or None,
        )

    async def active_all(
        self, region: str | None = None, type: NumberType | None = None
    ) -> ActiveResult:
        """Every rented number matching, following Sinch's page tokens (for the CLI)."""
        query = ActiveQuery(region=region, type=type)
        validate_active_query(query)
        numbers = await self._client.all_active_numbers(
            region_code=region, type=type, page_size=ACTIVE_PAGE_SIZE
        )
        return ActiveResult(
            query=query, numbers=numbers, total_size=len(numbers), next_page_token=None
        )


def _cache_key(query: SearchQuery) -> tuple[object, ...]:
    return (
        query.region,
        query.type,
        tuple(sorted(query.capabilities)),
        # A pattern inside a place search is applied to what the areas return.
        None if query.place is not None else query.pattern,
        query.place.areas if query.place is not None else None,
        query.place is not None and query.place.nearest_first,
    )
