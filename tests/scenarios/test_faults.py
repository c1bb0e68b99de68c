"""The fault matrix end to end: signed /numbers commands while Sinch or Slack misbehave.

Each scenario drives the real ASGI app with really signed requests, Sinch played by respx or by
the built-in sandbox over real HTTP, and asserts what the Slack user sees and how many upstream
calls were made. Time is a FakeClock shared by the bot (and the sandbox): backoff sleeps advance
it instead of waiting, and "within 15 s" is read from it. The refresh tick is driven by the
scenarios (``provider.refresh_if_due()``), as the real scheduler ticks on wall-clock time.

The scenarios are plain functions in ``SCENARIOS`` so that test_secrets.py can replay every one
with DEBUG logging captured.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import logging
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import respx
from aiohttp import web
from aiohttp.test_utils import TestServer
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from pydantic import SecretStr

from bot.app import asgi
from bot.app.asgi import create_app
from bot.app.runtime import NUMBERS_TIMEOUT, build_runtime
from bot.app.sandbox_mode import sandbox_settings
from bot.ops.scheduler import JOB_ID, Refresher, build_scheduler
from bot.sandbox import SANDBOX_KEY_ID, SANDBOX_KEY_SECRET, SandboxServer
from bot.slack import delivery, listeners
from tests.blockkit import assert_valid_message
from tests.fakes import FakeClock
from tests.scenarios.conftest import (
    KEY_ID,
    KEY_SECRET,
    US_NUMBERS,
    BotHarness,
    MakeBot,
    make_settings,
    offline_authorize,
)
from tests.slack_stub import SlackStub, command_body, signed_headers

Scenario = Callable[["FaultEnv"], Awaitable[None]]

# The first number of US_NUMBERS as the bot shows it: the user got results.
RESULT = "+1 206-555-0100"
# What the sandbox's US LOCAL numbers look like once rendered.
SANDBOX_RESULT = re.compile(r"\+1 \d{3}-555-01\d\d")
WRONG_KEY_SECRET = "wrong-key-secret-do-not-leak-789"
TOKEN_LIFETIME = 3599


def text_of(message: object) -> str:
    return json.dumps(message, ensure_ascii=False)


def sinch_error(status: int, **headers: str) -> httpx.Response:
    """A Numbers API error in Sinch's envelope."""
    body = {"error": {"code": status, "message": "injected", "status": "UNAVAILABLE"}}
    return httpx.Response(status, json=body, headers=headers)


def numbers_ok() -> httpx.Response:
    return httpx.Response(200, json=US_NUMBERS)


class TokenEndpoint:
    """Sinch's token endpoint for respx: a distinct token per POST, or the failure it is told.

    ``posts`` holds the fake-clock time of every POST, so backoff gaps can be asserted.
    """

    def __init__(self, clock: FakeClock) -> None:
        self._clock = clock
        self.issued: list[str] = []
        self.posts: list[float] = []
        self.lifetime: float = TOKEN_LIFETIME
        # Called per POST while set: returns the failure to answer, or None to issue a token.
        self.failure: Callable[[], httpx.Response | Exception | None] | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.posts.append(self._clock.now())
        failure = self.failure() if self.failure is not None else None
        if isinstance(failure, Exception):
            raise failure
        if failure is not None:
            return failure
        value = f"sinch-access-{len(self.issued) + 1}-{secrets.token_urlsafe(16)}"
        self.issued.append(value)
        body = {"access_token": value, "expires_in": self.lifetime, "token_type": "bearer"}
        return httpx.Response(200, json=body)

    def fail(self, answer: Callable[[], httpx.Response | Exception | None]) -> None:
        self.failure = answer

    def recover(self) -> None:
        self.failure = None


def _tickless_scheduler(provider: Refresher) -> AsyncIOScheduler:
    """The production scheduler minus its tick, which the scenarios run on the fake clock."""
    scheduler = build_scheduler(provider)
    scheduler.remove_job(JOB_ID)
    return scheduler


