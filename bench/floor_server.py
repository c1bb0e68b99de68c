"""`python -m bench.floor_server`: the least any bot can do for a search, the bot's yardstick.

No framework: an HMAC check of Slack's signature, an empty ack, one Numbers GET with a token
fetched once at start-up, one response_url POST with a minimal message ("30 available US
LOCAL numbers"). The same Starlette + uvicorn stack and uvicorn settings as `python -m bot`,
``gc.freeze()`` included, and aiohttp for both outbound calls (the bot's Sinch transport and
response_url sender are aiohttp too). It reads the same environment the benchmark gives the bot
(PORT, SLACK_SIGNING_SECRET, SINCH_*). No validation, no retries, no timeouts beyond aiohttp's,
no logging, no metrics: what it does not do is what the bot's features and guards cost. Only
the benchmark starts it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import hmac
import json
import os
import socket
import sys
import time
from collections.abc import AsyncIterator, Coroutine
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.core.domain import SEARCH_FETCH_SIZE

_MAX_SKEW = 300
_JSON = {"Content-Type": "application/json"}


class FloorBot:
    def __init__(self, env: dict[str, str]) -> None:
        self._secret = env["SLACK_SIGNING_SECRET"].encode()
        self._auth_url = env["SINCH_AUTH_URL"]
        self._key = (env["SINCH_KEY_ID"], env["SINCH_KEY_SECRET"])
        self._search_url = (
            f"{env['SINCH_NUMBERS_URL'].rstrip('/')}/v1/projects/{env['SINCH_PROJECT_ID']}"
            "/availableNumbers"
        )
        self._session: aiohttp.ClientSession | None = None
        self._bearer: dict[str, str] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @contextlib.asynccontextmanager
    async def lifespan(self, _: Starlette) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as session:
            self._session = session
            async with session.post(
                self._auth_url,
                data={"grant_type": "client_credentials"},
                auth=aiohttp.BasicAuth(*self._key),
            ) as response:
                response.raise_for_status()
                token = (await response.json())["access_token"]
            self._bearer = {"Authorization": f"Bearer {token}"}
            yield
            if self._tasks:
                await asyncio.wait(self._tasks, timeout=5)

    async def readyz(self, _: Request) -> Response:
        return PlainTextResponse(
            "ready" if self._bearer else "not ready", 200 if self._bearer else 503
        )

    async def events(self, request: Request) -> Response:
        body = await request.body()
        timestamp = request.headers.get("x-slack-request-timestamp", "")
        signature = request.headers.get("x-slack-signature", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > _MAX_SKEW:
            return Response(status_code=401)
        base = b"v0:" + timestamp.encode() + b":" + body
        expected = "v0=" + hmac.new(self._secret, base, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return Response(status_code=401)
        form = dict(parse_qsl(body.decode()))
        self._spawn(self._answer(form.get("text", ""), form["response_url"]))
        return Response(status_code=200)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, text: str, response_url: str) -> None:
        assert self._session is not None
        assert self._bearer is not None
        region, number_type = [*text.split(), "US", "LOCAL"][:2]
        params = {"regionCode": region, "type": number_type, "size": str(SEARCH_FETCH_SIZE)}
        async with self._session.get(
            self._search_url, params=params, headers=self._bearer
        ) as response:
            found = json.loads(await response.read()).get("availableNumbers", [])
        message = {"response_type": "ephemeral", "text": f"{len(found)} available {text}"}
        async with self._session.post(
            response_url, data=json.dumps(message).encode(), headers=_JSON
        ) as response:
            await response.read()


def create_app(env: dict[str, str]) -> Starlette:
    floor = FloorBot(env)
    routes = [
        Route("/readyz", floor.readyz, methods=["GET"]),
        Route("/slack/events", floor.events, methods=["POST"]),
    ]
    return Starlette(routes=routes, lifespan=floor.lifespan)


async def serve(env: dict[str, str]) -> None:
    # The listening socket, gc.freeze() and uvicorn's settings are bot.app.server.serve's.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("0.0.0.0", int(env["PORT"])))
    gc.freeze()
    config = uvicorn.Config(
        create_app(env),
        lifespan="on",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=8,
        timeout_keep_alive=30,
    )
    await uvicorn.Server(config).serve(sockets=[sock])


def main() -> int:
    asyncio.run(serve(dict(os.environ)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
