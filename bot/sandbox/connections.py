"""Open connections of the sandbox's uvicorn, so a fault can reset one (a TCP RST, not a 500)."""

from __future__ import annotations

import asyncio
import socket
import struct

from uvicorn.protocols.http.h11_impl import H11Protocol

Peer = tuple[str, int]


class ConnectionRegistry:
    """Maps each client address (ASGI ``scope["client"]``) to its transport."""

    def __init__(self) -> None:
        self._transports: dict[Peer, asyncio.Transport] = {}

    def protocol_class(self) -> type[asyncio.Protocol]:
        """An h11 protocol for uvicorn that registers its connection here."""
        registry = self

        class _TrackedH11Protocol(H11Protocol):
            def connection_made(  # type: ignore[override]
                self, transport: asyncio.Transport
            ) -> None:
                super().connection_made(transport)
                # uvicorn reads its access-log switch from the process-wide logger; the sandbox
                # keeps quiet without touching the host process's logging.
                self.access_log = False
                if self.client is not None:
                    registry._transports[self.client] = transport

            def connection_lost(self, exc: Exception | None) -> None:
                if self.client is not None:
                    registry._transports.pop(self.client, None)
                super().connection_lost(exc)

        return _TrackedH11Protocol

    def reset(self, client: Peer | None) -> bool:
        """Abort the client's connection with a TCP reset. False if it is not one of ours."""
        transport = self._transports.get(client) if client is not None else None
        if transport is None:
            return False
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # Linger on, timeout 0: closing sends RST instead of FIN, like a crashed peer.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
        return True
