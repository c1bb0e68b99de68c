"""The watch policy's arithmetic and the diff: pure functions, no clock, no I/O."""

from __future__ import annotations

from bot.sinch.models import AvailableNumber
from bot.watch.diff import new_numbers
from bot.watch.policy import (
    DM_RETRY_DELAYS,
    MAX_DM_ATTEMPTS,
    MAX_TICK_SECONDS,
    dm_retry_at,
    tick_seconds,
)


def _offer(number: str) -> AvailableNumber:
    return AvailableNumber(phone_number=number, region_code="US", type="LOCAL")


def test_refused_dms_back_off_then_give_up() -> None:
    waits = [dm_retry_at(1000.0, attempt) for attempt in range(1, MAX_DM_ATTEMPTS)]
    assert waits == [1000.0 + d for d in DM_RETRY_DELAYS]
    assert dm_retry_at(1000.0, MAX_DM_ATTEMPTS) is None


def test_slacks_retry_after_wins_when_longer() -> None:
    assert dm_retry_at(0.0, 1, retry_after=90.0) == 90.0
    assert dm_retry_at(0.0, 1, retry_after=5.0) == DM_RETRY_DELAYS[0]


def test_the_tick_runs_at_least_every_max_tick_seconds() -> None:
    assert tick_seconds(900.0) == MAX_TICK_SECONDS
    assert tick_seconds(1.0) == 1.0


def test_new_numbers_are_those_not_seen_in_sinchs_order_once_each() -> None:
    offers = [_offer("+3"), _offer("+1"), _offer("+2"), _offer("+3")]
    assert [o.phone_number for o in new_numbers(offers, {"+1"})] == ["+3", "+2"]
    assert new_numbers(offers, {"+1", "+2", "+3"}) == []
