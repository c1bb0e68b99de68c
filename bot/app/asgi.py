"""create_app(): the Starlette app (Slack endpoint, health, readiness, metrics) and its lifespan."""

from __future__ import annotations

import contextlib
import hmac
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import SecretStr
from slack_bolt.async_app import AsyncApp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.app.runtime import Runtime, build_runtime
from bot.app.sandbox_mode import answers_from_sandbox
from bot.app.store_upkeep import StoreUpkeep
from bot.commands import place_build
from bot.core.clock import Clock, WallClock
from bot.core.domain import SearchQuery
from bot.ops.config import Settings
from bot.ops.ratelimit import UserRateLimiter
from bot.ops.readiness import ReadinessCheck, not_ready_reasons, sinch_token_check
from bot.ops.scheduler import add_watch_job, build_scheduler, stop_scheduler
from bot.search.results import SearchResult
from bot.slack.access import AccessPolicy
from bot.slack.app import Authorize, build_bolt_app, build_web_client
from bot.slack.delivery import ResponseSender
from bot.slack.gate import Gate
from bot.slack.home import HomeStatus
from bot.slack.inbound import SlackEvents
from bot.slack.listeners import CommandDeps, InflightCommands
from bot.slack.number_changes import ChangeDeps, NumberChangeFlow
from bot.slack.socket_mode import SocketModeRunner
from bot.slack.token_check import SlackTokenCheck
from bot.slack.watches import SlackDmNotifier, WatchDeps, WatchFlow, owner_check
from bot.watch.policy import tick_seconds
from bot.watch.store import SqlWatchStore
from bot.watch.tick import WatchRunner

log = logging.getLogger(__name__)

# uvicorn stops accepting on SIGTERM; this is how long answers already promised may still take.
DRAIN_SECONDS = 8.0


@dataclass
class BotApp:
    """The assembled application, so tests and the benchmark can reach its parts."""

    asgi: Starlette
    bolt: AsyncApp
    runtime: Runtime
    sender: ResponseSender
    inflight: InflightCommands
    watches: WatchRunner


