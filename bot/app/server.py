"""Running the ASGI app under uvicorn, optionally beside the built-in Sinch sandbox."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import logging
import socket

import uvicorn
from starlette.types import ASGIApp

from bot.app.asgi import DRAIN_SECONDS, create_app
from bot.app.http_edge import (
    MAX_CONNECTIONS,
    REQUEST_TIMEOUT,
    edge_protocol,
    throttle_accept_errors,
)
from bot.app.sandbox_mode import sandbox_settings
from bot.core.errors import ConfigError
from bot.ops.config import Settings
from bot.sandbox import SandboxServer

_log = logging.getLogger(__name__)


async def serve(settings: Settings, *, host: str = "0.0.0.0") -> None:
    """Serve until SIGTERM/SIGINT; uvicorn then stops accepting and the lifespan drains.

    Raises:
        ConfigError: PORT is taken, found before anything else starts.
    """
    listener = bind_port(host, settings.port)
    # uvicorn says nothing of a socket it is handed: say where the app can be reached.
    _log.info("listening on http://%s:%d", host, settings.port)
    # Move everything imported so far out of the collector's sight: a full collection would
    # otherwise walk it all and stall the loop for tens of milliseconds.
    gc.freeze()
    async with contextlib.AsyncExitStack() as stack:
        stack.callback(listener.close)
        if settings.sinch_sandbox:
            sandbox = await stack.enter_async_context(SandboxServer())
            settings = sandbox_settings(settings, sandbox)
        app = create_app(settings)
        throttle_accept_errors(asyncio.get_running_loop())
        config = uvicorn_config(app.asgi, host=host, port=settings.port)
        await uvicorn.Server(config).serve(sockets=[listener])


def uvicorn_config(
    asgi: ASGIApp,
    *,
    host: str,
    port: int,
    request_timeout: float = REQUEST_TIMEOUT,
    max_connections: int = MAX_CONNECTIONS,
) -> uvicorn.Config:
    """The web server's settings; the edge (request deadline, connection cap) is bot/http_edge."""
    return uvicorn.Config(
        asgi,
        host=host,
        port=port,
        http=edge_protocol(request_timeout=request_timeout, max_connections=max_connections),
        lifespan="on",
        log_config=None,  # keep the process's logging (JSON lines, redaction)
        access_log=False,
        timeout_graceful_shutdown=int(DRAIN_SECONDS),
        # Slack waits 3 s for an ack; keep connections from its proxies warm between requests.
        timeout_keep_alive=30,
    )


def bind_port(host: str, port: int) -> socket.socket:
    """The listening socket, bound before the app starts, so a taken port is one clear line."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"port {port} is already in use (PORT): stop what listens there or set another",
                names=["PORT"],
            ) from None
        raise ConfigError(f"cannot listen on port {port} (PORT): {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock
