"""Place searches: one Sinch search per area prefix (Sinch takes one pattern per request).

At most MAX_IN_FLIGHT requests run at once and the whole search gets one lookup's budget; the
answers are merged without repeats, interleaved across areas so one busy area code does not
crowd out the rest (or, for `near:`, nearest area first). Areas whose search failed are named
in the result rather than failing the search, unless every one failed.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.core.errors import SinchError, SinchTimeoutError
from bot.sinch.models import AvailableNumber

MAX_IN_FLIGHT = 4
# The same as one Sinch lookup's budget (SinchClient's default): a place search of eight area
# codes answers within the time a single search may take.
FANOUT_BUDGET = 10.0

Fetch = Callable[[str], Awaitable[tuple[AvailableNumber, ...]]]


@dataclass(frozen=True)
class Merged:
    numbers: tuple[AvailableNumber, ...]
    failed: tuple[str, ...]  # areas whose search failed or did not finish in time
    full: bool  # some area returned a full page: more numbers may exist there
    error: SinchError | None = None  # the first failure, to say what went wrong


class PartialSearch(Exception):
    """Some areas failed: carries what the others found (and is never cached)."""

    def __init__(self, merged: Merged) -> None:
        super().__init__(f"{len(merged.failed)} area searches failed")
        self.merged = merged


async def fan_out(
    fetch: Fetch,
    areas: Sequence[str],
    *,
    page_size: int,
    nearest_first: bool = False,
    in_flight: int = MAX_IN_FLIGHT,
    budget: float = FANOUT_BUDGET,
) -> Merged:
    """Search every area; raises the first SinchError only when no area answered."""
    gate = asyncio.Semaphore(in_flight)

    async def one(area: str) -> tuple[AvailableNumber, ...]:
        async with gate:
            return await fetch(area)

    tasks = [asyncio.ensure_future(one(area)) for area in areas]
    try:
        _, pending = await asyncio.wait(tasks, timeout=budget)
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
    if pending:
        await asyncio.wait(pending)  # let the cancelled requests close their connections
    found: list[tuple[AvailableNumber, ...]] = []
    failed: list[str] = []
    first_error: SinchError | None = None
    for area, task in zip(areas, tasks, strict=True):
        if task.cancelled():
            failed.append(area)
            first_error = first_error or SinchTimeoutError(
                f"no answer for area {area} within the {budget:g} s budget"
            )
            continue
        error = task.exception()
        if error is None:
            found.append(task.result())
            continue
        if not isinstance(error, SinchError):
            raise error  # a bug, not an upstream failure: let the command's boundary log it
        failed.append(area)
        first_error = first_error or error
    if not found and first_error is not None:
        raise first_error
    numbers = _concatenate(found) if nearest_first else _interleave(found)
    return Merged(
        numbers=_unique(numbers),
        failed=tuple(failed),
        full=any(len(answer) >= page_size for answer in found),
        error=first_error,
    )


def _interleave(answers: Sequence[tuple[AvailableNumber, ...]]) -> list[AvailableNumber]:
    """First of each area, then second of each, …: a round-robin merge."""
    rounds = itertools.zip_longest(*answers)
    return [number for row in rounds for number in row if number is not None]


def _concatenate(answers: Sequence[tuple[AvailableNumber, ...]]) -> list[AvailableNumber]:
    return [number for answer in answers for number in answer]


def _unique(numbers: Sequence[AvailableNumber]) -> tuple[AvailableNumber, ...]:
    # An exchange is inside its area code (near:), so the same number can come twice.
    seen: set[str] = set()
    unique = []
    for number in numbers:
        if number.phone_number not in seen:
            seen.add(number.phone_number)
            unique.append(number)
    return tuple(unique)
