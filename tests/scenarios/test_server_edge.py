"""The web port's edge, with real sockets against the real app under uvicorn on 127.0.0.1:0.

Slow and idle connections are closed after the request deadline, connections beyond the cap are
closed on accept, running out of descriptors logs once a minute, and a client that leaves in the
middle of its body costs one DEBUG line, not a traceback.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

import pytest
import uvicorn

from bot.app.http_edge import ACCEPT_OUT_OF_RESOURCES, throttle_accept_errors
from bot.app.server import bind_port, uvicorn_config
from tests.fakes import FakeClock
from tests.scenarios.conftest import MakeBot

# Short for the test; production uses REQUEST_TIMEOUT (10 s) and MAX_CONNECTIONS.
DEADLINE = 0.5
CAP = 20
# How long a test waits for something the server must do at once or after DEADLINE.
PATIENCE = 15.0

Serve = Callable[..., Awaitable[int]]


@pytest.fixture
async def serve(make_bot: MakeBot) -> AsyncIterator[Serve]:
    """Serve the bot's app through the production uvicorn settings; returns the port."""
    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []

    async def start(*, request_timeout: float = DEADLINE, max_connections: int = CAP) -> int:
        bot = await make_bot()
        listener = bind_port("127.0.0.1", 0)
        config = uvicorn_config(
            bot.app.asgi,
            host="127.0.0.1",
            port=0,
            request_timeout=request_timeout,
            max_connections=max_connections,
        )
        config.lifespan = "off"  # make_bot runs the lifespan already
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve(sockets=[listener]))
        servers.append((server, task))
        async with asyncio.timeout(PATIENCE):
            while not server.started:  # uvicorn has no event for this
                await asyncio.sleep(0.01)
        port: int = listener.getsockname()[1]
        return port

    yield start
    for server, task in servers:
        server.should_exit = True
        await task


async def closed_by_server(reader: asyncio.StreamReader) -> bool:
    """Reads until the server closes (True) or PATIENCE runs out (False)."""
    try:
        async with asyncio.timeout(PATIENCE):
            while await reader.read(1024):
                pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
    return True


async def test_partial_headers_are_closed_after_the_request_deadline(serve: Serve) -> None:
    port = await serve()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: text/plain\r\n")
    await writer.drain()
    assert await closed_by_server(reader)
    writer.close()


async def test_a_connection_that_sends_nothing_is_closed_too(serve: Serve) -> None:
    port = await serve()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    assert await closed_by_server(reader)
    writer.close()


async def test_a_trickled_body_does_not_reset_the_deadline(serve: Serve) -> None:
    port = await serve()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Length: 1000\r\n\r\n")
    closed = False
    for _ in range(int(PATIENCE * 10)):  # one byte each tenth of a second
        writer.write(b"a")
        await writer.drain()
        try:
            closed = await asyncio.wait_for(reader.read(1024), 0.1) == b""
        except TimeoutError:
            continue
        except ConnectionResetError:
            closed = True
        break
    assert closed
    writer.close()


async def test_a_complete_request_is_answered_and_the_connection_kept(serve: Serve) -> None:
    port = await serve()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for _ in range(2):
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: bot\r\n\r\n")
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), PATIENCE)
        assert status.startswith(b"HTTP/1.1 200")
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\nok"), PATIENCE)
    writer.close()


async def test_connections_beyond_the_cap_are_closed_on_accept_and_logged_once(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    # A long deadline here: the connections under the cap stay open for the whole test.
    port = await serve(request_timeout=PATIENCE * 4)
    caplog.set_level(logging.WARNING, logger="bot.app.http_edge")
    connections = [await asyncio.open_connection("127.0.0.1", port) for _ in range(CAP + 10)]
    reads = [asyncio.create_task(reader.read(1024)) for reader, _ in connections]
    closed: set[asyncio.Task[bytes]] = set()
    async with asyncio.timeout(PATIENCE):
        while len(closed) < 10:
            done, _ = await asyncio.wait(set(reads) - closed, return_when=asyncio.FIRST_COMPLETED)
            closed |= done
    assert all(task.result() == b"" for task in closed)
    assert sum(not task.done() for task in reads) == CAP
    refusals = [r for r in caplog.get_records("call") if r.name == "bot.app.http_edge"]
    assert [r.levelno for r in refusals] == [logging.WARNING]
    assert f"{CAP} open connections is the cap" in refusals[0].getMessage()
    for task in reads:
        task.cancel()
    for _, writer in connections:
        writer.close()


async def test_running_out_of_descriptors_logs_one_line_a_minute(
    caplog: pytest.LogCaptureFixture,
) -> None:
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    clock = FakeClock()
    other: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _, context: other.append(context))
    throttle_accept_errors(loop, now=clock.now)
    try:
        exhausted = {"message": ACCEPT_OUT_OF_RESOURCES, "exception": OSError(24, "Too many")}
        for _ in range(1000):
            loop.call_exception_handler(exhausted)
        clock.advance(59.9)
        loop.call_exception_handler(exhausted)
        clock.advance(0.1)
        loop.call_exception_handler(exhausted)
        loop.call_exception_handler({"message": "something else"})
    finally:
        loop.set_exception_handler(previous)
    lines = [r.getMessage() for r in caplog.get_records("call") if r.name == "bot.app.http_edge"]
    assert len(lines) == 2
    assert "(0 more times since the last line)" in lines[0]
    assert "(1000 more times since the last line)" in lines[1]
    assert [c["message"] for c in other] == ["something else"]


async def test_a_client_leaving_mid_body_is_one_debug_line(
    make_bot: MakeBot, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await make_bot()
    caplog.set_level(logging.DEBUG)
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": b"abc", "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/slack/events",
        "raw_path": b"/slack/events",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-length", b"100"), (b"host", b"bot")],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 80),
    }
    await bot.app.asgi(scope, receive, send)  # raised ClientDisconnect before
    records = caplog.get_records("call")
    assert [r.levelno for r in records if r.levelno >= logging.WARNING] == []
    assert all(r.exc_info is None for r in records)
    assert [r.getMessage() for r in records if r.name == "bot.slack.inbound"] == [
        "a client closed its connection to /slack/events before sending its body"
    ]
