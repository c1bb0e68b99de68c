"""AiohttpTransport against real servers on 127.0.0.1: wire format, errors, pooling, closing."""

from __future__ import annotations

import asyncio
import gc
import gzip
import json
import socket
import warnings
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

import bot.app.runtime
from bot.app.runtime import build_runtime
from bot.app.sandbox_mode import sandbox_settings
from bot.core.domain import NumberType
from bot.ops.config import Settings
from bot.sandbox import SANDBOX_PROJECT_ID, SandboxServer
from bot.sinch.aiohttp_transport import AiohttpTransport

TOKEN = "bearer-token-do-not-leak-123"
PAYLOAD = {"availableNumbers": [{"phoneNumber": "+12065550100"}]}


async def echo(request: web.Request) -> web.Response:
    """What arrived: method, raw target, header lines in order, body, and the connection."""
    peer = request.transport.get_extra_info("peername") if request.transport else None
    return web.json_response(
        {
            "method": request.method,
            "target": request.raw_path,
            "headers": [[k.decode(), v.decode()] for k, v in request.raw_headers],
            "body": (await request.read()).decode(),
            "peer": list(peer) if peer else None,
        }
    )


async def gzipped(request: web.Request) -> web.Response:
    body = gzip.compress(json.dumps(PAYLOAD).encode())
    return web.Response(
        body=body, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
    )


async def limited(request: web.Request) -> web.Response:
    response = web.Response(status=429, text="slow down", headers={"Retry-After": "3"})
    response.headers.add("X-Repeated", "a")
    response.headers.add("X-Repeated", "b")
    return response


class Hold:
    """/hold answers only once released, and says when a request has arrived."""

    def __init__(self) -> None:
        self.arrived = asyncio.Event()
        self.release = asyncio.Event()

    async def handler(self, request: web.Request) -> web.Response:
        self.arrived.set()
        await self.release.wait()
        return web.Response(text="released")


@pytest.fixture
def hold() -> Iterator[Hold]:
    hold = Hold()
    yield hold
    hold.release.set()  # a handler still waiting must not hold up the server's shutdown


@pytest.fixture
async def server(hold: Hold) -> AsyncIterator[TestServer]:
    app = web.Application()
    app.router.add_get("/hold", hold.handler)
    app.router.add_route("*", "/echo", echo)
    app.router.add_get("/gzip", gzipped)
    app.router.add_get("/limited", limited)
    test_server = TestServer(app, host="127.0.0.1")
    async with test_server:
        yield test_server


@pytest.fixture
async def transport() -> AsyncIterator[AiohttpTransport]:
    transport = AiohttpTransport()
    yield transport
    await transport.aclose()


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    async with SandboxServer() as server:
        yield server


