"""build_runtime(): wires settings into the Sinch objects. Inert: opens nothing, starts nothing."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from pydantic import SecretStr

from bot.changes.service import NumberChanges, RentConfig, RentPolicy
from bot.core.clock import Clock, MonotonicClock
from bot.ops.audit import count_sinch_call
from bot.ops.config import Settings
from bot.ops.metrics import Metrics
from bot.search.cache import SearchCache
from bot.search.service import ActiveSummaryCache, NumbersService
from bot.sinch.aiohttp_transport import AiohttpTransport
from bot.sinch.auth import SinchAuth, TokenProvider
from bot.sinch.client import SinchClient
from bot.sinch.models import AvailableNumber
from bot.store.engine import Database
from bot.store.ledger import ChangeLedger, Now, utc_now
from bot.store.migrate import Schema
from bot.store.url import database_target

# Per-phase timeouts for Numbers calls; the client's 10 s budget bounds the whole operation.
NUMBERS_TIMEOUT = httpx.Timeout(connect=3.0, read=4.0, write=4.0, pool=2.0)
# The token policy: 10 s overall, 5 s to connect.
TOKEN_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# Keep-alive to Sinch so a command costs one round trip, not a TLS handshake. Idle
# connections are dropped after 30 s, before common server-side idle timeouts (60-75 s), so
# a request rarely lands on a connection the server is closing.
MAX_CONNECTIONS = 100
KEEPALIVE_EXPIRY = 30.0


@dataclass
class Runtime:
    """The process-wide objects: one token provider, the shared HTTP clients, the service."""

    settings: Settings
    clock: Clock
    provider: TokenProvider
    client: SinchClient
    service: NumbersService
    cache: SearchCache[tuple[AvailableNumber, ...]]
    metrics: Metrics
    changes: NumberChanges
    database: Database
    schema: Schema
    ledger: ChangeLedger
    # Set once start-up's migration and sweep have run (or failed for want of the database).
    store_opened: asyncio.Event = field(default_factory=asyncio.Event)
    _http: list[httpx.AsyncClient] = field(default_factory=list, repr=False)

    async def aclose(self) -> None:
        await self.database.aclose()
        await self.provider.aclose()
        # Each client closes its transport; the shared AiohttpTransport closes on the first.
        for client in self._http:
            await client.aclose()


def build_store(
    settings: Settings, *, wall_clock: Now = utc_now
) -> tuple[Database, Schema, ChangeLedger]:
    """DATABASE_URL's store (inert: it connects and migrates on first use)."""
    raw_url = settings.database_url
    database = Database(database_target(None if raw_url is None else raw_url.get_secret_value()))
    schema = Schema(database)
    ledger = ChangeLedger(database, schema, approval_ttl=settings.approval_ttl, now=wall_clock)
    return database, schema, ledger


# How Numbers requests are authenticated, given the token provider and the token endpoint's
# client: SinchAuth by default; the benchmark's naive mode fetches a token per request.
AuthFactory = Callable[[TokenProvider, httpx.AsyncClient], httpx.Auth]


def _held_token_auth(provider: TokenProvider, _: httpx.AsyncClient) -> httpx.Auth:
    return SinchAuth(provider)


def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    sinch_transport: httpx.AsyncBaseTransport | None = None,
    rng: random.Random | None = None,
    numbers_auth: AuthFactory = _held_token_auth,
    wall_clock: Now = utc_now,
) -> Runtime:
    """Build the Sinch side of the bot and the store. ``sinch_transport`` is the test seam
    (respx); ``wall_clock`` dates the ledger's rows (approval expiry).

    By default both Sinch clients send through one AiohttpTransport: one keep-alive pool, and
    per request a fraction of the CPU httpx's own transport (httpcore over anyio) costs.
    """
    settings.require("cli")
    clock = clock or MonotonicClock()
    metrics = Metrics()
    assert settings.sinch_key_id is not None
    assert settings.sinch_project_id is not None
    secret = settings.sinch_key_secret or SecretStr("")
    if sinch_transport is None:
        # Inert until the first request: the aiohttp session is created in the running loop.
        sinch_transport = AiohttpTransport(
            max_connections=MAX_CONNECTIONS, keepalive_expiry=KEEPALIVE_EXPIRY
        )
    token_http = httpx.AsyncClient(timeout=TOKEN_TIMEOUT, transport=sinch_transport)
    provider = TokenProvider(
        http=token_http,
        auth_url=settings.sinch_auth_url,
        key_id=settings.sinch_key_id,
        key_secret=secret,
        clock=clock,
        rng=rng,
        on_fetch=metrics.observe_token_fetch,
    )

    async def count_sent(request: httpx.Request) -> None:
        # httpx runs request hooks once per request it really sends: the resend after a 401
        # counts, a request whose auth flow failed fast on the token (nothing sent) does not.
        count_sinch_call(request.url.path.rsplit("/", 1)[-1])

    numbers_http = httpx.AsyncClient(
        base_url=settings.sinch_numbers_url,
        event_hooks={"request": [count_sent]},
        auth=numbers_auth(provider, token_http),
        timeout=NUMBERS_TIMEOUT,
        transport=sinch_transport,
        headers={"Accept": "application/json", "User-Agent": "numbers-bot"},
    )

    client = SinchClient(
        http=numbers_http,
        project_id=settings.sinch_project_id,
        clock=clock,
        rng=rng,
        on_call=metrics.observe_sinch_call,
    )
    cache: SearchCache[tuple[AvailableNumber, ...]] = SearchCache(
        ttl=settings.search_cache_ttl, clock=clock
    )
    active_cache: ActiveSummaryCache = SearchCache(ttl=settings.active_cache_ttl, clock=clock)
    service = NumbersService(client=client, cache=cache, active_cache=active_cache, clock=clock)
    changes = NumberChanges(
        client=client,
        policy=RentPolicy.from_settings(settings),
        config=RentConfig.from_settings(settings),
    )
    database, schema, ledger = build_store(settings, wall_clock=wall_clock)
    metrics.watch_token(provider.seconds_until_expiry)
    metrics.watch_cache(lambda: cache.hits, lambda: cache.misses)
    return Runtime(
        settings=settings,
        clock=clock,
        provider=provider,
        client=client,
        service=service,
        cache=cache,
        metrics=metrics,
        changes=changes,
        database=database,
        schema=schema,
        ledger=ledger,
        _http=[numbers_http, token_http],
    )