def create_app(
    settings: Settings,
    *,
    runtime: Runtime | None = None,
    authorize: Authorize | None = None,
    watch_clock: Clock | None = None,
) -> BotApp:
    """Wire the app. Inert: the scheduler, Socket Mode and HTTP sessions start in the lifespan."""
    settings.require("serve")
    runtime = runtime or build_runtime(settings)
    sender = ResponseSender(clock=runtime.clock, slack_api_url=settings.slack_api_url)
    inflight = InflightCommands()
    gate = Gate(
        access=AccessPolicy.from_strings(
            settings.allowed_team_ids, settings.allowed_channel_ids, settings.allowed_user_ids
        ),
        limiter=UserRateLimiter(
            per_minute=settings.user_rate_limit_per_minute, clock=runtime.clock
        ),
        contact=settings.access_contact,
    )
    number_changes = NumberChangeFlow(
        ChangeDeps(
            changes=runtime.changes,
            sender=sender,
            clock=runtime.clock,
            gate=gate,
            ledger=runtime.ledger,
            sandbox=answers_from_sandbox(settings),
            observe=runtime.metrics.observe_number_change,
        ),
        inflight.spawn,
    )
    deps = CommandDeps(
        service=runtime.service,
        sender=sender,
        clock=runtime.clock,
        gate=gate,
        sandbox=answers_from_sandbox(settings),
        observe=runtime.metrics.observe_command,
        number_changes=number_changes,
    )
    watch_flow, watch_runner = _watches(
        settings, runtime, sender, inflight, gate, number_changes, watch_clock or WallClock()
    )
    deps.watches = watch_flow
    provider = runtime.provider

    def home_status() -> HomeStatus:
        last = provider.last_refresh_at
        return HomeStatus(
            token_ready=provider.is_ready(),
            readiness=provider.readiness_reason(),
            token_expires_in=provider.seconds_until_expiry(),
            last_refresh_ago=None if last is None else runtime.clock.now() - last,
            commands_served=runtime.metrics.commands_answered(),
            sandbox=answers_from_sandbox(settings),
        )

    # SLACK_BOT_TOKEN is checked once at start-up; tests handing in an offline authorize skip it.
    slack_token = None if authorize else SlackTokenCheck.of(settings, sender, inflight)
    bolt = build_bolt_app(
        settings,
        deps,
        inflight,
        home_status=home_status,
        authorize=authorize,
        token_check=slack_token,
        home_viewer=watch_flow.home_blocks,
    )
    socket_mode = settings.slack_app_token is not None
    socket_runner = None
    if settings.slack_app_token is not None:
        socket_runner = SocketModeRunner(
            bolt, settings.slack_app_token.get_secret_value(), clock=runtime.clock
        )
    # /readyz is 200 when none of these names a reason; each is one small function.
    readiness: list[ReadinessCheck] = [
        sinch_token_check(provider),
        runtime.database.readiness_reason,
    ]
    if slack_token is not None:
        readiness.append(slack_token.not_ready_reason)
    if socket_runner is not None:
        readiness.append(socket_runner.not_ready_reason)

    async def healthz(_: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(_: Request) -> Response:
        if not runtime.database.available:
            # Only while it is down: the probe is what notices it is back before a click does.
            await runtime.database.ping()
        reasons = not_ready_reasons(readiness)
        if not reasons:
            return PlainTextResponse("ready")
        return PlainTextResponse(f"not ready: {'; '.join(reasons)}", status_code=503)

    # METRICS_TOKEN= (empty) is unset, not a token that an empty bearer would match.
    metrics_token = settings.metrics_token
    if metrics_token is not None and not metrics_token.get_secret_value():
        metrics_token = None

    async def metrics(request: Request) -> Response:
        if metrics_token is not None and not bearer_matches(request, metrics_token):
            return PlainTextResponse(
                "unauthorized", status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        return Response(runtime.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        # APScheduler must start inside the running loop; its first tick fetches the token.
        scheduler = build_scheduler(provider)
        warmup = place_build.Warmup() if settings.place_index_warmup else None
        # In the background, like the token: a slow database must not keep PORT from binding
        # (a click meanwhile waits for the same migration through Schema.ensure).
        store = StoreUpkeep(
            database=runtime.database,
            schema=runtime.schema,
            ledger=runtime.ledger,
            changes=runtime.changes,
            opened=runtime.store_opened,
        )
        store.start()
        try:
            if warmup is not None:
                warmup.start()  # in the background: searches work meanwhile, just slower
            add_watch_job(scheduler, watch_runner.run_tick, tick_seconds(settings.watch_interval))
            scheduler.start()
            if socket_runner is not None:
                # In the background: a refused app token must not keep PORT from binding.
                socket_runner.start()
            yield
        finally:
            # Also after a failed start-up: whatever started is stopped, every session closed.
            if warmup is not None:
                warmup.close()
            if socket_runner is not None:
                await socket_runner.aclose()
            still_running = await inflight.drain(DRAIN_SECONDS)
            if still_running:
                log.warning("shutting down with %d command(s) unanswered", still_running)
                # Cancelled before the sender closes, so no late reply opens a new session.
                await inflight.cancel_remaining()
            await stop_scheduler(scheduler)
            await store.aclose()
            await sender.aclose()
            await runtime.aclose()

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    # In Socket Mode without a signing secret there is nothing to verify an HTTP request with,
    # so the HTTP endpoint is not served at all.
    if not socket_mode or settings.slack_signing_secret is not None:
        assert settings.slack_signing_secret is not None  # require("serve") made sure
        slack_events = SlackEvents(bolt, settings.slack_signing_secret)
        routes.append(Route("/slack/events", slack_events.handle, methods=["POST"]))
    asgi = Starlette(
        routes=routes, lifespan=slack_token.around(lifespan) if slack_token else lifespan
    )
    return BotApp(
        asgi=asgi,
        bolt=bolt,
        runtime=runtime,
        sender=sender,
        inflight=inflight,
        watches=watch_runner,
    )


def _watches(
    settings: Settings,
    runtime: Runtime,
    sender: ResponseSender,
    inflight: InflightCommands,
    gate: Gate,
    number_changes: NumberChangeFlow,
    clock: Clock,
) -> tuple[WatchFlow, WatchRunner]:
    """The watch commands and the tick, on the shared store, service and cache."""
    store = SqlWatchStore(runtime.database, runtime.schema)
    sandbox = answers_from_sandbox(settings)
    # A Rent click in a DM comes from the DM's channel: with a channel allowlist the gate
    # would refuse it, so DMs then carry no Rent button.
    rent = number_changes.rent_accessory if not gate.access.channel_ids else None
    flow = WatchFlow(
        WatchDeps(
            store=store,
            service=runtime.service,
            sender=sender,
            clock=clock,
            interval=settings.watch_interval,
            days=settings.watch_days,
            max_per_user=settings.watch_max_per_user,
            sandbox=sandbox,
            rent_accessory=number_changes.rent_accessory,
        ),
        inflight.spawn,
    )

    async def search(query: SearchQuery) -> SearchResult:
        # One Sinch call in flight at a time: watches never crowd out people's commands.
        return await runtime.service.search(query, in_flight=1)

    runner = WatchRunner(
        store=store,
        search=search,
        notifier=SlackDmNotifier(build_web_client(settings), rent_accessory=rent, sandbox=sandbox),
        clock=clock,
        interval=settings.watch_interval,
        owner_check=owner_check(gate.access),
    )
    return flow, runner


def bearer_matches(request: Request, token: SecretStr) -> bool:
    """``Authorization: Bearer <token>``, compared in constant time."""
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    expected = token.get_secret_value().encode()
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected)
