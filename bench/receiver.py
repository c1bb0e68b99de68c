"""Slack's side of the benchmark: an aiohttp server taking response_url posts and Web API calls."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class Delivery:
    """One response_url post: when it arrived (``time.perf_counter()``) and its JSON body."""

    arrived: float
    message: dict[str, Any]


class SlackReceiver:
    """Plays response_url and the Slack Web API (``auth.test``) on 127.0.0.1, ephemeral port.

    ``expect(key)`` must be called before the command is sent; the returned future resolves with
    the first post to ``/response/{key}``. Arrival is stamped before the body is parsed, so the
    receiver's own JSON decoding is not charged to the bot.
    """

    def __init__(self) -> None:
        self._waiting: dict[str, asyncio.Future[Delivery]] = {}
        self.unexpected_posts = 0
        self.api_calls: list[str] = []
        app = web.Application()
        app.router.add_post("/response/{key}", self._response)
        app.router.add_post("/api/{method}", self._api)
        # No access log: at hundreds of requests a second it would cost the load generator.
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        self._base_url: str | None = None

    async def start(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self._base_url = f"http://{host}:{port}"

    async def close(self) -> None:
        for future in self._waiting.values():
            future.cancel()
        self._waiting.clear()
        await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("the receiver is not running")
        return self._base_url

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def response_url(self, key: str) -> str:
        return f"{self.base_url}/response/{key}"

    def expect(self, key: str) -> asyncio.Future[Delivery]:
        future: asyncio.Future[Delivery] = asyncio.get_running_loop().create_future()
        self._waiting[key] = future
        return future

    def forget(self, key: str) -> None:
        """Stop waiting for ``key`` (its command failed or timed out)."""
        future = self._waiting.pop(key, None)
        if future is not None:
            future.cancel()

    async def _response(self, request: web.Request) -> web.Response:
        arrived = time.perf_counter()
        future = self._waiting.pop(request.match_info["key"], None)
        raw = await request.read()
        if future is None or future.done():
            self.unexpected_posts += 1
        else:
            try:
                message = json.loads(raw)
            except ValueError:
                message = {"_unparsable": raw[:200].decode("utf-8", "replace")}
            future.set_result(Delivery(arrived, message if isinstance(message, dict) else {}))
        return web.Response(text="ok")

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.api_calls.append(method)
        await request.read()
        if method == "auth.test":
            # What Bolt needs to learn the bot's identity for a single-workspace token.
            return web.json_response(
                {"ok": True, "team_id": "TBENCH", "user_id": "UBOT", "bot_id": "BBOT"}
            )
        return web.json_response({"ok": True})
