"""The built-in Sinch sandbox: token endpoint and read-only Numbers API, no credentials needed.

Everything it serves is fictional (see ``bot.sandbox.catalog``). Typical use::

    async with SandboxServer(SandboxConfig(latency=0.1)) as server:
        ...  # SINCH_AUTH_URL=server.auth_url, SINCH_NUMBERS_URL=server.numbers_url

It may import ``bot.core`` only. The CLI and the composition root start it; the Sinch client
reaches it over HTTP, as it reaches the real Sinch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.sandbox.state import (
    SANDBOX_KEY_ID,
    SANDBOX_KEY_SECRET,
    SANDBOX_PROJECT_ID,
    Fault,
    FaultTarget,
    SandboxConfig,
    SandboxState,
)

if TYPE_CHECKING:
    from bot.sandbox.server import SandboxServer, serve_forever


def __getattr__(name: str) -> object:
    # The server pulls in Starlette and uvicorn: a CLI lookup against Sinch never needs them.
    if name in ("SandboxServer", "serve_forever"):
        from bot.sandbox import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "SANDBOX_KEY_ID",
    "SANDBOX_KEY_SECRET",
    "SANDBOX_PROJECT_ID",
    "Fault",
    "FaultTarget",
    "SandboxConfig",
    "SandboxServer",
    "SandboxState",
    "serve_forever",
]
