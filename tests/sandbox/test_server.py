"""The sandbox server's life cycle and its /_sandbox/ control endpoints."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

import httpx
import pytest

from bot.sandbox import SandboxConfig, SandboxServer, serve_forever
from tests.sandbox.conftest import Api, fetch_token

# Control endpoints


async def test_stats_counts_tokens_and_calls_per_endpoint(client: httpx.AsyncClient, api: Api):
    await api.get("availableRegions")
    await api.get("availableNumbers", {"regionCode": "US", "type": "LOCAL"})
    await api.get("availableNumbers", {"regionCode": "US", "type": "LOCAL"})
    await client.get("/v1/projects/sandbox-project/activeNumbers")  # no token: 401

    stats = (await client.get("/_sandbox/stats")).json()

    assert stats["token_fetches"] == 1
    assert stats["tokens_issued"] == 1
    assert stats["valid_tokens"] == 1
    assert stats["numbers_calls"] == {
        "availableNumbers": 2,
        "availableRegions": 1,
        "activeNumbers": 1,
    }
    assert stats["numbers_calls_total"] == 4
    assert stats["numbers_unauthorized"] == 1
    assert stats["pending_faults"] == {"token": 0, "numbers": 0}


async def test_post_faults_queues_one_or_a_list(client: httpx.AsyncClient, api: Api):
    one = await client.post("/_sandbox/faults", json={"target": "numbers", "status": 503})
    more = await client.post(
        "/_sandbox/faults",
        json=[
            {"target": "numbers", "status": 429, "retry_after": "3"},
            {"target": "token", "status": 500, "times": None, "duration": 5},
        ],
    )

    assert one.status_code == more.status_code == 201
    assert more.json() == {"pending_faults": {"token": 1, "numbers": 2}}
    assert (await api.get("availableRegions")).status_code == 503
    limited = await api.get("availableRegions")
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "3")
    assert (await api.get("availableRegions")).status_code == 200
    assert (await client.post("/oauth2/token", data={"grant_type": "x"})).status_code == 500


async def test_post_faults_with_delay_and_reset(client: httpx.AsyncClient, api: Api):
    response = await client.post(
        "/_sandbox/faults", json={"target": "numbers", "reset_connection": True, "delay": 0.01}
    )

    assert response.status_code == 201
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        await api.get("availableRegions")


@pytest.mark.parametrize(
    "payload",
    [
        {"status": 503},  # no target
        {"target": "slack", "status": 503},
        {"target": "numbers"},  # no effect
        {"target": "numbers", "status": "503"},
        {"target": "numbers", "status": True},
        {"target": "numbers", "status": 503, "times": 1.5},
        {"target": "numbers", "delay": "1"},
        {"target": "numbers", "reset_connection": "yes"},
        {"target": "numbers", "status": 503, "colour": "red"},
        [{"target": "numbers", "status": 503}, {"target": "numbers", "status": 99}],
        "503",
    ],
)
async def test_post_faults_rejects_bad_payloads_and_queues_nothing(
    client: httpx.AsyncClient, sandbox: SandboxServer, payload: Any
):
    response = await client.post("/_sandbox/faults", json=payload)

    assert response.status_code == 400
    assert response.json()["error"]
    assert sandbox.state.pending_faults() == {"token": 0, "numbers": 0}


async def test_post_faults_rejects_a_body_that_is_not_json(client: httpx.AsyncClient):
    response = await client.post("/_sandbox/faults", content=b"{nope")

    assert response.status_code == 400


async def test_delete_faults_clears_every_queue(client: httpx.AsyncClient, sandbox: SandboxServer):
    sandbox.state.inject("token", status=503, times=None)
    sandbox.state.inject("numbers", status=503, times=None)

    response = await client.delete("/_sandbox/faults")

    assert response.status_code == 204
    assert sandbox.state.pending_faults() == {"token": 0, "numbers": 0}
    assert await fetch_token(client)


async def test_post_revoke_invalidates_every_token(client: httpx.AsyncClient, api: Api):
    second = await fetch_token(client)

    response = await client.post("/_sandbox/revoke")

    assert response.json() == {"revoked": 2}
    assert (await api.get("availableRegions")).status_code == 401
    assert (await Api(client, second).get("availableRegions")).status_code == 401


# Life cycle


async def test_urls_point_at_the_bound_ephemeral_port():
    async with SandboxServer() as server:
        assert server.port > 0
        assert server.base_url == f"http://127.0.0.1:{server.port}"
        assert server.auth_url == f"{server.base_url}/oauth2/token"
        assert server.numbers_url == server.base_url


async def test_two_servers_run_side_by_side_with_their_own_state():
    async with SandboxServer() as one, SandboxServer() as two:
        assert one.port != two.port
        async with httpx.AsyncClient() as client:
            await client.get(f"{one.base_url}/_sandbox/stats")
            response = await client.post(
                f"{two.auth_url}",
                data={"grant_type": "client_credentials"},
                auth=("sandbox-key-id", "sandbox-key-secret"),
            )
        assert response.status_code == 200
        assert (one.state.token_fetches, two.state.token_fetches) == (0, 1)


async def test_exit_closes_the_port_and_leaves_no_tasks():
    before = asyncio.all_tasks()
    async with SandboxServer() as server:
        url = server.base_url
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"{url}/_sandbox/stats")).status_code == 200

    assert asyncio.all_tasks() == before
    with pytest.raises(RuntimeError):
        _ = server.base_url
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"{url}/_sandbox/stats")


async def test_exit_does_not_wait_for_an_injected_delay():
    server = SandboxServer()
    await server.__aenter__()
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        server.state.inject("token", delay=600)
        pending = asyncio.create_task(client.post("/oauth2/token"))
        async with asyncio.timeout(10):  # a request that never arrives fails, not hangs
            while server.state.token_fetches == 0:  # until the request is in its delay
                await asyncio.sleep(0.01)

        # Leaving must cut the 600 s short; the bound only turns a hang into a failure.
        async with asyncio.timeout(10):
            await server.__aexit__(None, None, None)
            response = await pending

    assert response.status_code == 401  # woken, then answered (this request had no key)


async def test_a_fixed_port_can_be_reused_right_after_exit():
    async with SandboxServer() as server:
        port = server.port
        async with httpx.AsyncClient() as client:
            await client.get(f"{server.base_url}/_sandbox/stats")
    async with SandboxServer(port=port) as again:
        assert again.port == port


async def test_starting_twice_is_refused():
    server = SandboxServer()
    async with server:
        with pytest.raises(RuntimeError):
            await server.__aenter__()


async def test_the_sandbox_stays_quiet_and_leaves_logging_alone(caplog: pytest.LogCaptureFixture):
    access = logging.getLogger("uvicorn.access")
    error = logging.getLogger("uvicorn.error")
    before = (access.level, access.propagate, list(access.handlers), error.level, error.filters)
    caplog.set_level(logging.DEBUG)

    async with SandboxServer() as server, httpx.AsyncClient(base_url=server.base_url) as client:
        await client.get("/_sandbox/stats")

    assert [r for r in caplog.records if r.name.startswith("uvicorn")] == []
    after = (access.level, access.propagate, list(access.handlers), error.level, error.filters)
    assert after == before


async def test_signal_handlers_stay_with_the_host_process():
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)

    async with SandboxServer():
        during = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)

    assert during == before


async def test_serve_forever_serves_until_cancelled_then_returns():
    ready: asyncio.Queue[SandboxServer] = asyncio.Queue()
    task = asyncio.create_task(
        serve_forever("127.0.0.1", 0, SandboxConfig(token_lifetime=5), on_ready=ready.put_nowait)
    )
    server = await ready.get()
    url = server.base_url
    async with httpx.AsyncClient(base_url=url) as client:
        token = await fetch_token(client)
    assert token

    task.cancel()
    await task  # returns instead of raising CancelledError
    assert not task.cancelled()
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"{url}/_sandbox/stats")


async def test_a_port_in_use_fails_at_enter_and_leaks_nothing():
    async with SandboxServer() as first:
        with pytest.raises(OSError, match="in use"):
            await SandboxServer(port=first.port).__aenter__()
