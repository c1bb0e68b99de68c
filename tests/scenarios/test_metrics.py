"""GET /metrics: Prometheus text that prometheus-client's parser reads, with counters moving."""

from __future__ import annotations

import json

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.fakes import FakeClock
from tests.scenarios.conftest import MakeBot


async def scrape(bot: object) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await bot.http.get("/metrics")  # type: ignore[attr-defined]
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


async def test_metrics_move_with_commands_sinch_calls_tokens_and_cache(make_bot: MakeBot) -> None:
    bot = await make_bot(clock=FakeClock(), search_cache_ttl=30)
    before = await scrape(bot)
    assert before[("numbers_bot_token_fetches_total", (("outcome", "success"),))] == 1
    assert before[("numbers_bot_token_seconds_until_expiry", ())] > 3000
    await bot.answer("US LOCAL")
    second = await bot.answer("US LOCAL limit:2")
    assert "cache" in json.dumps(second).lower()
    await bot.command("XX")
    assert await bot.app.inflight.drain(5) == 0  # bookkeeping runs after each reply is sent
    after = await scrape(bot)
    assert after[("numbers_bot_commands_total", (("kind", "search"), ("outcome", "ok")))] == 2
    assert (
        after[("numbers_bot_commands_total", (("kind", "unknown"), ("outcome", "bad_input")))] == 1
    )
    assert after[("numbers_bot_command_seconds_count", (("kind", "search"),))] == 2
    calls = (
        "numbers_bot_sinch_calls_total",
        (("endpoint", "available_numbers"), ("status", "200")),
    )
    assert after[calls] == 1
    assert after[("numbers_bot_sinch_seconds_count", (("endpoint", "available_numbers"),))] == 1
    assert after[("numbers_bot_search_cache_lookups_total", (("result", "hit"),))] == 1
    assert after[("numbers_bot_search_cache_lookups_total", (("result", "miss"),))] == 1


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong", "Basic metrics-token", "metrics-token", "Bearer ", ""],
)
async def test_with_a_metrics_token_metrics_needs_it(
    make_bot: MakeBot, authorization: str | None
) -> None:
    bot = await make_bot(metrics_token="metrics-token")
    headers = {} if authorization is None else {"authorization": authorization}
    response = await bot.http.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "numbers_bot" not in response.text


async def test_with_a_metrics_token_the_bearer_gets_the_metrics(make_bot: MakeBot) -> None:
    bot = await make_bot(metrics_token="metrics-token")
    response = await bot.http.get("/metrics", headers={"authorization": "Bearer metrics-token"})
    assert response.status_code == 200
    assert "numbers_bot_token_fetches_total" in response.text
    # Health and readiness stay open to the platform's probes.
    assert (await bot.http.get("/healthz")).status_code == 200


async def test_an_empty_metrics_token_leaves_metrics_open(make_bot: MakeBot) -> None:
    bot = await make_bot(metrics_token="")
    assert (await bot.http.get("/metrics")).status_code == 200