def unused_port() -> int:
    """A port nobody listens on (once the probe is closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def client(transport: AiohttpTransport, base_url: str, **kwargs: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=transport, base_url=base_url, **kwargs)


def names(headers: list[list[str]]) -> list[str]:
    return [name.lower() for name, _ in headers]


async def test_get_sends_the_query_and_headers_exactly_as_httpx_built_them(
    server: TestServer, transport: AiohttpTransport
) -> None:
    http = client(
        transport,
        str(server.make_url("/")),
        headers={"Authorization": f"Bearer {TOKEN}", "User-Agent": "numbers-bot"},
    )
    params: list[tuple[str, str | int | float | bool | None]] = [
        ("capabilities", "SMS"),
        ("capabilities", "VOICE"),
        ("pattern", "+1 206&x=y"),
    ]

    response = await http.get("/echo", params=params)

    seen = response.json()
    assert seen["method"] == "GET"
    assert seen["target"] == f"/echo?{response.request.url.query.decode()}"
    assert seen["target"] == "/echo?capabilities=SMS&capabilities=VOICE&pattern=%2B1+206%26x%3Dy"
    sent = [[k.decode(), v.decode()] for k, v in response.request.headers.raw]
    # Every header httpx built, once each and nothing of aiohttp's own.
    assert sorted(names(seen["headers"])) == sorted(names(sent))
    assert len(names(seen["headers"])) == len(set(names(seen["headers"])))
    assert dict(seen["headers"])["Authorization"] == f"Bearer {TOKEN}"
    assert dict(seen["headers"])["User-Agent"] == "numbers-bot"
    assert "content-length" not in names(seen["headers"])
    assert seen["body"] == ""


async def test_post_sends_the_form_body_and_basic_auth_once(
    server: TestServer, transport: AiohttpTransport
) -> None:
    http = client(transport, str(server.make_url("/")))

    response = await http.post(
        "/echo", data={"grant_type": "client_credentials"}, auth=("key-id", "key-secret")
    )

    seen = response.json()
    headers = seen["headers"]
    assert seen["method"] == "POST"
    assert seen["body"] == "grant_type=client_credentials"
    assert names(headers).count("authorization") == 1
    assert dict(headers)["Authorization"] == response.request.headers["Authorization"]
    assert names(headers).count("content-type") == 1
    assert dict(headers)["Content-Type"] == "application/x-www-form-urlencoded"
    assert names(headers).count("content-length") == 1
    assert dict(headers)["Content-Length"] == str(len("grant_type=client_credentials"))


async def test_gzip_response_is_decoded_by_httpx(
    server: TestServer, transport: AiohttpTransport
) -> None:
    http = client(transport, str(server.make_url("/")))

    response = await http.get("/gzip")

    assert response.headers["Content-Encoding"] == "gzip"
    assert response.json() == PAYLOAD


async def test_status_headers_and_version_pass_through(
    server: TestServer, transport: AiohttpTransport
) -> None:
    http = client(transport, str(server.make_url("/")))

    response = await http.get("/limited")

    assert response.status_code == 429
    assert response.text == "slow down"
    assert response.headers["Retry-After"] == "3"
    assert response.headers.get_list("X-Repeated") == ["a", "b"]
    assert response.http_version == "HTTP/1.1"


async def test_sequential_requests_reuse_one_connection(
    server: TestServer, transport: AiohttpTransport
) -> None:
    http = client(transport, str(server.make_url("/")))

    peers = {tuple((await http.get("/echo")).json()["peer"]) for _ in range(3)}
    await http.post("/echo", data={"a": "b"})

    assert len(peers) == 1


async def test_refused_connection_is_a_connect_error(transport: AiohttpTransport) -> None:
    http = client(transport, f"http://127.0.0.1:{unused_port()}")

    with pytest.raises(httpx.ConnectError) as caught:
        await http.get("/v1/x", params={"secret-ish": "query"})

    assert caught.value.request.url.path == "/v1/x"
    # Type and host only, and no chained aiohttp error (its text has the URL and query).
    assert str(caught.value) == "ClientConnectorError (127.0.0.1)"
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None


async def test_slow_answer_is_a_read_timeout(
    sandbox: SandboxServer, transport: AiohttpTransport
) -> None:
    sandbox.state.inject("numbers", delay=30)
    http = client(transport, sandbox.numbers_url, timeout=httpx.Timeout(5.0, read=0.05))

    with pytest.raises(httpx.ReadTimeout) as caught:
        await http.get(f"/v1/projects/{SANDBOX_PROJECT_ID}/availableRegions")

    assert caught.value.request.url.host == "127.0.0.1"
    assert "?" not in str(caught.value)


async def test_waiting_for_a_free_connection_is_a_connect_timeout(
    server: TestServer, hold: Hold
) -> None:
    transport = AiohttpTransport(max_connections=1)
    # aiohttp bounds the wait for a free connection and the connect together: pool + connect.
    timeout = httpx.Timeout(5.0, pool=0.05, connect=0.05)
    http = client(transport, str(server.make_url("/")), timeout=timeout)
    holding = asyncio.create_task(http.get("/hold"))
    try:
        await hold.arrived.wait()  # the only connection is now busy

        with pytest.raises(httpx.ConnectTimeout):
            await http.get("/echo")

        hold.release.set()
        assert (await holding).text == "released"
    finally:
        holding.cancel()
        await transport.aclose()


async def test_connection_reset_is_a_read_error(
    sandbox: SandboxServer, transport: AiohttpTransport
) -> None:
    sandbox.state.inject("numbers", reset_connection=True)
    http = client(transport, sandbox.numbers_url)

    with pytest.raises(httpx.ReadError) as caught:
        await http.get(f"/v1/projects/{SANDBOX_PROJECT_ID}/availableRegions?types=LOCAL")

    assert "types" not in str(caught.value)


async def test_aclose_is_idempotent_and_leaves_nothing_unclosed(server: TestServer) -> None:
    transport = AiohttpTransport()
    http = client(transport, str(server.make_url("/")))
    await http.get("/echo")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        await transport.aclose()
        await transport.aclose()
        await http.aclose()  # the client closes its transport too
        del transport, http
        gc.collect()

    assert caught == []


async def test_a_closed_transport_refuses_requests(server: TestServer) -> None:
    transport = AiohttpTransport()
    await transport.aclose()  # never used: nothing was opened

    with pytest.raises(RuntimeError, match="closed"):
        await client(transport, str(server.make_url("/"))).get("/echo")

    assert transport.closed


@pytest.fixture
def proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


async def test_http_proxy_from_the_environment_is_used(
    server: TestServer, proxy_env: pytest.MonkeyPatch
) -> None:
    proxy_env.setenv("HTTP_PROXY", str(server.make_url("")))
    transport = AiohttpTransport()
    try:
        # numbers.test does not resolve: only the proxy (our server) can answer it.
        response = await client(transport, "http://numbers.test").get("/echo")
    finally:
        await transport.aclose()

    assert dict(response.json()["headers"])["Host"] == "numbers.test"


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "localhost, 127.0.0.1", "*"])
async def test_no_proxy_hosts_are_reached_directly(
    server: TestServer, proxy_env: pytest.MonkeyPatch, no_proxy: str
) -> None:
    proxy_env.setenv("HTTP_PROXY", f"http://127.0.0.1:{unused_port()}")
    proxy_env.setenv("NO_PROXY", no_proxy)
    transport = AiohttpTransport()
    try:
        response = await client(transport, str(server.make_url("/"))).get("/echo")
    finally:
        await transport.aclose()

    assert response.status_code == 200


async def test_an_unreachable_proxy_is_a_proxy_error(
    server: TestServer, proxy_env: pytest.MonkeyPatch
) -> None:
    proxy_env.setenv("HTTP_PROXY", f"http://127.0.0.1:{unused_port()}")
    proxy_env.setenv("NO_PROXY", "example.com")
    transport = AiohttpTransport()
    try:
        with pytest.raises(httpx.ProxyError):
            await client(transport, str(server.make_url("/"))).get("/echo")
    finally:
        await transport.aclose()


class RecordingTransport(AiohttpTransport):
    """AiohttpTransport that remembers its instances, requests and closes."""

    instances: ClassVar[list[RecordingTransport]] = []

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kwargs = kwargs
        self.paths: list[str] = []
        self.closes_while_open = 0
        self.instances.append(self)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return await super().handle_async_request(request)

    async def aclose(self) -> None:
        self.closes_while_open += not self.closed
        await super().aclose()


async def test_runtime_shares_one_transport_and_closes_it_once(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.app.runtime, "AiohttpTransport", RecordingTransport)
    monkeypatch.setattr(RecordingTransport, "instances", [])
    runtime = build_runtime(sandbox_settings(Settings(_env_file=None), sandbox))

    regions = await runtime.client.available_regions([NumberType.LOCAL])
    await runtime.aclose()

    assert regions
    [transport] = RecordingTransport.instances
    assert transport.paths == [
        "/oauth2/token",
        f"/v1/projects/{SANDBOX_PROJECT_ID}/availableRegions",
    ]
    assert transport.closed
    assert transport.closes_while_open == 1


class KeepAliveServer:
    """A minimal HTTP/1.1 keep-alive server that counts connections and sees them close."""

    def __init__(self) -> None:
        self.opened = 0
        self.closed = asyncio.Event()
        self.url = ""
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> KeepAliveServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.opened += 1
        try:
            while await reader.readuntil(b"\r\n\r\n"):  # GETs only: no body to read
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            self.closed.set()  # the client hung up
        finally:
            writer.close()


async def test_an_idle_connection_is_dropped_after_the_keepalive_expiry() -> None:
    transport = AiohttpTransport(keepalive_expiry=0.05)
    try:
        async with KeepAliveServer() as server:
            http = client(transport, server.url)
            assert (await http.get("/")).text == "ok"
            assert (await http.get("/")).text == "ok"  # the same connection, still fresh
            assert server.opened == 1

            # The client, not the server, closes the idle connection once it expires ...
            async with asyncio.timeout(5):
                await server.closed.wait()
            # ... so the next request opens a new one instead of landing on a closing one.
            assert (await http.get("/")).text == "ok"
            assert server.opened == 2
    finally:
        await transport.aclose()


async def test_a_connection_within_the_keepalive_expiry_is_reused() -> None:
    transport = AiohttpTransport(keepalive_expiry=30.0)
    try:
        async with KeepAliveServer() as server:
            http = client(transport, server.url)
            for _ in range(3):
                await http.get("/")

            assert server.opened == 1
            assert not server.closed.is_set()
    finally:
        await transport.aclose()


async def test_runtime_drops_idle_sinch_connections_after_30_s(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.app.runtime, "AiohttpTransport", RecordingTransport)
    monkeypatch.setattr(RecordingTransport, "instances", [])

    runtime = build_runtime(sandbox_settings(Settings(_env_file=None), sandbox))
    await runtime.aclose()

    [transport] = RecordingTransport.instances
    # Before common server-side idle timeouts (60-75 s), so that a request never lands on a
    # connection the server is closing; the tests above show the transport honours it.
    assert transport.kwargs["keepalive_expiry"] == 30.0


async def test_runtime_timeouts_reach_the_transport(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[dict[str, float | None]] = []

    class TimeoutRecorder(RecordingTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            seen.append(request.extensions["timeout"])
            return await super().handle_async_request(request)

    monkeypatch.setattr(bot.app.runtime, "AiohttpTransport", TimeoutRecorder)
    monkeypatch.setattr(RecordingTransport, "instances", [])
    runtime = build_runtime(sandbox_settings(Settings(_env_file=None), sandbox))
    try:
        await runtime.client.available_regions([NumberType.LOCAL])
    finally:
        await runtime.aclose()

    token_call, numbers_call = seen
    assert token_call == {"connect": 5.0, "read": 10.0, "write": 10.0, "pool": 10.0}
    assert numbers_call == {"connect": 3.0, "read": 4.0, "write": 4.0, "pool": 2.0}