@dataclass
class FaultEnv:
    """Everything a scenario needs; bots built through it are recorded for the secrets test."""

    make_bot: MakeBot
    sinch: respx.Router
    slack: SlackStub
    clock: FakeClock
    caplog: pytest.LogCaptureFixture
    monkeypatch: pytest.MonkeyPatch
    stack: contextlib.AsyncExitStack
    token: TokenEndpoint
    bots: list[BotHarness] = field(default_factory=list)
    acks: list[str] = field(default_factory=list)
    # (key id, key secret) of every Sinch key configured in this scenario.
    keys: list[tuple[str, str]] = field(default_factory=list)
    after_build: list[Callable[[BotHarness], None]] = field(default_factory=list)

    async def bot(self, *, held_token: bool = True, **overrides: Any) -> BotHarness:
        """A bot whose Sinch is the respx router; per-user rate limiting off (bursts are tested)."""
        overrides.setdefault("user_rate_limit_per_minute", 0)
        harness = await self.make_bot(clock=self.clock, held_token=held_token, **overrides)
        self.keys.append((KEY_ID, KEY_SECRET))
        return self._built(harness)

    async def sandbox(self) -> SandboxServer:
        """The built-in Sinch sandbox on 127.0.0.1, on the shared fake clock."""
        server = await self.stack.enter_async_context(SandboxServer(clock=self.clock))
        issue = server.state.issue_token

        def recording_issue() -> str:
            value = issue()
            self.token.issued.append(value)
            return value

        self.monkeypatch.setattr(server.state, "issue_token", recording_issue)
        return server

    async def sandbox_bot(
        self, server: SandboxServer, *, held_token: bool = True, key_secret: str | None = None
    ) -> BotHarness:
        """A bot talking to ``server`` over real HTTP (httpx, httpcore), as in sandbox mode."""
        settings = sandbox_settings(make_settings(self.slack, user_rate_limit_per_minute=0), server)
        if key_secret is not None:
            settings = settings.model_copy(update={"sinch_key_secret": SecretStr(key_secret)})
        self.keys.append((SANDBOX_KEY_ID, key_secret or SANDBOX_KEY_SECRET))
        runtime = build_runtime(settings, clock=self.clock)
        app = create_app(settings, runtime=runtime, authorize=offline_authorize)
        harness = BotHarness(app, self.slack)
        self.stack.push_async_callback(harness.http.aclose)
        await self.stack.enter_async_context(app.asgi.router.lifespan_context(app.asgi))
        if held_token:
            await runtime.provider.token()
        return self._built(harness)

    def _built(self, harness: BotHarness) -> BotHarness:
        async def record_ack(response: httpx.Response) -> None:
            if response.request.url.path == "/slack/events":
                await response.aread()
                self.acks.append(response.text)

        harness.http.event_hooks["response"].append(record_ack)
        self.bots.append(harness)
        for hook in self.after_build:
            hook(harness)
        return harness

    async def answer(self, bot: BotHarness, text: str, **fields: str) -> dict[str, Any]:
        """Send a command, wait for its reply and for the listener to finish (audit logged)."""
        message = await bot.answer(text, **fields)
        assert await bot.app.inflight.drain(5.0) == 0
        return message

    def audits(self) -> list[dict[str, Any]]:
        """The audit lines logged so far, one per command."""
        return [r.__dict__["audit"] for r in self.caplog.records if r.name == "bot.audit"]

    def records(self, logger: str, level: int) -> list[logging.LogRecord]:
        return [r for r in self.caplog.records if r.name == logger and r.levelno >= level]


