"""The built-in Sinch sandbox: token endpoint and read-only Numbers API, no credentials needed.

Everything it serves is fictional (see ``bot.sandbox.catalog``). Typical use::

    async with SandboxServer(SandboxConfig(latency=0.1)) as server:
        ...  # SINCH_AUTH_URL=server.auth_url, SINCH_NUMBERS_URL=server.numbers_url
"""

from __future__ import annotations

from bot.sandbox.server import SandboxServer, serve_forever
from bot.sandbox.state import (
    SANDBOX_KEY_ID,
    SANDBOX_KEY_SECRET,
    SANDBOX_PROJECT_ID,
    Fault,
    FaultTarget,
    SandboxConfig,
    SandboxState,
)

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
