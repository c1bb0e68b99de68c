"""Prometheus metrics for /metrics: one registry per app instance (tests stay isolated)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

# Slack gives 3 s for the ack; answers should land within a few seconds.
_COMMAND_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 15.0)
_SINCH_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _CacheCollector(Collector):
    """Reads the search cache's own hit/miss counters at scrape time."""

    def __init__(self, hits: Callable[[], int], misses: Callable[[], int]) -> None:
        self._hits, self._misses = hits, misses

    def collect(self) -> Iterable[Metric]:
        family = CounterMetricFamily(
            "numbers_bot_search_cache_lookups", "Search cache lookups by result", labels=["result"]
        )
        family.add_metric(["hit"], self._hits())
        family.add_metric(["miss"], self._misses())
        yield family


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.commands = Counter(
            "numbers_bot_commands",
            "Slash commands handled, by kind and outcome",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.command_latency = Histogram(
            "numbers_bot_command_seconds",
            "Time from a command's arrival to its answer being sent",
            ["kind"],
            buckets=_COMMAND_BUCKETS,
            registry=self.registry,
        )
        self.sinch_calls = Counter(
            "numbers_bot_sinch_calls",
            "Numbers API HTTP attempts, by endpoint and status (or connection_error / timeout)",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self.sinch_latency = Histogram(
            "numbers_bot_sinch_seconds",
            "Numbers API attempt latency",
            ["endpoint"],
            buckets=_SINCH_BUCKETS,
            registry=self.registry,
        )
        self.token_fetches = Counter(
            "numbers_bot_token_fetches",
            "Sinch token endpoint requests, by outcome (success / transient_error / auth_error)",
            ["outcome"],
            registry=self.registry,
        )
        self.token_expiry = Gauge(
            "numbers_bot_token_seconds_until_expiry",
            "Seconds until the held Sinch token expires (-1 when none is held)",
            registry=self.registry,
        )
        self.number_changes = Counter(
            "numbers_bot_number_changes",
            "Rent/release requests, approvals, denials and outcomes, by action and outcome",
            ["action", "outcome"],
            registry=self.registry,
        )

    def observe_number_change(self, action: str, outcome: str) -> None:
        self.number_changes.labels(action, outcome).inc()

    def observe_command(self, kind: str, outcome: str, seconds: float) -> None:
        self.commands.labels(kind, outcome).inc()
        self.command_latency.labels(kind).observe(seconds)

    def observe_sinch_call(self, endpoint: str, status: str, seconds: float) -> None:
        self.sinch_calls.labels(endpoint, status).inc()
        self.sinch_latency.labels(endpoint).observe(seconds)

    def observe_token_fetch(self, outcome: str) -> None:
        self.token_fetches.labels(outcome).inc()

    def watch_token(self, seconds_until_expiry: Callable[[], float | None]) -> None:
        def read() -> float:
            value = seconds_until_expiry()
            return -1.0 if value is None else max(0.0, value)

        self.token_expiry.set_function(read)

    def watch_cache(self, hits: Callable[[], int], misses: Callable[[], int]) -> None:
        self.registry.register(_CacheCollector(hits, misses))

    def commands_answered(self) -> int:
        """Commands handled since start, whatever their outcome (for the Home tab)."""
        return int(
            sum(
                sample.value
                for metric in self.commands.collect()
                for sample in metric.samples
                if sample.name.endswith("_total")
            )
        )

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
