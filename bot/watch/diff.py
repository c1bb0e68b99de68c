"""Which numbers of a run are news: not seen before by this watch (pure)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from bot.sinch.models import AvailableNumber


def new_numbers(offers: Sequence[AvailableNumber], seen: Collection[str]) -> list[AvailableNumber]:
    """``offers`` whose number is not in ``seen``, in Sinch's order, each number once."""
    fresh: list[AvailableNumber] = []
    taken = set(seen)
    for offer in offers:
        if offer.phone_number not in taken:
            taken.add(offer.phone_number)
            fresh.append(offer)
    return fresh
