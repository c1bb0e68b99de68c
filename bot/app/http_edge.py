"""The web port's edge: a deadline for each request, a cap on open connections, quiet fd exhaustion.

uvicorn's HTTP protocols (h11 here; httptools is the same) time out only an idle kept-alive
connection (``timeout_keep_alive``); a connection that opens and then sends partial headers, or a
byte every few seconds, is held forever, and ``limit_concurrency`` only answers 503 to requests
that arrive complete, so such connections still pile up until the process runs out of file
descriptors. This module adds what is missing to uvicorn's own protocol class:

* a request deadline: a new connection, and a kept-alive one from the first byte of its next
  request, must deliver the whole request (headers and body) within ``REQUEST_TIMEOUT`` seconds
  or it is closed. Waiting between requests stays governed by uvicorn's ``timeout_keep_alive``.
* a connection cap: beyond ``MAX_CONNECTIONS`` open connections a new one is closed as soon as it
  is accepted, so its descriptor is freed at once (a request that does get in is answered).
* running out of descriptors: asyncio logs "socket.accept() out of system resource" each time it
  retries the listening socket; that line is let through once a minute, with a count.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

# Slack sends a few KB at once; 10 s is generous for a slow link and short for a slowloris.
REQUEST_TIMEOUT = 10.0
# Slack's traffic is a few requests a second; this stays well under the usual 1,024 descriptors,
# leaving room for outgoing connections (Sinch, Slack) and the log.
MAX_CONNECTIONS = 500
# asyncio's message when accept() fails for want of descriptors or memory.
ACCEPT_OUT_OF_RESOURCES = "socket.accept() out of system resource"


class OncePer:
    """Lets one event through per ``interval`` seconds and counts the ones it held back."""

    def __init__(self, interval: float, now: Callable[[], float] = time.monotonic) -> None:
        self._interval = interval
        self._now = now
        self._next: float | None = None
        self.held_back = 0

    def ready(self) -> bool:
        """True when this event is to be reported (then ``held_back`` is what came since)."""
        now = self._now()
        if self._next is not None and now < self._next:
            self.held_back += 1
            return False
        self._next = now + self._interval
        return True

    def take_held_back(self) -> int:
        held, self.held_back = self.held_back, 0
        return held


def edge_protocol(
    *,
    request_timeout: float = REQUEST_TIMEOUT,
    max_connections: int = MAX_CONNECTIONS,
    now: Callable[[], float] = time.monotonic,
) -> type[H11Protocol]:
    """uvicorn's h11 protocol with a request deadline and a connection cap (for ``Config.http``)."""
    refusals = OncePer(60.0, now)

    class EdgeProtocol(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None
        _refused = False

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            if len(self.connections) >= max_connections:
                # Closed before uvicorn knows of it: nothing to clean up but the descriptor.
                self._refused = True
                transport.close()
                if refusals.ready():
                    log.warning(
                        "refused a connection: %d open connections is the cap "
                        "(%d more refused since the last line)",
                        max_connections,
                        refusals.take_held_back(),
                    )
                return
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self._deadline is None and self._between_requests():
                self._arm()  # the first byte of the next request on a kept-alive connection
            super().data_received(data)
            if self._deadline is not None and self._request_complete():
                self._disarm()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._refused:
                return
            self._disarm()
            super().connection_lost(exc)

        def _between_requests(self) -> bool:
            return self.cycle is None or self.cycle.response_complete

        def _request_complete(self) -> bool:
            cycle = self.cycle
            return cycle is not None and not cycle.response_complete and not cycle.more_body

        def _arm(self) -> None:
            self._deadline = self.loop.call_later(request_timeout, self._too_slow)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _too_slow(self) -> None:
            self._deadline = None
            if not self.transport.is_closing():
                log.debug(
                    "closed a connection that sent no complete request in %gs", request_timeout
                )
                self.transport.close()

    return EdgeProtocol


def throttle_accept_errors(
    loop: asyncio.AbstractEventLoop, *, now: Callable[[], float] = time.monotonic
) -> None:
    """Running out of descriptors logs one line a minute; other loop errors pass through."""
    limit = OncePer(60.0, now)
    previous = loop.get_exception_handler()

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if context.get("message") != ACCEPT_OUT_OF_RESOURCES:
            if previous is not None:
                previous(loop, context)
            else:
                loop.default_exception_handler(context)
            return
        if limit.ready():
            exc = context.get("exception")
            log.error(
                "cannot accept connections: %s (%d more times since the last line); "
                "serving the ones already open",
                exc if exc is not None else "out of system resources",
                limit.take_held_back(),
            )

    loop.set_exception_handler(handle)
