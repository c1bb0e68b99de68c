"""What the service returns: domain results that renderers (Slack, CLI) turn into output."""

from __future__ import annotations

from dataclasses import dataclass

from bot.active.summary import ActiveSummary
from bot.core.domain import ActiveQuery, RegionsQuery, SearchQuery
from bot.sinch.models import ActiveNumber, AvailableNumber, AvailableRegion


@dataclass(frozen=True)
class SearchResult:
    query: SearchQuery
    # Everything Sinch returned (up to SEARCH_FETCH_SIZE); `shown` is what the limit lets through.
    numbers: tuple[AvailableNumber, ...]
    fetch_size: int
    # Seconds since the result was fetched when it came from the cache, else None.
    cache_age: float | None = None
    # Place searches: area prefixes whose search failed (the others are shown).
    failed_areas: tuple[str, ...] = ()
    # How many numbers `nodocs` and `max:` hid.
    hidden_for_docs: int = 0
    over_max: int = 0
    # Whether Sinch may hold more than it sent (a page came back full); None: judge by size.
    upstream_full: bool | None = None
    # The types Sinch offers in the region, from its regions list: looked up only when the
    # search found nothing at all (None: not looked up, or the lookup failed).
    region_types: tuple[str, ...] | None = None

    @property
    def type_not_offered(self) -> bool:
        """Nothing matched because the region has no numbers of this type, not the filters."""
        types = self.region_types
        return types is not None and self.query.type.value not in types

    @property
    def shown(self) -> tuple[AvailableNumber, ...]:
        start = self.query.offset
        return self.numbers[start : start + self.query.limit]

    @property
    def more(self) -> int:
        """How many matched beyond those shown (a lower bound when `more_is_lower_bound`)."""
        return max(0, len(self.numbers) - self.query.offset - self.query.limit)

    @property
    def more_is_lower_bound(self) -> bool:
        if self.upstream_full is not None:
            return self.upstream_full
        return len(self.numbers) >= self.fetch_size


@dataclass(frozen=True)
class RegionsResult:
    query: RegionsQuery
    regions: tuple[AvailableRegion, ...]


@dataclass(frozen=True)
class ActiveResult:
    query: ActiveQuery
    numbers: tuple[ActiveNumber, ...]
    total_size: int | None
    next_page_token: str | None


Result = SearchResult | RegionsResult | ActiveResult | ActiveSummary
