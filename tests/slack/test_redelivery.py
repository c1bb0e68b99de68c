"""RecentDeliveries: the memory of delivered commands is bounded in time and in size."""

from __future__ import annotations

from bot.slack.listeners import RecentDeliveries
from tests.fakes import FakeClock


def delivery(n: int) -> dict[str, str]:
    return {"text": "US LOCAL", "response_url": f"https://hooks.example/{n}", "trigger_id": f"{n}"}


def test_the_oldest_delivery_is_forgotten_past_max_entries() -> None:
    deliveries = RecentDeliveries(clock=FakeClock(), max_entries=2)
    assert [deliveries.first_delivery(delivery(n)) for n in range(3)] == [True, True, True]
    # Three remembered into room for two: the first is gone, the other two are still known.
    assert deliveries.first_delivery(delivery(2)) is False
    assert deliveries.first_delivery(delivery(1)) is False
    assert deliveries.first_delivery(delivery(0)) is True


def test_a_delivery_is_forgotten_after_the_window() -> None:
    clock = FakeClock()
    deliveries = RecentDeliveries(clock=clock, window=60)
    assert deliveries.first_delivery(delivery(1)) is True
    clock.advance(59)
    assert deliveries.first_delivery(delivery(1)) is False
    clock.advance(1)
    assert deliveries.first_delivery(delivery(1)) is True
