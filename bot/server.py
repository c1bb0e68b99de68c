"""Running the ASGI app under uvicorn, optionally beside the built-in Sinch sandbox."""

from __future__ import annotations

import contextlib
import gc

import uvicorn

from bot.asgi import DRAIN_SECONDS, create_app
from bot.config import Settings
from bot.sandbox import SandboxServer
from bot.sandbox_mode import sandbox_settings


async def serve(settings: Settings, *, host: str = "0.0.0.0") -> None:
    """Serve until SIGTERM/SIGINT; uvicorn then stops accepting and the lifespan drains."""
    # Move everything imported so far out of the collector's sight: a full collection would
    # otherwise walk it all and stall the loop for tens of milliseconds.
    gc.freeze()
    async with contextlib.AsyncExitStack() as stack:
        if settings.sinch_sandbox:
            sandbox = await stack.enter_async_context(SandboxServer())
            settings = sandbox_settings(settings, sandbox)
        app = create_app(settings)
        config = uvicorn.Config(
            app.asgi,
            host=host,
            port=settings.port,
            lifespan="on",
            log_config=None,  # keep the process's logging (JSON lines, redaction)
            access_log=False,
            timeout_graceful_shutdown=int(DRAIN_SECONDS),
            # Slack waits 3 s for an ack; keep connections from its proxies warm.
            timeout_keep_alive=30,
        )
        await uvicorn.Server(config).serve()
