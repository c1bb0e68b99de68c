"""`python -m bench.naive_server`: the bot's web process, but fetching a token per command.

Everything is the real `python -m bot` (settings, logging, uvicorn, lifespan, Bolt, the
scheduler, whose first token still gates /readyz) except how Numbers requests authenticate:
PerRequestTokenAuth instead of the shared TokenProvider. Only the benchmark starts this.
"""

from __future__ import annotations

import random
import sys

import httpx

import bot.app.asgi
from bench.naive_auth import PerRequestTokenAuth
from bot.__main__ import main as bot_main
from bot.app.runtime import Runtime, build_runtime
from bot.core.clock import Clock
from bot.ops.config import Settings
from bot.sinch.auth import TokenProvider


def build_naive_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    sinch_transport: httpx.AsyncBaseTransport | None = None,
    rng: random.Random | None = None,
) -> Runtime:
    """build_runtime(), with Numbers requests authenticated by a token fetched for each one.

    Everything else (HTTP stack, timeouts, retries, metrics) is the bot's own; the scheduler still
    fetches the provider's token, which only gates /readyz here.
    """

    def per_request_token(_: TokenProvider, token_http: httpx.AsyncClient) -> httpx.Auth:
        assert settings.sinch_key_id is not None
        assert settings.sinch_key_secret is not None
        return PerRequestTokenAuth(
            http=token_http,
            auth_url=settings.sinch_auth_url,
            key_id=settings.sinch_key_id,
            key_secret=settings.sinch_key_secret,
        )

    return build_runtime(
        settings,
        clock=clock,
        sinch_transport=sinch_transport,
        rng=rng,
        numbers_auth=per_request_token,
    )


def main() -> int:
    # create_app() looks build_runtime up in bot.app.asgi when called: the one seam needed to reuse
    # `python -m bot` (and so bot.app.server's uvicorn settings) unchanged. mypy objects only
    # because bot.app.asgi does not re-export the name.
    bot.app.asgi.build_runtime = build_naive_runtime  # type: ignore[attr-defined,assignment]
    return bot_main()


if __name__ == "__main__":
    sys.exit(main())
