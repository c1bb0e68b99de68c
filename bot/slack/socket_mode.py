"""Socket Mode in the background: connect, back off while Slack refuses, say why in /readyz.

slack_sdk's own connect loop retries a refused app token every 10 s with an ERROR and a
traceback each time, and blocks the ASGI start-up meanwhile (PORT never binds, SIGTERM is not
heard). Here the WebSocket URL is asked for first, under our own backoff; only once Slack
hands one out does Bolt's handler connect.
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Final

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot.core.clock import Clock
from bot.sinch.retry import backoff_delay

log = logging.getLogger(__name__)

RECONNECT_BASE: Final = 2.0
# Well past Slack's own 10 s: a refused token stays refused until someone changes it.
RECONNECT_CAP: Final = 120.0
# Slack's answers that mean "this token will not work": retrying does not help, fixing it does.
_REFUSED: Final = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked"})


class SocketModeRunner:
    """Owns the Socket Mode connection: started in the lifespan, closed at shutdown."""

    def __init__(
        self, bolt: AsyncApp, app_token: str, *, clock: Clock, rng: random.Random | None = None
    ) -> None:
        self._bolt = bolt
        self._app_token = app_token
        self._clock = clock
        self._rng = rng or random.Random()
        self._handler: AsyncSocketModeHandler | None = None
        self._task: asyncio.Task[None] | None = None
        self._problem: str | None = "Socket Mode not connected yet"

    def not_ready_reason(self) -> str | None:
        """None once connected; otherwise what stops the connection, for /readyz."""
        return self._problem

    def start(self) -> None:
        """Start connecting in the background (needs the running loop)."""
        # Built here, not in __init__: its aiohttp session belongs to the running loop.
        self._handler = AsyncSocketModeHandler(self._bolt, self._app_token)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="socket-mode")

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task])
        if self._handler is not None:
            await self._handler.close_async()  # type: ignore[no-untyped-call]
            self._handler = None

    async def _run(self) -> None:
        assert self._handler is not None
        client = self._handler.client
        streak = 0
        while True:
            try:
                opened = await client.web_client.apps_connections_open(app_token=self._app_token)
                client.wss_uri = str(opened["url"])
                await self._handler.connect_async()  # type: ignore[no-untyped-call]
            except SlackApiError as exc:
                code = str(exc.response.get("error") or "unknown_error")
                refused = code in _REFUSED
                what = f"SLACK_APP_TOKEN refused by Slack ({code})" if refused else code
            except Exception as exc:  # a background task is a catch boundary
                refused = False
                what = f"could not reach Slack ({type(exc).__name__})"
            else:
                if streak:
                    log.info("Socket Mode connected after %d failed attempts", streak)
                self._problem = None
                return
            streak += 1
            delay = backoff_delay(streak, rng=self._rng, base=RECONNECT_BASE, cap=RECONNECT_CAP)
            self._problem = f"Socket Mode not connected: {what}"
            # Once per streak: a refused token otherwise fills the log every few seconds.
            level = logging.DEBUG if streak > 1 else logging.ERROR if refused else logging.WARNING
            log.log(level, "Socket Mode cannot connect: %s; retrying with backoff", what)
            await self._clock.sleep(delay)
