"""What the project rents, summarised while streaming pages: memory O(regions), not O(numbers).

Pure arithmetic: ``SummaryBuilder.add`` takes one ActiveNumber at a time and ``build`` freezes
the tallies into an ``ActiveSummary`` that renderers (Slack, CLI) turn into output.

Money is summed with Decimal, per currency (Sinch bills in the account's currency, but nothing
promises one currency per project). A number's monthly cost is its ``money`` divided by its
``paymentIntervalMonths``. Numbers whose subscription ends before their next charge (a release:
``expireAt`` set, no later than ``nextChargeDate``) are counted, and counted again as "releasing",
but left out of the monthly cost: Sinch does not charge them again. ``expireAt`` after the next
charge is an ordinary number (SDK fixtures carry both). A number with ``paymentIntervalMonths``
0 has no monthly cost and is counted with the unpriced ones.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from bot.core.domain import ActiveQuery, Capability
from bot.sinch.models import ActiveNumber

# Currency code -> amount, in a stable order (by code) for rendering and tests.
Costs = tuple[tuple[str, Decimal], ...]

_UNKNOWN_REGION = "??"


@dataclass(frozen=True)
class RegionSummary:
    region: str
    count: int
    # (type, count), most first.
    by_type: tuple[tuple[str, int], ...]
    sms: int
    voice: int
    releasing: int
    monthly: Costs
    # Numbers Sinch sent without a price (not in ``monthly``).
    unpriced: int


@dataclass(frozen=True)
class ActiveSummary:
    query: ActiveQuery
    counted: int
    # What Sinch said matches (sum of each walk's totalSize); None when it did not say.
    total_size: int | None
    releasing: int
    # Most numbers first, then by region code.
    regions: tuple[RegionSummary, ...]
    monthly: Costs
    pages: int
    # True when the walk stopped early (time budget): ``counted`` is then a lower bound.
    partial: bool
    # Seconds since the summary was computed when it came from the cache, else None.
    cache_age: float | None = None

    @property
    def missing(self) -> int | None:
        """How many Sinch reported but were not counted (None when Sinch gave no total)."""
        if self.total_size is None:
            return None
        return max(0, self.total_size - self.counted)


@dataclass
class _Tally:
    count: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    sms: int = 0
    voice: int = 0
    releasing: int = 0
    monthly: dict[str, Decimal] = field(default_factory=dict)
    unpriced: int = 0


class SummaryBuilder:
    """Accumulates numbers page by page; holds one tally per region, never the numbers."""

    def __init__(self) -> None:
        self._regions: dict[str, _Tally] = {}
        self._totals: list[int | None] = []
        self.pages = 0
        self.partial = False

    def add_total(self, total_size: int | None) -> None:
        """One walk's totalSize, from its first page."""
        self._totals.append(total_size)

    def add(self, number: ActiveNumber) -> None:
        tally = self._regions.setdefault(number.region_code or _UNKNOWN_REGION, _Tally())
        tally.count += 1
        tally.by_type[number.type or "UNKNOWN"] += 1
        if Capability.SMS.value in number.capability:
            tally.sms += 1
        if Capability.VOICE.value in number.capability:
            tally.voice += 1
        if number.ends_before_next_charge:
            tally.releasing += 1
            return
        months = number.payment_interval_months
        if number.money is None or (months is not None and months < 1):
            # No price, or paymentIntervalMonths 0 (seen in SDK fixtures): no monthly cost.
            tally.unpriced += 1
            return
        monthly = number.money.amount / months if months and months > 1 else number.money.amount
        code = number.money.currency_code
        tally.monthly[code] = tally.monthly.get(code, Decimal(0)) + monthly

    def build(self, query: ActiveQuery) -> ActiveSummary:
        regions = tuple(
            sorted(
                (_freeze(code, tally) for code, tally in self._regions.items()),
                key=lambda r: (-r.count, r.region),
            )
        )
        grand: dict[str, Decimal] = {}
        for region in regions:
            for code, amount in region.monthly:
                grand[code] = grand.get(code, Decimal(0)) + amount
        totals = self._totals
        total_size = sum(t for t in totals if t is not None) if totals else 0
        return ActiveSummary(
            query=query,
            counted=sum(r.count for r in regions),
            total_size=None if any(t is None for t in totals) else total_size,
            releasing=sum(r.releasing for r in regions),
            regions=regions,
            monthly=tuple(sorted(grand.items())),
            pages=self.pages,
            partial=self.partial,
        )


def _freeze(code: str, tally: _Tally) -> RegionSummary:
    return RegionSummary(
        region=code,
        count=tally.count,
        by_type=tuple(sorted(tally.by_type.items(), key=lambda kv: (-kv[1], kv[0]))),
        sms=tally.sms,
        voice=tally.voice,
        releasing=tally.releasing,
        monthly=tuple(sorted(tally.monthly.items())),
        unpriced=tally.unpriced,
    )
