"""Serving the sandbox over real HTTP with uvicorn, inside the caller's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable, Iterator
from types import TracebackType

import uvicorn

from bot.core.clock import Clock
from bot.sandbox.app import create_app
from bot.sandbox.catalog import Offer
from bot.sandbox.connections import ConnectionRegistry
from bot.sandbox.state import SandboxConfig, SandboxState

_UVICORN_LOGGER = logging.getLogger("uvicorn.error")
# Injected delays end as soon as the server closes; any other handler still running at
# shutdown gets this long before uvicorn cancels it.
_GRACEFUL_SHUTDOWN_SECONDS = 5


class _EmbeddedServer(uvicorn.Server):
    """uvicorn.Server that leaves signals to the host process and says when it listens."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = asyncio.Event()
        self._exit = asyncio.Event()

    def request_exit(self) -> None:
        self.should_exit = True
        self._exit.set()

    async def main_loop(self) -> None:
        # uvicorn's loop checks should_exit every 0.1 s; waking on an event stops at once.
        # on_tick still runs every 0.1 s, as it refreshes the Date header.
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864_000
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.1):
                    await self._exit.wait()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # uvicorn would take over SIGINT/SIGTERM; in the bot's process they belong to the bot.
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()


class _QuietLifecycle(logging.Filter):
    """Drops uvicorn's INFO chatter ("Started server process", ...) from the sandbox's task only.

    Setting uvicorn's log level (or ``access_log=False``) would change process-wide loggers
    that the bot's own uvicorn shares, so the sandbox filters its own records instead.
    """

    def __init__(self, task: asyncio.Task[None]) -> None:
        super().__init__()
        self._task = task

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        try:
            return asyncio.current_task() is not self._task
        except RuntimeError:  # logged from a thread without a running loop
            return True


class SandboxServer:
    """The sandbox on ``http://host:port`` (port 0: an ephemeral one) while the context is open.

    ``async with SandboxServer() as server:`` then point the bot at ``server.auth_url`` and
    ``server.numbers_url`` with the key in ``bot.sandbox``, and drive ``server.state``.
    """

    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Clock | None = None,
    ) -> None:
        self.state = SandboxState(config, clock=clock)
        self._host = host
        self._port = port
        self._base_url: str | None = None
        self._sock: socket.socket | None = None
        self._server: _EmbeddedServer | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing: asyncio.Event | None = None
        self._log_filter: _QuietLifecycle | None = None

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("the sandbox server is not running")
        return self._base_url

    @property
    def auth_url(self) -> str:
        return f"{self.base_url}/oauth2/token"

    @property
    def numbers_url(self) -> str:
        return self.base_url

    @property
    def port(self) -> int:
        if self._sock is None:
            raise RuntimeError("the sandbox server is not running")
        return int(self._sock.getsockname()[1])

    async def __aenter__(self) -> SandboxServer:
        if self._task is not None:
            raise RuntimeError("the sandbox server is already running")
        sock = await _bind(self._host, self._port)
        self._sock = sock
        self._closing = asyncio.Event()
        connections = ConnectionRegistry()
        app = create_app(self.state, closing=self._closing, connections=connections)
        config = uvicorn.Config(
            app,
            http=connections.protocol_class(),
            ws="none",
            interface="asgi3",
            lifespan="off",
            log_config=None,
            log_level=None,
            # Forwarded headers would rewrite scope["client"], which resets are keyed on.
            proxy_headers=False,
            server_header=False,
            # Idle keep-alive like a production front end (nginx's default is 75 s), longer than
            # the bot's own 30 s pool expiry, so the bot closes idle connections first.
            timeout_keep_alive=75,
            timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN_SECONDS,
        )
        self._server = _EmbeddedServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name="sinch-sandbox")
        self._log_filter = _QuietLifecycle(self._task)
        _UVICORN_LOGGER.addFilter(self._log_filter)
        ready = asyncio.create_task(self._server.ready.wait())
        try:
            await asyncio.wait({ready, self._task}, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:  # cancelled while starting: leave nothing running
            await self._stop()
            raise
        finally:
            ready.cancel()
        if not self._server.ready.is_set():
            await self._stop()  # re-raises uvicorn's start-up error, if it had one
            raise RuntimeError("the sandbox server failed to start")
        self._base_url = f"http://{_url_host(sock)}:{self.port}"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._stop()

    async def _stop(self) -> None:
        if self._closing is not None:
            self._closing.set()  # end injected delays now rather than after them
        try:
            if self._server is not None and self._task is not None:
                self._server.request_exit()
                # uvicorn's own errors surface here (the task was created by us alone).
                await self._task
        finally:
            if self._log_filter is not None:
                _UVICORN_LOGGER.removeFilter(self._log_filter)
            if self._sock is not None:
                self._sock.close()  # uvicorn closes it too; closing twice is harmless
            self._server = None
            self._task = None
            self._closing = None
            self._log_filter = None
            self._sock = None
            self._base_url = None


async def serve_forever(
    host: str,
    port: int,
    config: SandboxConfig | None = None,
    *,
    on_ready: Callable[[SandboxServer], object] | None = None,
    new_number_every: float | None = None,
    on_new_number: Callable[[Offer | None], object] | None = None,
) -> None:
    """Serve the sandbox until cancelled, then stop cleanly and return. Prints nothing.

    ``new_number_every`` seconds, one more number goes up for rent (``SandboxState.add_offer``),
    so a watch has something to find; ``on_new_number`` hears of each (None: range used up).
    """
    async with SandboxServer(config, host=host, port=port) as server:
        if on_ready is not None:
            on_ready(server)
        # Cancellation (Ctrl-C under asyncio.run) is the normal way to stop a standalone sandbox.
        with contextlib.suppress(asyncio.CancelledError):
            while new_number_every is not None:
                await asyncio.sleep(new_number_every)
                offer = server.state.add_offer()
                if on_new_number is not None:
                    on_new_number(offer)
            await asyncio.Event().wait()


async def _bind(host: str, port: int) -> socket.socket:
    """A listening socket bound before uvicorn starts, so the port is known at once."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, _, proto, _, address = infos[0]
    # asyncio sets TCP_NODELAY only when sock.proto is IPPROTO_TCP: with proto=0 every answer
    # would wait ~40 ms for the client's delayed ACK (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, proto)
    try:
        # A restarted standalone sandbox can rebind its port while old connections linger.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def _url_host(sock: socket.socket) -> str:
    bound = str(sock.getsockname()[0])
    if bound in ("0.0.0.0", "::"):  # a wildcard is not an address clients can use
        bound = "127.0.0.1" if bound == "0.0.0.0" else "::1"
    return f"[{bound}]" if ":" in bound else bound
