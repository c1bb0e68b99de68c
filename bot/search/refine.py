"""Filters Sinch does not offer, applied to what it returned: nodocs, max:, sort:price, and a
contains:/ends: pattern inside a place search (whose requests already use the START pattern)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.domain import SearchPattern, SearchQuery
from bot.core.validation import calling_code
from bot.sinch.models import AvailableNumber


@dataclass(frozen=True)
class Refined:
    numbers: tuple[AvailableNumber, ...]
    hidden_for_docs: int  # numbers `nodocs` hid
    over_max: int  # numbers `max:` hid (no price counts as over)


def refine(numbers: tuple[AvailableNumber, ...], query: SearchQuery) -> Refined:
    kept = list(numbers)
    pattern = query.pattern
    if query.place is not None and pattern is not None and pattern.kind is not SearchPattern.START:
        skip = len(str(calling_code(query.region) or "")) + 1  # "+1"
        if pattern.kind is SearchPattern.CONTAINS:
            kept = [n for n in kept if pattern.digits in n.phone_number[skip:]]
        else:
            kept = [n for n in kept if n.phone_number.endswith(pattern.digits)]
    hidden = 0
    if query.nodocs:
        with_docs = [n for n in kept if n.supporting_documentation_required]
        hidden = len(with_docs)
        kept = [n for n in kept if not n.supporting_documentation_required]
    over = 0
    if query.max_monthly is not None:
        cap = query.max_monthly
        within = [n for n in kept if n.monthly_price is not None and n.monthly_price.amount <= cap]
        over = len(kept) - len(within)
        kept = within
    if query.sort_by_price:
        # Stable: equal prices keep Sinch's (or the merge's) order; unknown prices go last.
        kept.sort(
            key=lambda n: (
                n.monthly_price is None,
                n.monthly_price.amount if n.monthly_price else 0,
            )
        )
    return Refined(numbers=tuple(kept), hidden_for_docs=hidden, over_max=over)
