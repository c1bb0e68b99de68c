"""NumbersService: runs validated queries through the Sinch client and returns domain results."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Final

from bot.active.summary import ActiveSummary, SummaryBuilder
from bot.core.clock import Clock, MonotonicClock
from bot.core.domain import (
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
from bot.core.errors import SinchError
from bot.core.validation import (
    validate_active_query,
    validate_search_query,
    wire_area,
    wire_pattern,
)
from bot.search.cache import SearchCache
from bot.search.fanout import MAX_IN_FLIGHT, Merged, PartialSearch, fan_out
from bot.search.refine import refine
from bot.search.results import ActiveResult, RegionsResult, Result, SearchResult
from bot.sinch.client import SinchClient
from bot.sinch.models import ActiveNumber, ActiveNumbersPage, AvailableNumber

# How long a Slack summary may walk pages before answering with what it has counted: the
# command's budget is 13 s (listeners.ANSWER_BUDGET), and a page in flight is cut off here too.
SUMMARY_BUDGET: Final = 8.0

ActiveSummaryCache = SearchCache[ActiveSummary]
# Told of each page a walk receives, and whether it is its walk's first (the one with
# totalSize): the CLI's progress on long walks. Runs on the event loop, so it must not block.
PageSeen = Callable[[ActiveNumbersPage, bool], None]


class NumbersService:
    """The one entry point for lookups, whatever the front end (Slack, CLI)."""

    def __init__(
        self,
        *,
        client: SinchClient,
        cache: SearchCache[tuple[AvailableNumber, ...]] | None = None,
        active_cache: ActiveSummaryCache | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._client = client
        self._cache = cache
        self._active_cache = active_cache
        self._clock = clock or MonotonicClock()

    async def run(self, query: Query) -> Result:
        if isinstance(query, SearchQuery):
            return await self.search(query)
        if isinstance(query, RegionsQuery):
            return await self.regions(query.type)
        if isinstance(query, ActiveQuery):
            # No region and no page to continue: what is rented, summarised, not 250 pages.
            if query.region is None and not query.page_token:
                return await self.active_summary(type=query.type)
            return await self.active(query.region, query.type, page_token=query.page_token)
        assert not isinstance(query, HelpQuery), "help needs no lookup"
        raise TypeError(f"unknown query {type(query).__name__}")

    async def search(self, query: SearchQuery, *, in_flight: int = MAX_IN_FLIGHT) -> SearchResult:
        """``in_flight``: Sinch calls a place search may have open at once (watches use 1, so
        they never crowd out interactive commands)."""
        validate_search_query(query)
        age: float | None = None
        try:
            if self._cache is None:
                numbers = await self._fetch(query, in_flight)
            else:
                # The limit only trims what is shown: searches differing in it share one entry.
                key = _cache_key(query)
                numbers, age = await self._cache.get_or_fetch(
                    key, lambda: self._fetch(query, in_flight)
                )
            merged = Merged(numbers=numbers, failed=(), full=len(numbers) >= SEARCH_FETCH_SIZE)
        except PartialSearch as partial:
            merged = partial.merged
        refined = refine(merged.numbers, query)
        region_types = None
        if not merged.numbers and not merged.failed:
            region_types = await self._region_types(query.region)
        return SearchResult(
            query=query,
            numbers=refined.numbers,
            fetch_size=SEARCH_FETCH_SIZE,
            cache_age=age,
            failed_areas=merged.failed,
            hidden_for_docs=refined.hidden_for_docs,
            over_max=refined.over_max,
            upstream_full=merged.full,
            region_types=region_types,
        )

    async def _region_types(self, region: str) -> tuple[str, ...] | None:
        """What Sinch's regions list says the region offers (an empty search's explanation)."""
        try:
            regions = await self._client.available_regions()
        except SinchError:
            return None  # the empty result stands on its own: "none matched"
        found = next((r for r in regions if r.region_code == region), None)
        return found.types if found is not None else ()

    async def _fetch(self, query: SearchQuery, in_flight: int) -> tuple[AvailableNumber, ...]:
        if query.place is None:
            pattern, search_pattern = wire_pattern(query)
            return await self._fetch_one(query, pattern, search_pattern)
        merged = await fan_out(
            lambda area: self._fetch_one(query, wire_area(query.region, area), SearchPattern.START),
            query.place.areas,
            page_size=SEARCH_FETCH_SIZE,
            nearest_first=query.place.nearest_first,
            in_flight=in_flight,
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
        self,
        region: str | None = None,
        type: NumberType | None = None,
        *,
        on_page: PageSeen | None = None,
    ) -> ActiveResult:
        """Every rented number matching, in the largest pages Sinch allows (the CLI's table)."""
        query = ActiveQuery(region=region, type=type)
        streamed = [n async for n in self.active_stream(region, type, on_page=on_page)]
        # The types are walked at once; the table lists them in Sinch's order, by number.
        numbers = tuple(sorted(streamed, key=lambda n: n.phone_number))
        return ActiveResult(
            query=query, numbers=numbers, total_size=len(numbers), next_page_token=None
        )

    async def active_summary(
        self,
        region: str | None = None,
        type: NumberType | None = None,
        *,
        budget: float | None = SUMMARY_BUDGET,
        on_page: PageSeen | None = None,
    ) -> ActiveSummary:
        """Counts and monthly cost of the rented numbers matching, from a streaming walk.

        With a ``budget`` (seconds), the walk stops when it is spent and the summary says it is
        partial; None walks every page (the CLI). Cached for the active cache's TTL, and
        concurrent identical requests share one walk; an unbudgeted walk has its own key, so a
        CLI summary is never a cached partial one.
        """
        query = ActiveQuery(region=region, type=type)
        validate_active_query(query)
        if self._active_cache is None:
            return await self._summarise(query, budget, on_page)
        key = ("active_summary", region, type, budget)
        summary, age = await self._active_cache.get_or_fetch(
            key, lambda: self._summarise(query, budget, on_page)
        )
        return summary if age is None else replace(summary, cache_age=age)

    async def _summarise(
        self, query: ActiveQuery, budget: float | None, on_page: PageSeen | None
    ) -> ActiveSummary:
        builder = SummaryBuilder()
        deadline = None if budget is None else self._clock.now() + budget
        # One walk per type, concurrently: Sinch's docs mark `type` required on activeNumbers
        # (and an older spec says omitting it lists only MOBILE), and three short walks answer
        # sooner than one long one.
        try:
            async with asyncio.TaskGroup() as group:
                for number_type in _types(query.type):
                    group.create_task(
                        self._walk(builder, query.region, number_type, deadline, on_page)
                    )
        except BaseExceptionGroup as failed:
            # One walk failed (the others were cancelled): its error is the answer, unwrapped
            # so callers see the SinchError they handle.
            raise failed.exceptions[0] from None
        return builder.build(query)

    async def _walk(
        self,
        builder: SummaryBuilder,
        region: str | None,
        type: NumberType,
        deadline: float | None,
        on_page: PageSeen | None,
    ) -> None:
        pages = self._client.active_pages(region_code=region, type=type)
        first = True
        try:
            while True:
                remaining = None if deadline is None else deadline - self._clock.now()
                if remaining is not None and remaining <= 0:
                    builder.partial = True
                    return
                try:
                    async with asyncio.timeout(remaining):
                        page = await anext(pages, None)
                except TimeoutError:
                    builder.partial = True
                    return
                if page is None:
                    return
                builder.pages += 1
                if on_page is not None:
                    on_page(page, first)
                if first:
                    builder.add_total(page.total_size)
                    first = False
                for number in page.active_numbers:
                    builder.add(number)
        finally:
            await pages.aclose()

    async def active_stream(
        self,
        region: str | None = None,
        type: NumberType | None = None,
        *,
        on_page: PageSeen | None = None,
    ) -> AsyncIterator[ActiveNumber]:
        """Every rented number matching, page by page as Sinch sends them (for CSV export).

        The types are walked at once and each walk asks for its next page before the current
        one is handed on, so the export waits about as long as its longest walk. Rows come in
        the order pages arrive; memory holds one page per type.
        """
        validate_active_query(ActiveQuery(region=region, type=type))
        walks = {t: self._client.active_pages(region_code=region, type=t) for t in _types(type)}
        pending: dict[asyncio.Future[ActiveNumbersPage], NumberType] = {
            asyncio.ensure_future(anext(walk)): t for t, walk in walks.items()
        }
        started: set[NumberType] = set()
        try:
            while pending:
                done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for future in done:
                    number_type = pending.pop(future)
                    try:
                        page = future.result()
                    except StopAsyncIteration:
                        continue
                    pending[asyncio.ensure_future(anext(walks[number_type]))] = number_type
                    if on_page is not None:
                        on_page(page, number_type not in started)
                    started.add(number_type)
                    for number in page.active_numbers:
                        yield number
        finally:
            # A failed walk or a reader that stopped early: stop the other walks, then close.
            for future in pending:
                future.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            for walk in walks.values():
                await walk.aclose()


def _types(type: NumberType | None) -> tuple[NumberType, ...]:
    return (type,) if type is not None else tuple(NumberType)


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
