"""Fault injection: the queue's rules (fake clock) and what a client sees over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bot.sandbox import SANDBOX_KEY_ID, SANDBOX_KEY_SECRET, SandboxConfig, SandboxServer
from bot.sandbox.state import SandboxState
from tests.fakes import FakeClock
from tests.sandbox.conftest import Api, fetch_token

FORM = {"grant_type": "client_credentials"}
KEY = (SANDBOX_KEY_ID, SANDBOX_KEY_SECRET)

# The queue


def test_faults_apply_in_order_and_retire_after_their_count(fake_clock: FakeClock):
    state = SandboxState(clock=fake_clock)
    state.inject("numbers", status=503, times=2)
    state.inject("numbers", status=429)

    taken = [state.take_fault("numbers") for _ in range(4)]

    assert [f.status if f else None for f in taken] == [503, 503, 429, None]
    assert state.pending_faults() == {"token": 0, "numbers": 0}


def test_targets_have_separate_queues(fake_clock: FakeClock):
    state = SandboxState(clock=fake_clock)
    state.inject("token", status=500)

    assert state.take_fault("numbers") is None
    fault = state.take_fault("token")
    assert fault is not None
    assert fault.status == 500


def test_duration_counts_from_the_first_request_it_applies_to(fake_clock: FakeClock):
    state = SandboxState(clock=fake_clock)
    state.inject("token", status=503, times=None, duration=10)
    fake_clock.advance(100)  # waiting in the queue does not use the duration up

    first = state.take_fault("token")
    fake_clock.advance(9.5)
    second = state.take_fault("token")
    fake_clock.advance(0.5)
    third = state.take_fault("token")

    assert first is not None
    assert second is not None
    assert third is None


def test_times_and_duration_retire_on_whichever_runs_out_first(fake_clock: FakeClock):
    state = SandboxState(clock=fake_clock)
    state.inject("numbers", status=503, times=2, duration=60)
    state.inject("numbers", status=500, times=5, duration=1)

    statuses = []
    for _ in range(4):
        fault = state.take_fault("numbers")
        statuses.append(fault.status if fault else None)
        fake_clock.advance(0.6)

    assert statuses == [503, 503, 500, 500]
    fake_clock.advance(1)
    assert state.take_fault("numbers") is None


def test_clear_faults_empties_one_or_every_queue(fake_clock: FakeClock):
    state = SandboxState(clock=fake_clock)
    state.inject("token", status=503, times=None)
    state.inject("numbers", status=503, times=None)

    state.clear_faults("token")
    assert state.pending_faults() == {"token": 0, "numbers": 1}
    state.clear_faults()
    assert state.pending_faults() == {"token": 0, "numbers": 0}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "needs a status"),  # does nothing
        ({"status": 200}, "error status"),
        ({"status": 503, "times": 0}, "times"),
        ({"status": 503, "duration": 0}, "duration"),
        ({"delay": -1}, "delay"),
        ({"status": 503, "reset_connection": True}, "not both"),
        ({"retry_after": "5"}, "retry_after"),
        ({"status": 429, "retry_after": "5\r\nX-Evil: 1"}, "single-line"),
    ],
)
def test_inject_rejects_faults_that_make_no_sense(
    fake_clock: FakeClock, kwargs: dict[str, Any], match: str
):
    state = SandboxState(clock=fake_clock)

    with pytest.raises(ValueError, match=match):
        state.inject("numbers", **kwargs)
    assert state.pending_faults() == {"token": 0, "numbers": 0}


def test_inject_rejects_an_unknown_target(fake_clock: FakeClock):
    with pytest.raises(ValueError, match="target"):
        SandboxState(clock=fake_clock).inject("slack", status=503)  # type: ignore[arg-type]


# Over HTTP


async def test_numbers_503_once_then_ok(api: Api, sandbox: SandboxServer):
    sandbox.state.inject("numbers", status=503)

    first = await api.get("availableRegions")
    second = await api.get("availableRegions")

    assert first.status_code == 503
    assert first.json()["error"] == {
        "code": 503,
        "message": "injected by the sandbox",
        "status": "UNAVAILABLE",
        "details": [],
    }
    assert second.status_code == 200
    assert sandbox.state.numbers_calls["availableRegions"] == 2


async def test_numbers_429_carries_retry_after(api: Api, sandbox: SandboxServer):
    sandbox.state.inject("numbers", status=429, retry_after="7")

    response = await api.get("availableNumbers", {"regionCode": "US", "type": "LOCAL"})

    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json()["error"]["status"] == "RESOURCE_EXHAUSTED"


async def test_injected_numbers_401_is_not_an_expiry(api: Api, sandbox: SandboxServer):
    sandbox.state.inject("numbers", status=401)

    response = await api.get("availableRegions")

    assert response.status_code == 401
    assert "expired" not in response.headers["www-authenticate"]


async def test_token_endpoint_503_once_then_a_token(
    client: httpx.AsyncClient, sandbox: SandboxServer
):
    sandbox.state.inject("token", status=503, retry_after="2")

    failed = await client.post("/oauth2/token", data=FORM, auth=KEY)
    issued = await client.post("/oauth2/token", data=FORM, auth=KEY)

    assert failed.status_code == 503
    assert failed.json()["error"] == "temporarily_unavailable"
    assert failed.headers["retry-after"] == "2"
    assert issued.status_code == 200
    assert sandbox.state.token_fetches == 2
    assert sandbox.state.tokens_issued == 1


@pytest.mark.parametrize(("status", "error"), [(500, "server_error"), (401, "invalid_client")])
async def test_token_endpoint_failures_use_oauth_error_codes(
    client: httpx.AsyncClient, sandbox: SandboxServer, status: int, error: str
):
    sandbox.state.inject("token", status=status)

    response = await client.post("/oauth2/token", data=FORM, auth=KEY)

    assert response.status_code == status
    assert response.json()["error"] == error


async def test_a_delay_longer_than_the_client_timeout_times_out(api: Api, sandbox: SandboxServer):
    sandbox.state.inject("numbers", delay=30)

    with pytest.raises(httpx.ReadTimeout):
        await api.get("availableRegions", timeout=0.2)
    # The next request is not delayed, and shutdown does not wait out the 30 s either.
    assert (await api.get("availableRegions")).status_code == 200


async def test_a_delay_alone_still_answers_normally(api: Api, sandbox: SandboxServer):
    sandbox.state.inject("numbers", delay=0.01)

    response = await api.get("availableRegions")

    assert response.status_code == 200
    assert sandbox.state.pending_faults()["numbers"] == 0


async def test_a_delayed_error(client: httpx.AsyncClient, sandbox: SandboxServer):
    sandbox.state.inject("token", status=504, delay=30)

    with pytest.raises(httpx.ReadTimeout):
        await client.post("/oauth2/token", data=FORM, auth=KEY, timeout=0.2)


async def test_reset_connection_drops_the_request(api: Api, sandbox: SandboxServer):
    sandbox.state.inject("numbers", reset_connection=True)

    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        await api.get("availableRegions")
    assert (await api.get("availableRegions")).status_code == 200


async def test_token_endpoint_can_reset_too(client: httpx.AsyncClient, sandbox: SandboxServer):
    sandbox.state.inject("token", reset_connection=True)

    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        await fetch_token(client)
    assert await fetch_token(client)


async def test_configured_latency_applies_to_numbers_not_tokens(fake_clock: FakeClock):
    config = SandboxConfig(latency=30)
    async with (
        SandboxServer(config, clock=fake_clock) as server,
        httpx.AsyncClient(base_url=server.base_url, timeout=0.2) as client,
    ):
        api = Api(client, await fetch_token(client))

        with pytest.raises(httpx.ReadTimeout):
            await api.get("availableRegions")