@contextlib.asynccontextmanager
async def open_fault_env(
    make_bot: MakeBot,
    sinch_api: respx.Router,
    slack: SlackStub,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[FaultEnv]:
    caplog.set_level(logging.INFO)
    clock = FakeClock()
    token = TokenEndpoint(clock)
    sinch_api["token"].side_effect = token
    monkeypatch.setattr(asgi, "build_scheduler", _tickless_scheduler)
    async with contextlib.AsyncExitStack() as stack:
        yield FaultEnv(
            make_bot=make_bot,
            sinch=sinch_api,
            slack=slack,
            clock=clock,
            caplog=caplog,
            monkeypatch=monkeypatch,
            stack=stack,
            token=token,
        )


@pytest.fixture
async def env(
    make_bot: MakeBot,
    sinch_api: respx.Router,
    slack: SlackStub,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[FaultEnv]:
    async with open_fault_env(make_bot, sinch_api, slack, caplog, monkeypatch) as fault_env:
        yield fault_env


# --- Numbers API faults ---------------------------------------------------------------------


async def numbers_5xx_once(env: FaultEnv, status: int) -> None:
    """Numbers API 500/502/503 once: retried after one backoff, the user gets results."""
    env.sinch["available"].side_effect = [sinch_error(status), numbers_ok()]
    bot = await env.bot()
    message = await env.answer(bot, "US LOCAL")
    assert RESULT in text_of(message)
    assert env.sinch["available"].call_count == 2
    assert len(env.token.posts) == 1
    assert len(env.clock.sleeps) == 1
    audit = env.audits()[-1]
    assert (audit["outcome"], audit["upstream_calls"]) == ("ok", 2)


async def numbers_429_retry_after(env: FaultEnv) -> None:
    """429 with Retry-After: 1 once: the retry waits at least 1 s (on the clock), then results."""
    limited = sinch_error(429, **{"Retry-After": "1"})
    env.sinch["available"].side_effect = [limited, numbers_ok()]
    bot = await env.bot()
    message = await env.answer(bot, "US LOCAL")
    assert RESULT in text_of(message)
    assert env.sinch["available"].call_count == 2
    assert len(env.clock.sleeps) == 1
    assert env.clock.sleeps[0] >= 1.0


async def numbers_transport_error_once(env: FaultEnv, error: Exception) -> None:
    """Connection refused or reset once (respx raises httpx's error): retried, results."""
    env.sinch["available"].side_effect = [error, numbers_ok()]
    bot = await env.bot()
    message = await env.answer(bot, "US LOCAL")
    assert RESULT in text_of(message)
    assert env.sinch["available"].call_count == 2
    assert env.audits()[-1]["upstream_calls"] == 2


async def numbers_reset_by_sandbox(env: FaultEnv) -> None:
    """A real TCP reset from the sandbox mid-request: retried over a new connection, results."""
    server = await env.sandbox()
    bot = await env.sandbox_bot(server)
    server.state.inject("numbers", reset_connection=True)
    message = await env.answer(bot, "US LOCAL")
    assert SANDBOX_RESULT.search(text_of(message))
    assert server.state.numbers_calls["availableNumbers"] == 2
    assert server.state.token_fetches == 1


async def numbers_read_timeout_persistent(env: FaultEnv) -> None:
    """Every attempt times out: "slow to answer, try again" within 15 s of the command.

    Each attempt spends httpx's whole read timeout on the clock, as a real one would, so the
    clock shows when the user got the reply.
    """
    read_timeout = NUMBERS_TIMEOUT.read
    assert read_timeout is not None

    def times_out(request: httpx.Request) -> httpx.Response:
        env.clock.advance(read_timeout)
        raise httpx.ReadTimeout("timed out", request=request)

    env.sinch["available"].side_effect = times_out
    bot = await env.bot()
    asked_at = env.clock.now()
    message = await env.answer(bot, "US LOCAL")
    replied_within = env.clock.now() - asked_at
    shown = text_of(message).lower()
    assert "slow to answer" in shown
    assert "try again" in shown
    assert replied_within <= 15.0
    assert 2 <= env.sinch["available"].call_count <= 3
    audit = env.audits()[-1]
    assert audit["outcome"] == "sinch_timeout"
    assert audit["latency_ms"] <= 15_000


async def numbers_hang_cut_by_answer_budget(env: FaultEnv) -> None:
    """Sinch accepts the request and never answers: the command's own budget still answers.

    Real time: ANSWER_BUDGET is shrunk to its 0.5 s floor so the budget mechanism (not the
    client's retries) is what produces the reply.
    """
    env.monkeypatch.setattr(listeners, "ANSWER_BUDGET", 0.5)

    sent: list[httpx.Request] = []  # respx records a call only once it is answered

    async def never_answers(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    env.sinch["available"].side_effect = never_answers
    bot = await env.bot()
    message = await env.answer(bot, "US LOCAL")
    shown = text_of(message).lower()
    assert "slow to answer" in shown
    assert "try again" in shown
    assert len(sent) == 1
    assert env.audits()[-1]["outcome"] == "sinch_timeout"


async def numbers_unavailable_for_60s(env: FaultEnv) -> None:
    """5xx for 60 s: a clear "Sinch is unavailable" within 15 s; later commands work again."""
    outage_ends = env.clock.now() + 60

    def during_outage(request: httpx.Request) -> httpx.Response:
        return sinch_error(503) if env.clock.now() < outage_ends else numbers_ok()

    env.sinch["available"].side_effect = during_outage
    bot = await env.bot()
    asked_at = env.clock.now()
    message = await env.answer(bot, "US LOCAL")
    shown = text_of(message).lower()
    assert "sinch is unavailable" in shown
    assert "try again" in shown
    assert env.clock.now() - asked_at <= 15.0
    calls_during_outage = env.sinch["available"].call_count
    assert 2 <= calls_during_outage <= 4  # retried, within the client's attempt limit
    assert_valid_message({k: v for k, v in message.items() if k in ("text", "blocks")})

    env.clock.advance(outage_ends - env.clock.now())
    message = await env.answer(bot, "US LOCAL", url_name="after")
    assert RESULT in text_of(message)
    assert env.sinch["available"].call_count == calls_during_outage + 1


# --- access token faults --------------------------------------------------------------------


async def token_revoked(env: FaultEnv) -> None:
    """A 401 on a token we thought valid: one refetch, one resend, results; 50 at once: one refetch.

    The token the refetch brought is itself revoked later (a second key rotation): having been
    accepted in between, it must be refetched once more, not treated as "rejected again".
    """
    revoked: set[str] = set()
    burst = 50
    rejected = 0
    burst_arrived = asyncio.Event()
    valid_token_used = asyncio.Event()

    async def numbers(request: httpx.Request) -> httpx.Response:
        nonlocal rejected
        token = request.headers["Authorization"].removeprefix("Bearer ")
        if token not in revoked:
            valid_token_used.set()
            return numbers_ok()
        rejected += 1
        if rejected > 1:
            # The burst: no 401 goes out before all 50 requests carry the revoked token; then
            # half are answered at once and half only once the refetched token is in use, as
            # 401s that trickle in after someone else refreshed.
            position = rejected - 1
            if position == burst:
                burst_arrived.set()
            async with asyncio.timeout(5):
                await burst_arrived.wait()
                if position > burst // 2:
                    await valid_token_used.wait()
        header = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        return httpx.Response(401, json={"error": {"code": 401}}, headers=header)

    env.sinch["available"].side_effect = numbers
    bot = await env.bot()
    revoked.add(env.token.issued[-1])
    message = await env.answer(bot, "US LOCAL")
    assert RESULT in text_of(message)
    assert len(env.token.posts) == 2  # start-up, then one refetch
    assert env.sinch["available"].call_count == 2  # the 401, then the resend
    assert env.audits()[-1]["upstream_calls"] == 2
    resent = env.sinch["available"].calls.last.request
    assert resent.headers["Authorization"] == f"Bearer {env.token.issued[-1]}"

    revoked.add(env.token.issued[-1])
    valid_token_used.clear()
    await asyncio.gather(
        *(bot.command("US LOCAL", url_name=f"burst-{i}", user_id=f"U{i}") for i in range(burst))
    )
    messages = await env.slack.wait_for(1 + burst)
    assert all(RESULT in text_of(m) for m in messages[1:])
    assert len(env.token.posts) == 3  # fifty 401s, one refetch
    assert env.sinch["available"].call_count == 2 + 2 * burst
    assert len(env.records("bot.sinch.auth", logging.ERROR)) == 0


async def token_endpoint_down_2min_while_token_valid(env: FaultEnv) -> None:
    """Token endpoint 503 for 2 min while the held token is valid: nobody notices.

    Refresh retries with growing gaps (never closer than the 30 s floor) and one WARNING per
    streak; /readyz stays 200 while the token has more than 60 s left, and the next attempt after
    the outage refreshes it.
    """
    bot = await env.bot()
    provider = bot.provider
    first = env.token.issued[-1]
    env.clock.advance(provider.next_post_at - env.clock.now())  # the refresh is due
    outage_ends = env.clock.now() + 120
    env.token.fail(lambda: httpx.Response(503, json={"error": "temporarily_unavailable"}))

    posts_before = len(env.token.posts)
    step = 0
    while env.clock.now() < outage_ends:
        await provider.refresh_if_due()  # more often than the real tick: backoff must gate it
        message = await env.answer(bot, "US LOCAL", url_name=f"during-{step}")
        assert RESULT in text_of(message)
        assert (await bot.http.get("/readyz")).status_code == 200
        env.clock.advance(10)
        step += 1
    attempts = env.token.posts[posts_before:]
    gaps = [later - earlier for earlier, later in itertools.pairwise(attempts)]
    assert 2 <= len(attempts) <= 4
    assert all(gap >= 30 for gap in gaps)
    assert gaps == sorted(gaps)
    used = {call.request.headers["Authorization"] for call in env.sinch["available"].calls}
    assert used == {f"Bearer {first}"}
    assert len(env.records("bot.sinch.auth", logging.WARNING)) == 1

    # Still down much later: ready until only the mandatory 60 s window is left.
    expires_at = env.token.posts[0] + TOKEN_LIFETIME
    env.clock.advance(expires_at - 61 - env.clock.now())
    assert (await bot.http.get("/readyz")).status_code == 200
    env.clock.advance(2)
    assert (await bot.http.get("/readyz")).status_code == 503

    env.token.recover()
    env.clock.advance(max(0.0, provider.next_post_at - env.clock.now()))
    await provider.refresh_if_due()
    assert len(env.token.issued) == 2
    assert (await bot.http.get("/readyz")).status_code == 200
    assert RESULT in text_of(await env.answer(bot, "US LOCAL", url_name="after"))


async def token_endpoint_down_token_expired(env: FaultEnv) -> None:
    """Token endpoint down and the token expired: a clear "can't authenticate" reply, /readyz
    503, no Numbers call and no POST storm; the tick recovers by itself once the endpoint is back.
    """
    bot = await env.bot()
    provider = bot.provider
    env.token.fail(lambda: httpx.ConnectError("[Errno 111] Connection refused"))
    env.clock.advance(TOKEN_LIFETIME + 1)

    not_ready = await bot.http.get("/readyz")
    assert not_ready.status_code == 503
    assert "expired" in not_ready.text
    for attempt in range(2):
        message = await env.answer(bot, "US LOCAL", url_name=f"down-{attempt}")
        shown = text_of(message)
        assert "can't authenticate with Sinch" in shown
        assert "try again" in shown.lower()
        assert "SINCH_KEY" not in shown  # not the key's fault: nobody should go and rotate it
        assert_valid_message({k: v for k, v in message.items() if k in ("text", "blocks")})
    assert not env.sinch["available"].called
    assert [a["upstream_calls"] for a in env.audits()[-2:]] == [0, 0]
    # The first command waited for one fetch; the second failed fast on its failure.
    assert len(env.token.posts) == 2
    # Nor did the client back off and retry: the provider already retries on its own schedule.
    assert env.clock.sleeps == []

    env.token.recover()
    env.clock.advance(max(0.0, provider.next_post_at - env.clock.now()))
    await provider.refresh_if_due()  # the tick, not a user, brings the bot back
    assert len(env.token.issued) == 2
    assert (await bot.http.get("/readyz")).status_code == 200
    assert RESULT in text_of(await env.answer(bot, "US LOCAL", url_name="after"))


async def token_endpoint_down_most_of_a_short_token(env: FaultEnv) -> None:
    """8 s tokens; the token endpoint is down from +2 s to +8 s. Commands at +3, +5 and +7 s
    all answer with numbers: the held token is sent while it lasts (at +7 s its refresh has
    failed and it has 1 s left), because a failed refresh never throws a valid token away.
    """
    env.token.lifetime = 8
    bot = await env.bot()  # the token is fetched at +0 s
    provider = bot.provider
    started = env.token.posts[0]
    for tenth in range(1, 80):  # the tick runs every second, as it does for 8 s tokens
        env.clock.advance(started + tenth / 10 - env.clock.now())
        if tenth == 20:
            env.token.fail(lambda: httpx.ConnectError("[Errno 111] Connection refused"))
        if tenth % 10 == 0:
            await provider.refresh_if_due()
        if tenth in (30, 50, 70):
            message = await env.answer(bot, "US LOCAL", url_name=f"at-{tenth}")
            assert RESULT in text_of(message)
    used = {call.request.headers["Authorization"] for call in env.sinch["available"].calls}
    assert used == {f"Bearer {env.token.issued[0]}"}
    assert len(env.token.posts) >= 4  # the refresh was tried (and failed) meanwhile


async def wrong_key_at_startup(env: FaultEnv) -> None:
    """Wrong key at start-up (the sandbox refuses it): the app starts and logs ONE error naming
    the cause, /readyz is 503, users are told, and refresh retries every few minutes only.
    """
    server = await env.sandbox()
    bot = await env.sandbox_bot(server, held_token=False, key_secret=WRONG_KEY_SECRET)
    provider = bot.provider
    assert (await bot.http.get("/healthz")).status_code == 200
    await provider.refresh_if_due()  # the start-up tick

    not_ready = await bot.http.get("/readyz")
    assert not_ready.status_code == 503
    assert "refused the key" in not_ready.text
    assert "invalid_client" in not_ready.text
    message = await env.answer(bot, "US LOCAL")
    shown = text_of(message)
    assert "can't authenticate with Sinch" in shown
    assert "admins" in shown
    assert server.state.token_fetches == 1  # the command failed fast on the refusal
    assert sum(server.state.numbers_calls.values()) == 0
    assert env.audits()[-1]["upstream_calls"] == 0

    fetched_at = [env.clock.now()]
    for _ in range(20):  # ten minutes of 30 s ticks
        env.clock.advance(30)
        before = server.state.token_fetches
        await provider.refresh_if_due()
        if server.state.token_fetches > before:
            fetched_at.append(env.clock.now())
    gaps = [later - earlier for earlier, later in itertools.pairwise(fetched_at)]
    assert 2 <= len(fetched_at) <= 3
    assert all(gap >= 240 for gap in gaps)  # 300 s ± 20 %
    assert (await bot.http.get("/readyz")).status_code == 503

    errors = [r for r in env.caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    logged = errors[0].getMessage()
    assert "refused the key" in logged
    assert "invalid_client" in logged
    assert "SINCH_KEY_SECRET" in logged
    assert WRONG_KEY_SECRET not in logged


async def token_endpoint_rate_limited(env: FaultEnv) -> None:
    """Token endpoint 429 with Retry-After: 45 (past the 30 s backoff cap that applies without a
    token): neither the tick nor user commands POST again before it has passed (users get a
    clear reply saying when to try again); the first request after it works.
    """
    limited_until = env.clock.now() + 45

    def rate_limit() -> httpx.Response | None:
        if env.clock.now() >= limited_until:
            return None
        headers = {"Retry-After": "45"}
        return httpx.Response(429, json={"error": "temporarily_unavailable"}, headers=headers)

    env.token.fail(rate_limit)
    bot = await env.bot(held_token=False)
    provider = bot.provider
    started = env.clock.now()
    await provider.refresh_if_due()  # the start-up tick meets the 429
    assert len(env.token.posts) == 1

    for offset in (2, 12, 22, 32, 44):
        env.clock.advance(started + offset - env.clock.now())
        await provider.refresh_if_due()
        message = await env.answer(bot, "US LOCAL", url_name=f"limited-{offset}")
        shown = text_of(message)
        assert "can't authenticate with Sinch" in shown
        assert f"try again in {45 - offset} s" in shown.lower()
    assert len(env.token.posts) == 1
    assert not env.sinch["available"].called

    env.clock.advance(started + 46 - env.clock.now())
    assert RESULT in text_of(await env.answer(bot, "US LOCAL", url_name="after"))
    assert len(env.token.posts) == 2


# --- Slack side faults ----------------------------------------------------------------------


async def response_url_5xx_then_ok(env: FaultEnv) -> None:
    """response_url answers 500 twice: delivered on the third POST, after the backoff."""
    bot = await env.bot()
    env.slack.fail_next = 2
    message = await env.answer(bot, "US LOCAL")
    assert RESULT in text_of(message)
    assert env.slack.fail_next == 0  # three POSTs: two refused, one delivered
    assert env.clock.sleeps == list(delivery.BACKOFF)
    assert bot.app.sender.failures == 0


async def response_url_5xx_persistent(env: FaultEnv) -> None:
    """response_url keeps failing: at most MAX_ATTEMPTS (< Slack's 5 uses) POSTs, then one
    ERROR line that does not contain the URL (a bearer capability).
    """
    bot = await env.bot()
    env.slack.fail_next = 10
    response = await bot.command("US LOCAL", url_name="broken")
    assert response.status_code == 200
    assert await bot.app.inflight.drain(5.0) == 0
    assert env.slack.messages == []
    posts = 10 - env.slack.fail_next
    assert posts == delivery.MAX_ATTEMPTS <= 5
    assert bot.app.sender.failures == 1
    errors = env.records("bot.slack.delivery", logging.ERROR)
    assert len(errors) == 1
    assert "HTTP 500" in errors[0].getMessage()
    assert "/response/" not in errors[0].getMessage()


async def response_url_gone(env: FaultEnv, status: int) -> None:
    """response_url answers 404/410 (expired or used up): one POST, no retry, one WARNING line
    without the URL, and no ERROR.
    """
    bot = await env.bot()
    env.slack.fail_next, env.slack.fail_status = 10, status
    response = await bot.command("US LOCAL", url_name="expired")
    assert response.status_code == 200
    assert await bot.app.inflight.drain(5.0) == 0
    assert 10 - env.slack.fail_next == 1  # one POST
    assert env.clock.sleeps == []  # no backoff either
    assert env.records("bot.slack.delivery", logging.ERROR) == []
    (warning,) = env.records("bot.slack.delivery", logging.WARNING)
    assert warning.levelno == logging.WARNING
    assert f"HTTP {status}" in warning.getMessage()
    assert "/response/" not in warning.getMessage()
    assert env.audits()[-1]["outcome"] == "ok"


class StallingResponseUrl:
    """A response_url whose first POST gets no answer (until the test ends); later ones work."""

    def __init__(self) -> None:
        self.posts = 0
        self.messages: list[dict[str, Any]] = []
        self._release = asyncio.Event()
        app = web.Application()
        app.router.add_post("/stall", self._handle)
        self._server = TestServer(app, host="127.0.0.1")

    @property
    def url(self) -> str:
        return str(self._server.make_url("/stall"))

    async def __aenter__(self) -> StallingResponseUrl:
        await self._server.start_server()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._release.set()
        await self._server.close()

    async def _handle(self, request: web.Request) -> web.Response:
        self.posts += 1
        if self.posts == 1:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5):
                    await self._release.wait()
            return web.Response(status=504)
        self.messages.append(await request.json())
        return web.Response(text="ok")


async def response_url_timeout_then_ok(env: FaultEnv) -> None:
    """The first response_url POST times out: retried, delivered once.

    Real time: the per-attempt timeout is shrunk to 0.2 s (it is read when the sender opens its
    session, on the first reply).
    """
    env.monkeypatch.setattr(delivery, "ATTEMPT_TIMEOUT", 0.2)
    stalling = await env.stack.enter_async_context(StallingResponseUrl())
    bot = await env.bot()
    body = command_body("US LOCAL", stalling.url)
    assert (await bot.post_signed(body)).status_code == 200
    assert await bot.app.inflight.drain(5.0) == 0
    assert stalling.posts == 2
    assert len(stalling.messages) == 1
    assert RESULT in text_of(stalling.messages[0])
    assert env.clock.sleeps == [delivery.BACKOFF[0]]
    assert bot.app.sender.failures == 0


async def slack_redelivers_a_command(env: FaultEnv) -> None:
    """Slack delivers one command twice (a retry while the first is still being answered):
    the duplicate is acked empty and does no work; one answer, one Sinch call, one audit line.
    """
    release = asyncio.Event()

    async def slow_numbers(request: httpx.Request) -> httpx.Response:
        async with asyncio.timeout(5):
            await release.wait()
        return numbers_ok()

    env.sinch["available"].side_effect = slow_numbers
    bot = await env.bot()
    body = command_body("US LOCAL", env.slack.response_url("once"))
    first = await bot.post_signed(body)
    retry_headers = {
        **signed_headers(body),
        "X-Slack-Retry-Num": "1",
        "X-Slack-Retry-Reason": "http_timeout",
    }
    again = await bot.http.post("/slack/events", content=body, headers=retry_headers)
    replayed = await bot.post_signed(body)  # the same body once more, without retry headers
    release.set()

    assert first.status_code == again.status_code == replayed.status_code == 200
    # Every delivery is acked empty; only the first one does the lookup and answers.
    assert first.text == again.text == replayed.text == ""
    assert await bot.app.inflight.drain(5.0) == 0
    assert len(env.slack.messages) == 1
    assert RESULT in text_of(env.slack.messages[0])
    assert env.sinch["available"].call_count == 1
    assert len(env.audits()) == 1

    # The same words as a new command (its own response_url) are a new command.
    assert RESULT in text_of(await env.answer(bot, "US LOCAL", url_name="new"))
    assert env.sinch["available"].call_count == 2


SCENARIOS: dict[str, Scenario] = {
    "numbers-500-once": functools.partial(numbers_5xx_once, status=500),
    "numbers-502-once": functools.partial(numbers_5xx_once, status=502),
    "numbers-503-once": functools.partial(numbers_5xx_once, status=503),
    "numbers-429-retry-after-1": numbers_429_retry_after,
    "numbers-connection-refused-once": functools.partial(
        numbers_transport_error_once, error=httpx.ConnectError("[Errno 111] Connection refused")
    ),
    "numbers-connection-reset-once": functools.partial(
        numbers_transport_error_once, error=httpx.ReadError("[Errno 104] Connection reset by peer")
    ),
    "numbers-reset-by-sandbox": numbers_reset_by_sandbox,
    "numbers-read-timeout-persistent": numbers_read_timeout_persistent,
    "numbers-hang-cut-by-answer-budget": numbers_hang_cut_by_answer_budget,
    "numbers-unavailable-for-60s": numbers_unavailable_for_60s,
    "token-revoked": token_revoked,
    "token-endpoint-down-2min-token-valid": token_endpoint_down_2min_while_token_valid,
    "token-endpoint-down-token-expired": token_endpoint_down_token_expired,
    "token-endpoint-down-most-of-a-short-token": token_endpoint_down_most_of_a_short_token,
    "wrong-key-at-startup": wrong_key_at_startup,
    "token-endpoint-rate-limited": token_endpoint_rate_limited,
    "response-url-5xx-then-ok": response_url_5xx_then_ok,
    "response-url-5xx-persistent": response_url_5xx_persistent,
    "response-url-404-not-retried": functools.partial(response_url_gone, status=404),
    "response-url-410-not-retried": functools.partial(response_url_gone, status=410),
    "response-url-timeout-then-ok": response_url_timeout_then_ok,
    "slack-redelivers-a-command": slack_redelivers_a_command,
}


@pytest.mark.parametrize("scenario", list(SCENARIOS.values()), ids=list(SCENARIOS))
async def test_fault_matrix(env: FaultEnv, scenario: Scenario) -> None:
    await scenario(env)
