"""`python -m bench.naive_server`: the bot's web process, but fetching a token per command.

Everything is the real `python -m bot` (settings, logging, uvicorn, lifespan, Bolt, the
scheduler, whose first token still gates /readyz) except the Numbers client: its auth is
PerRequestTokenAuth instead of the shared TokenProvider. Only the benchmark starts this.
"""

from __future__ import annotations

import dataclasses
import random
import sys

import httpx

import bot.asgi
from bench.naive_auth import PerRequestTokenAuth
from bot.__main__ import main as bot_main
from bot.audit import count_sinch_call
from bot.clock import Clock
from bot.config import Settings
from bot.runtime import (
    KEEPALIVE_EXPIRY,
    MAX_CONNECTIONS,
    NUMBERS_TIMEOUT,
    TOKEN_TIMEOUT,
    Runtime,
    build_runtime,
)
from bot.service import NumbersService
from bot.sinch.aiohttp_transport import AiohttpTransport
from bot.sinch.client import SinchClient


def build_naive_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    sinch_transport: httpx.AsyncBaseTransport | None = None,
    rng: random.Random | None = None,
) -> Runtime:
    """build_runtime(), with the Numbers client rebuilt around PerRequestTokenAuth."""
    runtime = build_runtime(settings, clock=clock, sinch_transport=sinch_transport, rng=rng)
    assert settings.sinch_key_id is not None
    assert settings.sinch_key_secret is not None
    assert settings.sinch_project_id is not None
    # The same HTTP stack, timeouts and headers as bot.runtime: only the token path differs.
    transport = sinch_transport or AiohttpTransport(
        max_connections=MAX_CONNECTIONS, keepalive_expiry=KEEPALIVE_EXPIRY
    )
    token_http = httpx.AsyncClient(timeout=TOKEN_TIMEOUT, transport=transport)
    numbers_http = httpx.AsyncClient(
        base_url=settings.sinch_numbers_url,
        auth=PerRequestTokenAuth(
            http=token_http,
            auth_url=settings.sinch_auth_url,
            key_id=settings.sinch_key_id,
            key_secret=settings.sinch_key_secret,
        ),
        timeout=NUMBERS_TIMEOUT,
        transport=transport,
        headers={"Accept": "application/json", "User-Agent": "numbers-bot"},
    )
    metrics = runtime.metrics

    def on_call(endpoint: str, status: str, seconds: float) -> None:
        metrics.observe_sinch_call(endpoint, status, seconds)
        count_sinch_call(endpoint)

    client = SinchClient(
        http=numbers_http,
        project_id=settings.sinch_project_id,
        clock=runtime.clock,
        rng=rng,
        on_call=on_call,
    )
    service = NumbersService(client=client, cache=runtime.cache)
    return dataclasses.replace(
        runtime,
        client=client,
        service=service,
        # runtime.aclose() closes these; the unused original Numbers client never opened.
        _http=[*runtime._http, numbers_http, token_http],
    )


def main() -> int:
    # create_app() looks build_runtime up in bot.asgi when called: the one seam needed to reuse
    # `python -m bot` (and so bot.server's uvicorn settings) unchanged. mypy objects only because
    # bot.asgi does not re-export the name.
    bot.asgi.build_runtime = build_naive_runtime  # type: ignore[attr-defined]
    return bot_main()


if __name__ == "__main__":
    sys.exit(main())
