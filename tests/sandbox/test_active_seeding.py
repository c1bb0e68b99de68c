"""The sandbox at scale: N seeded rentals (config, CLI flag, control API) and the pageSize cap."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest

from bot.app.runtime import build_runtime
from bot.app.sandbox_mode import sandbox_settings
from bot.core.domain import NumberType
from bot.ops.config import Settings
from bot.sandbox import SandboxConfig, SandboxServer
from bot.sandbox.catalog import CATALOG
from bot.sandbox.seeding import RELEASING_EVERY, seeded_rentals
from tests.fakes import FakeClock
from tests.sandbox.conftest import Api, fetch_token

TODAY = date(2026, 12, 3)


def test_seeding_is_deterministic_spread_and_never_a_number_for_rent() -> None:
    first = seeded_rentals(2_000, CATALOG, TODAY)
    assert first == seeded_rentals(2_000, CATALOG, TODAY)
    numbers = [r.phone_number for r in first]
    assert len(set(numbers)) == 2_000
    assert not set(numbers) & {o.phone_number for o in CATALOG.offers}
    kinds = Counter((r.region_code, r.type) for r in first)
    assert {region for region, _ in kinds} == {"US", "GB", "SE", "DE"}
    assert {kind for _, kind in kinds} == set(NumberType)
    assert sum(r.expire_at is not None for r in first) == 2_000 // RELEASING_EVERY
    assert any(r.display_name and r.display_name.startswith("=") for r in first)


def test_more_than_the_fictional_ranges_hold_is_refused() -> None:
    with pytest.raises(ValueError, match="at most"):
        seeded_rentals(10_000_000, CATALOG, TODAY)
    with pytest.raises(ValueError, match="negative"):
        SandboxConfig(active_count=-1)


@pytest.fixture
async def seeded(fake_clock: FakeClock) -> AsyncIterator[SandboxServer]:
    config = SandboxConfig(active_count=1_000, max_page_size=300)
    async with SandboxServer(config, clock=fake_clock) as server:
        yield server


@pytest.fixture
async def seeded_api(seeded: SandboxServer) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=seeded.base_url, timeout=5.0) as http:
        yield Api(http, await fetch_token(http))


async def test_page_size_above_the_cap_is_sinchs_400(seeded_api: Api) -> None:
    refused = await seeded_api.get("activeNumbers", {"pageSize": 301})
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    assert error["details"][0]["fieldViolations"][0]["field"] == "pageSize"
    page = await seeded_api.get("activeNumbers", {"pageSize": 300})
    assert page.status_code == 200
    body = page.json()
    assert len(body["activeNumbers"]) == 300
    assert body["totalSize"] == 1_000
    releasing = [n for n in body["activeNumbers"] if "expireAt" in n]
    assert releasing
    assert all(n["expireAt"] == n["nextChargeDate"] for n in releasing)


async def test_control_api_reseeds_the_rentals(seeded: SandboxServer, seeded_api: Api) -> None:
    client = seeded_api.client
    assert (await client.post("/_sandbox/active", json={"count": 42})).json() == {"active": 42}
    page = await seeded_api.get("activeNumbers", {"pageSize": 100})
    assert page.json()["totalSize"] == 42
    for bad in ({"count": -1}, {"count": "many"}, [1], {"count": 10_000_000}):
        response = await client.post("/_sandbox/active", json=bad)
        assert response.status_code == 400, bad
        assert "error" in response.json()
    assert (await seeded_api.get("activeNumbers", {"pageSize": 1})).json()["totalSize"] == 42


async def test_bot_summary_and_stream_over_a_capped_sandbox(seeded: SandboxServer) -> None:
    settings = sandbox_settings(Settings(_env_file=None, sinch_sandbox=True), seeded)
    runtime = build_runtime(settings)
    try:
        summary = await runtime.service.active_summary(budget=None)
        assert summary.counted == summary.total_size == 1_000
        assert summary.releasing == 1_000 // RELEASING_EVERY
        assert runtime.client.active_page_size == 250  # 1000 and 500 refused by the cap
        streamed = [n.phone_number async for n in runtime.service.active_stream()]
        assert len(streamed) == len(set(streamed)) == 1_000
    finally:
        await runtime.aclose()


def test_the_sandbox_command_takes_an_active_count() -> None:
    from bot.cli.app import _parser

    args = _parser().parse_args(["sandbox", "--active-count", "10000", "--latency-ms", "100"])
    assert args.active_count == 10_000


def test_an_impossible_active_count_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot.cli.app import main

    assert main(["sandbox", "--port", "0", "--active-count", "10000000"]) == 2
    err = capsys.readouterr().err
    assert "at most" in err
    assert "Traceback" not in err
