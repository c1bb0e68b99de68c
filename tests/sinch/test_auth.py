"""TokenProvider and SinchAuth: wire format, refresh, backoff, single-flight, 401 handling."""

from __future__ import annotations

import asyncio
import base64
import itertools
import logging
import random
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr

from bot.core.errors import (
    SinchAuthError,
    SinchConnectionError,
    SinchError,
    SinchTimeoutError,
    TokenUnavailableError,
)
from bot.ops.scheduler import jitter_for
from bot.sinch import auth
from bot.sinch.auth import SinchAuth, Token, TokenProvider
from bot.sinch.schedule import mandatory_window_for, refresh_delay, tick_interval_for
from tests.fakes import FakeClock

AUTH_URL = "https://auth.example.test/oauth2/token"
API_URL = "https://numbers.example.test/v1/projects/p1/activeNumbers"
KEY_ID = "key-id-4711"
SECRET = "key-secret-Zq8vX2"
BASIC = base64.b64encode(f"{KEY_ID}:{SECRET}".encode()).decode()
# Something only the token endpoint's body contains: it must never reach a log or an error.
BODY_SENTINEL = "body-sentinel-9f3c"

Reply = httpx.Response | Exception | type[Exception]


class Issuer:
    """Plays the token endpoint: issues unique tokens, or plays queued replies first."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.lifetime: object = 3600
        self.rtt = 0.0
        self.issued: list[str] = []
        self.queue: list[Reply] = []
        self.fail_with: Reply | None = None  # replayed forever once set
        self.hold: asyncio.Event | None = None  # when set, each POST waits for it
        self.entered = asyncio.Event()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.entered.set()
        if self.hold is not None:
            await self.hold.wait()
        self.clock.advance(self.rtt)
        reply = self.queue.pop(0) if self.queue else self.fail_with
        if reply is None:
            return self.new_token()
        if isinstance(reply, httpx.Response):
            return reply
        raise reply

    def new_token(self, expires_in: object = None) -> httpx.Response:
        value = f"at-{len(self.issued) + 1}-eyJhbGciOiJSUzI1NiJ9"
        self.issued.append(value)
        lifetime = self.lifetime if expires_in is None else expires_in
        body = {"access_token": value, "expires_in": lifetime, "scope": "", "token_type": "bearer"}
        return httpx.Response(200, json=body)

    def secrets(self) -> list[str]:
        return [SECRET, BASIC, BODY_SENTINEL, *self.issued]


def oauth_error(status: int, code: str, **headers: str) -> httpx.Response:
    body = {"error": code, "error_description": f"denied {BODY_SENTINEL}"}
    return httpx.Response(status, json=body, headers=headers)


class EdgeRandom(random.Random):
    """Every uniform(a, b) draw lands at the same relative position: 0.0 = low end, 1.0 = high."""

    def __init__(self, edge: float) -> None:
        super().__init__(0)
        self.edge = edge

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.edge


@pytest.fixture
def issuer(fake_clock: FakeClock) -> Issuer:
    return Issuer(fake_clock)


@pytest.fixture
def router(issuer: Issuer) -> Iterator[respx.MockRouter]:
    with respx.MockRouter(assert_all_called=False) as mock:
        mock.post(AUTH_URL, name="token").mock(side_effect=issuer)
        mock.get(API_URL, name="api")
        yield mock


@pytest.fixture
def token_route(router: respx.MockRouter) -> respx.Route:
    return router["token"]


@pytest.fixture
def api_route(router: respx.MockRouter) -> respx.Route:
    return router["api"]


@pytest.fixture
async def token_http(router: respx.MockRouter) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(router.async_handler)) as client:
        yield client


@pytest.fixture
def outcomes() -> list[str]:
    return []


@pytest.fixture
async def make_provider(
    token_http: httpx.AsyncClient, fake_clock: FakeClock, outcomes: list[str]
) -> AsyncIterator[Callable[..., TokenProvider]]:
    made: list[TokenProvider] = []

    def make(rng: random.Random | None = None) -> TokenProvider:
        provider = TokenProvider(
            http=token_http,
            auth_url=AUTH_URL,
            key_id=KEY_ID,
            key_secret=SecretStr(SECRET),
            clock=fake_clock,
            rng=rng or random.Random(1234),
            on_fetch=outcomes.append,
        )
        made.append(provider)
        return provider

    yield make
    for provider in made:
        await provider.aclose()


@pytest.fixture
def provider(make_provider: Callable[..., TokenProvider]) -> TokenProvider:
    return make_provider()


@pytest.fixture
async def api(
    router: respx.MockRouter, provider: TokenProvider
) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.MockTransport(router.async_handler)
    async with httpx.AsyncClient(auth=SinchAuth(provider), transport=transport) as client:
        yield client


def assert_no_secrets_logged(caplog: pytest.LogCaptureFixture, secrets: list[str]) -> None:
    """Fails if a secret is in what was logged while the test set up and ran.

    At teardown ``caplog.records`` holds only teardown's records, so the phases are named.
    """
    for record in [*caplog.get_records("setup"), *caplog.get_records("call")]:
        shown = f"{record.getMessage()} {record.args!r} {record.exc_text or ''}"
        if record.exc_info and record.exc_info[1] is not None:
            shown += repr(record.exc_info[1])
        leaked = [n for n, secret in enumerate(secrets) if secret in shown]
        # The message names the secret's position, never the secret.
        assert not leaked, f"secret #{leaked} logged by {record.name}"


@pytest.fixture(autouse=True)
def _no_secrets_in_logs(caplog: pytest.LogCaptureFixture, issuer: Issuer) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    yield
    assert_no_secrets_logged(caplog, issuer.secrets())


def assert_clean(error: BaseException, issuer: Issuer) -> None:
    shown = f"{error!s} {error!r}"
    for secret in issuer.secrets():
        assert secret not in shown


def warnings_from_provider(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name == auth.__name__ and r.levelno == level
    ]


async def settle() -> None:
    """Let background tasks (a nudged fetch) run, as the event loop would between requests."""
    for _ in range(10):
        await asyncio.sleep(0)


def bearer(request: httpx.Request) -> str:
    return request.headers["Authorization"].removeprefix("Bearer ")


# -- fetching --------------------------------------------------------------------------------


async def test_first_token_uses_the_client_credentials_wire_format(
    provider: TokenProvider, token_route: respx.Route, issuer: Issuer, fake_clock: FakeClock
) -> None:
    issuer.rtt = 0.5
    started = fake_clock.now()

    token = await provider.token()

    request = token_route.calls.last.request
    assert request.method == "POST"
    assert str(request.url) == AUTH_URL
    assert request.headers["Authorization"] == f"Basic {BASIC}"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.content == b"grant_type=client_credentials"
    assert token.value == issuer.issued[0]
    # t0 is read before the POST, so the round trip counts as used.
    assert token.t0 == started
    assert token.lifetime == 3600
    assert token.expires_at == started + 3600
    assert token.generation == 1
    assert token.value not in repr(token)
    assert token.value not in str(token)
    assert token_route.call_count == 1
    assert provider.last_refresh_at == started + 0.5


async def test_concurrent_callers_reuse_one_fetch(
    provider: TokenProvider, token_route: respx.Route, fake_clock: FakeClock
) -> None:
    tokens = await asyncio.gather(*(provider.token() for _ in range(100)))

    assert token_route.call_count == 1
    assert {t.generation for t in tokens} == {1}
    fake_clock.advance(2_000)
    assert (await provider.token()).generation == 1
    assert token_route.call_count == 1


@pytest.mark.parametrize(
    ("expires_in", "lifetime"),
    [
        (3599, 3599),
        ("3600", 3600),
        (" 120 ", 120),
        (None, 900),
        ("soon", 900),
        (-5, 900),
        (True, 900),
        ({"s": 1}, 900),
    ],
)
async def test_expires_in_is_parsed_leniently(
    provider: TokenProvider, issuer: Issuer, expires_in: object, lifetime: float
) -> None:
    body: dict[str, Any] = {"access_token": "at-odd-1", "token_type": "Bearer"}
    if expires_in is not None:
        body["expires_in"] = expires_in
    issuer.issued.append("at-odd-1")
    issuer.queue.append(httpx.Response(200, json=body))

    token = await provider.token()

    assert token.lifetime == lifetime


async def test_non_bearer_token_type_is_refused(
    provider: TokenProvider, issuer: Issuer, outcomes: list[str]
) -> None:
    issuer.issued.append("at-mac-1")
    body = {"access_token": "at-mac-1", "expires_in": 3600, "token_type": "mac"}
    issuer.queue.append(httpx.Response(200, json=body))

    with pytest.raises(SinchAuthError, match="non-bearer") as info:
        await provider.token()

    assert_clean(info.value, issuer)
    assert outcomes == ["auth_error"]


@pytest.mark.parametrize(
    ("reply", "error_type"),
    [
        (httpx.ConnectError("connection refused"), SinchConnectionError),
        (httpx.ReadTimeout("read timed out"), SinchTimeoutError),
        (httpx.Response(200, text=f"<html>{BODY_SENTINEL}</html>"), SinchConnectionError),
        (httpx.Response(200, json={"token_type": "bearer", "note": BODY_SENTINEL}), SinchError),
        (oauth_error(503, "temporarily_unavailable"), SinchConnectionError),
        (httpx.Response(504), SinchTimeoutError),
    ],
)
async def test_transport_and_server_failures_map_to_sanitized_errors(
    provider: TokenProvider,
    issuer: Issuer,
    outcomes: list[str],
    reply: Reply,
    error_type: type[SinchError],
) -> None:
    issuer.queue.append(reply)

    with pytest.raises(error_type) as info:
        await provider.token()

    assert isinstance(info.value, SinchConnectionError)
    assert_clean(info.value, issuer)
    assert AUTH_URL not in str(info.value)
    assert outcomes == ["transient_error"]
    assert provider.last_error == str(info.value)


# -- proactive refresh -----------------------------------------------------------------------


def test_refresh_delay_for_one_hour_tokens_is_45_to_48_minutes() -> None:
    for edge in (0.0, 1.0):
        delay = refresh_delay(3600, EdgeRandom(edge))
        assert delay == (2880 if edge == 0.0 else 2700)
    rng = random.Random(99)
    delays = [refresh_delay(3600, rng) for _ in range(2_000)]
    assert all(2700 <= d <= 2880 for d in delays)
    # The clamp keeps short tokens from refreshing on every call.
    assert refresh_delay(300, EdgeRandom(1.0)) == 150
    assert refresh_delay(8, EdgeRandom(1.0)) == 4


def test_intervals_and_windows_scale_with_lifetime() -> None:
    assert tick_interval_for(3600) == 30
    assert tick_interval_for(120) == 12
    assert tick_interval_for(8) == 1
    assert mandatory_window_for(3600) == 60
    assert mandatory_window_for(8) == 2


@pytest.mark.parametrize("rng", [EdgeRandom(0.0), EdgeRandom(1.0), random.Random(5)])
async def test_tick_refreshes_between_45_and_48_minutes_never_before(
    make_provider: Callable[..., TokenProvider],
    token_route: respx.Route,
    fake_clock: FakeClock,
    rng: random.Random,
) -> None:
    provider = make_provider(rng)
    await provider.refresh_if_due()
    first = await provider.token()
    assert 2700 <= first.refresh_at - first.t0 <= 2880

    while token_route.call_count == 1:
        fake_clock.advance(provider.tick_interval)
        await provider.refresh_if_due()

    elapsed = fake_clock.now() - first.t0
    assert elapsed >= first.refresh_at - first.t0 >= 2700
    assert elapsed < 2880 + provider.tick_interval
    assert (await provider.token()).generation == 2


@pytest.mark.parametrize("lifetime", [8, 300, 3600])
async def test_steady_state_requests_never_wait_and_never_see_expired_tokens(
    provider: TokenProvider,
    issuer: Issuer,
    token_route: respx.Route,
    fake_clock: FakeClock,
    lifetime: int,
) -> None:
    issuer.lifetime = lifetime
    issuer.rtt = lifetime / 200
    tick_rng = random.Random(3)
    assert provider.tick_interval == 30  # before the first token

    await provider.refresh_if_due()  # the start-up tick
    assert provider.tick_interval == tick_interval_for(lifetime)
    end = fake_clock.now() + 5 * lifetime
    while fake_clock.now() < end:
        # Ticks arrive on time, late by at most the scheduler's jitter.
        interval = provider.tick_interval
        period = interval + tick_rng.uniform(0, jitter_for(interval))
        for _ in range(4):
            fake_clock.advance(period / 4)
            posts = token_route.call_count
            token = await provider.token()
            # Served straight from the cache: no POST happened while the request waited.
            assert token_route.call_count == posts
            assert token.remaining(fake_clock.now()) > mandatory_window_for(lifetime)
            await settle()
        await provider.refresh_if_due()

    # At least one fetch per lifetime, and no spinning: at most one per half lifetime.
    assert 5 <= token_route.call_count <= 5 * 2 + 2
    assert provider.is_ready()


async def test_request_in_urgent_window_starts_background_fetch_without_waiting(
    provider: TokenProvider, token_route: respx.Route, issuer: Issuer, fake_clock: FakeClock
) -> None:
    first = await provider.token()
    fake_clock.advance(3600 - 200)  # ticks did not run: R = 200 s, past refresh_at
    issuer.hold = asyncio.Event()
    issuer.entered.clear()

    assert await provider.token() is first  # served at once
    await asyncio.wait_for(issuer.entered.wait(), 5)  # the nudged fetch is in flight
    issuer.entered.clear()
    assert await provider.token() is first  # no second nudge while it runs
    await settle()
    assert not issuer.entered.is_set()
    issuer.hold.set()
    await settle()

    assert (await provider.token()).generation == 2
    assert token_route.call_count == 2


# -- failures and backoff --------------------------------------------------------------------


async def test_failed_refresh_keeps_old_token_and_backs_off(
    provider: TokenProvider,
    issuer: Issuer,
    token_route: respx.Route,
    fake_clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    issuer.lifetime = 7200  # long enough that R stays above 300 s through six failures
    first = await provider.token()
    fake_clock.advance(first.refresh_at - fake_clock.now())
    issuer.fail_with = httpx.Response(503)

    delays = []
    for _ in range(6):
        posts = token_route.call_count
        await provider.refresh_if_due()
        assert token_route.call_count == posts + 1
        delays.append(provider.next_post_at - fake_clock.now())
        # Not due yet: the tick stays idle and requests keep getting the old token.
        fake_clock.advance(delays[-1] - 0.1)
        await provider.refresh_if_due()
        assert token_route.call_count == posts + 1
        assert await provider.token() is first
        fake_clock.advance(0.1)

    # Equal jitter U(d/2, d) with d = min(300, 30·2^(n−1)) and a 30-s floor.
    assert delays[0] == 30
    for n, delay in enumerate(delays[1:], start=2):
        step = min(300, 30 * 2 ** (n - 1))
        assert step / 2 <= delay <= step
    assert len(warnings_from_provider(caplog, logging.WARNING)) == 1

    # Once R <= 300 s the cap drops to 30 s.
    fake_clock.advance(first.remaining(fake_clock.now()) - 250)
    await provider.refresh_if_due()
    assert provider.next_post_at - fake_clock.now() == 30
    assert await provider.token() is first

    # Success ends the streak; the next streak warns again.
    issuer.fail_with = None
    fake_clock.advance(30)
    await provider.refresh_if_due()
    second = await provider.token()
    assert second.generation == 2
    fake_clock.advance(second.refresh_at - fake_clock.now())
    issuer.fail_with = httpx.ConnectError("down")
    await provider.refresh_if_due()
    assert len(warnings_from_provider(caplog, logging.WARNING)) == 2
    assert provider.next_post_at - fake_clock.now() == 30  # the backoff counter was reset


async def test_short_lifetime_backoff_uses_the_tick(
    provider: TokenProvider, issuer: Issuer, token_route: respx.Route, fake_clock: FakeClock
) -> None:
    issuer.lifetime = 8
    first = await provider.token()
    fake_clock.advance(first.refresh_at - fake_clock.now())
    issuer.fail_with = httpx.Response(500)

    for _ in range(2):
        await provider.refresh_if_due()
        assert provider.next_post_at - fake_clock.now() == 1
        assert await provider.token() is first
        fake_clock.advance(1)
    assert token_route.call_count == 3
    # R = W = 2 s: the request needs a fresh token and may POST; that fails, and the held token,
    # valid for more than the margin, is sent anyway: it is never thrown away.
    assert await provider.token() is first
    assert token_route.call_count == 4
    # Before the next permitted attempt a request makes no POST and still gets the held token.
    assert await provider.token() is first
    assert token_route.call_count == 4
    # With less than the margin (0.5 s for 8 s tokens) left, the request fails with the error.
    fake_clock.advance(first.remaining(fake_clock.now()) - 0.4)
    with pytest.raises(SinchConnectionError, match="HTTP 500"):
        await provider.token()
    assert token_route.call_count == 5


async def test_token_endpoint_429_backs_off_honouring_retry_after(
    provider: TokenProvider,
    issuer: Issuer,
    token_route: respx.Route,
    fake_clock: FakeClock,
    outcomes: list[str],
) -> None:
    first = await provider.token()
    fake_clock.advance(first.refresh_at - fake_clock.now())
    issuer.queue += [
        httpx.Response(429, headers={"Retry-After": "120"}),
        httpx.Response(429, headers={"Retry-After": "1"}),
        httpx.Response(429),
    ]

    await provider.refresh_if_due()
    assert provider.next_post_at - fake_clock.now() == 120
    # No storm: requests keep the old token and cause no POSTs.
    for _ in range(20):
        assert await provider.token() is first
    assert token_route.call_count == 2

    fake_clock.advance(120)
    await provider.refresh_if_due()
    assert provider.next_post_at - fake_clock.now() == 30  # clamped up to the floor
    fake_clock.advance(30)
    await provider.refresh_if_due()
    assert 60 <= provider.next_post_at - fake_clock.now() <= 120  # third attempt: U(60, 120)
    assert outcomes == ["success", *["transient_error"] * 3]


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        (oauth_error(401, "invalid_client"), "invalid_client"),
        (oauth_error(400, "unauthorized_client"), "unauthorized_client"),
        (oauth_error(400, "invalid_scope"), "invalid_scope"),
        (httpx.Response(403, text=BODY_SENTINEL), "HTTP 403"),
    ],
)
async def test_non_recoverable_failure_logs_one_error_and_retries_every_300_s(
    provider: TokenProvider,
    issuer: Issuer,
    token_route: respx.Route,
    fake_clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    outcomes: list[str],
    reply: httpx.Response,
    code: str,
) -> None:
    issuer.lifetime = 7200
    first = await provider.token()
    fake_clock.advance(first.refresh_at - fake_clock.now())
    issuer.fail_with = reply

    attempts = []
    for _ in range(40):  # 20 minutes of ticks; R stays above W (L = 7200 s)
        posts = token_route.call_count
        await provider.refresh_if_due()
        if token_route.call_count > posts:
            attempts.append(fake_clock.now())
        # The old token is still served while R > W.
        assert await provider.token() is first
        fake_clock.advance(30)

    gaps = [b - a for a, b in itertools.pairwise(attempts)]
    assert len(attempts) >= 4
    assert all(240 <= gap <= 390 for gap in gaps)  # 300 s ± 20 %, seen through 30-s ticks
    errors = warnings_from_provider(caplog, logging.ERROR)
    assert len(errors) == 1
    assert code.removeprefix("HTTP ") in errors[0]
    assert not warnings_from_provider(caplog, logging.WARNING)
    assert set(outcomes[1:]) == {"auth_error"}
    assert provider.is_ready()


async def test_refused_key_without_token_fails_all_waiters_and_reports_readiness(
    provider: TokenProvider,
    issuer: Issuer,
    token_route: respx.Route,
    fake_clock: FakeClock,
) -> None:
    issuer.fail_with = oauth_error(401, "invalid_client")

    results = await asyncio.gather(*(provider.token() for _ in range(20)), return_exceptions=True)

    assert token_route.call_count == 1
    assert all(isinstance(r, SinchAuthError) for r in results)
    assert "invalid_client" in str(results[0])
    assert_clean(results[0], issuer)  # type: ignore[arg-type]
    fake_clock.advance(59)
    with pytest.raises(SinchAuthError):
        await provider.token()
    assert token_route.call_count == 1
    assert not provider.is_ready()
    assert provider.readiness_reason() == "token endpoint refused the key (invalid_client)"


async def test_without_token_50_callers_share_one_failed_fetch_and_fail_fast(
    provider: TokenProvider, issuer: Issuer, token_route: respx.Route, fake_clock: FakeClock
) -> None:
    issuer.fail_with = httpx.ConnectError("connection refused")

    results = await asyncio.gather(*(provider.token() for _ in range(50)), return_exceptions=True)

    assert token_route.call_count == 1
    assert all(isinstance(r, SinchConnectionError) for r in results)
    # Every waiter is told when the next attempt is allowed: the backoff without a token.
    assert {r.retry_after for r in results if isinstance(r, TokenUnavailableError)} == {30}
    # Until the next permitted POST (the backoff: 30 s without a token): the same error at once,
    # without a POST, saying when to try again.
    wait = provider.next_post_at - fake_clock.now()
    assert wait == 30
    fake_clock.advance(wait - 0.5)
    with pytest.raises(TokenUnavailableError) as info:
        await provider.token()
    assert str(info.value) == str(results[0])
    assert info.value.retry_after == pytest.approx(0.5)
    assert token_route.call_count == 1
    # Then a caller tries again, and a success clears the failure.
    fake_clock.advance(0.5)
    issuer.fail_with = None
    assert (await provider.token()).generation == 1
    assert token_route.call_count == 2
    assert provider.last_error is None


async def test_mandatory_window_waits_for_one_shared_fetch(
    provider: TokenProvider, token_route: respx.Route, fake_clock: FakeClock
) -> None:
    first = await provider.token()
    fake_clock.advance(first.remaining(fake_clock.now()) - 60)  # R = W = 60 s

    tokens = await asyncio.gather(*(provider.token() for _ in range(20)))

    assert token_route.call_count == 2
    assert {t.generation for t in tokens} == {2}


async def test_cancelled_waiter_does_not_cancel_the_shared_fetch(
    provider: TokenProvider, issuer: Issuer, token_route: respx.Route
) -> None:
    issuer.hold = asyncio.Event()
    cancelled = asyncio.create_task(provider.token())
    patient = asyncio.create_task(provider.token())
    await issuer.entered.wait()

    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    issuer.hold.set()

    assert (await patient).generation == 1
    assert token_route.call_count == 1
    assert provider.is_ready()


async def test_waiter_gives_up_with_a_timeout_error_while_the_fetch_goes_on(
    provider: TokenProvider,
    issuer: Issuer,
    token_route: respx.Route,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(auth, "WAIT_TIMEOUT", 0.01)
    issuer.hold = asyncio.Event()

    with pytest.raises(SinchTimeoutError, match="no Sinch access token"):
        await provider.token()

    issuer.hold.set()
    await settle()
    assert (await provider.token()).generation == 1
    assert token_route.call_count == 1


async def test_hung_token_endpoint_is_cut_off_by_the_overall_fetch_timeout(
    provider: TokenProvider,
    issuer: Issuer,
    outcomes: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(auth, "FETCH_TIMEOUT", 0.01)
    issuer.hold = asyncio.Event()  # never set: the endpoint never answers

    with pytest.raises(SinchTimeoutError, match="did not answer within"):
        await provider.token()

    assert outcomes == ["transient_error"]


async def test_aclose_cancels_the_inflight_fetch(
    provider: TokenProvider, issuer: Issuer, token_route: respx.Route, fake_clock: FakeClock
) -> None:
    issuer.hold = asyncio.Event()
    waiter = asyncio.create_task(provider.token())
    await issuer.entered.wait()

    await provider.aclose()

    with pytest.raises(SinchConnectionError, match="cancelled"):
        await waiter
    with pytest.raises(SinchConnectionError, match="closed"):
        await provider.token()
    issuer.entered.clear()
    issuer.hold.set()
    fake_clock.advance(10_000)  # whatever is due: a late tick after shutdown POSTs nothing
    await provider.refresh_if_due()
    await settle()
    assert not issuer.entered.is_set()
    assert token_route.call_count == 0  # the one POST was cut off and never answered
    assert provider.last_refresh_at is None


async def test_same_expiry_answer_does_not_spin(
    provider: TokenProvider,
    issuer: Issuer,
    token_route: respx.Route,
    fake_clock: FakeClock,
) -> None:
    first = await provider.token()
    fake_clock.advance(first.refresh_at - fake_clock.now())

    def cached(request: httpx.Request) -> httpx.Response:
        # A caching issuer: the same token, with what is left of its lifetime.
        remaining = round(first.expires_at - fake_clock.now())
        body = {"access_token": first.value, "expires_in": remaining, "token_type": "bearer"}
        return httpx.Response(200, json=body)

    token_route.mock(side_effect=cached)
    await provider.refresh_if_due()
    # Accepted, but the next attempt waits like a backoff instead of following at once.
    assert token_route.call_count == 2
    assert provider.next_post_at - fake_clock.now() == 30
    await provider.refresh_if_due()
    assert token_route.call_count == 2

    attempts = [fake_clock.now()]
    while fake_clock.now() < first.expires_at - 60:  # ticks until the mandatory window
        fake_clock.advance(provider.tick_interval)
        posts = token_route.call_count
        await provider.refresh_if_due()
        if token_route.call_count > posts:
            attempts.append(fake_clock.now())
        assert (await provider.token()).expires_at == pytest.approx(first.expires_at, abs=1)

    assert provider.tick_interval == 30
    assert min(b - a for a, b in itertools.pairwise(attempts)) >= 30


# -- readiness -------------------------------------------------------------------------------


async def test_readiness_before_during_and_after_the_token(
    provider: TokenProvider, issuer: Issuer, fake_clock: FakeClock
) -> None:
    assert not provider.is_ready()
    assert provider.readiness_reason() == "no Sinch token yet"
    assert provider.seconds_until_expiry() is None
    assert provider.last_refresh_at is None
    assert provider.tick_interval == 30

    await provider.refresh_if_due()
    assert provider.is_ready()
    assert provider.seconds_until_expiry() == 3600
    assert provider.last_refresh_at == fake_clock.now()

    fake_clock.advance(3600 - 30)  # inside the mandatory window, no refresh ran
    assert not provider.is_ready()
    assert provider.readiness_reason().startswith("Sinch token expires in 30 s")

    issuer.fail_with = httpx.Response(502)
    fake_clock.advance(60)  # expired, and the refresh fails
    await provider.refresh_if_due()
    assert not provider.is_ready()
    assert provider.readiness_reason() == (
        "Sinch token expired: Sinch token endpoint answered HTTP 502"
    )
    assert provider.seconds_until_expiry() == -30


async def test_readiness_names_the_error_before_the_first_token(
    provider: TokenProvider, issuer: Issuer
) -> None:
    issuer.fail_with = httpx.ConnectError("refused")

    await provider.refresh_if_due()

    assert not provider.is_ready()
    assert provider.readiness_reason() == (
        "no Sinch token yet: could not reach the Sinch token endpoint (ConnectError)"
    )


# -- SinchAuth -------------------------------------------------------------------------------


async def test_bearer_is_stamped_on_api_requests(
    api: httpx.AsyncClient, api_route: respx.Route, issuer: Issuer
) -> None:
    api_route.return_value = httpx.Response(200, json={})

    response = await api.get(API_URL)

    assert response.status_code == 200
    assert bearer(api_route.calls.last.request) == issuer.issued[0]


async def test_expired_401_refetches_once_and_resends_with_the_new_token(
    api: httpx.AsyncClient, api_route: respx.Route, token_route: respx.Route, issuer: Issuer
) -> None:
    expired = {"WWW-Authenticate": 'Bearer error="invalid_token", error_description="expired"'}
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(bearer(request))
        return httpx.Response(401, headers=expired) if len(sent) == 1 else httpx.Response(200)

    api_route.side_effect = answer

    response = await api.get(API_URL)

    assert response.status_code == 200
    assert token_route.call_count == 2
    assert sent == issuer.issued


async def test_revoked_401_without_expired_also_recovers(
    api: httpx.AsyncClient,
    api_route: respx.Route,
    token_route: respx.Route,
    issuer: Issuer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    api_route.side_effect = [httpx.Response(401), httpx.Response(200, json={"ok": 1})]

    response = await api.get(API_URL)

    assert response.json() == {"ok": 1}
    assert token_route.call_count == 2
    assert bearer(api_route.calls.last.request) == issuer.issued[1]
    assert any("rejected" in m for m in warnings_from_provider(caplog, logging.WARNING))


async def test_second_401_raises_without_a_third_fetch_then_cools_down(
    api: httpx.AsyncClient,
    api_route: respx.Route,
    token_route: respx.Route,
    issuer: Issuer,
    fake_clock: FakeClock,
) -> None:
    api_route.return_value = httpx.Response(401)

    with pytest.raises(SinchAuthError) as info:
        await api.get(API_URL)
    assert token_route.call_count == 2
    assert api_route.call_count == 2
    assert_clean(info.value, issuer)

    # Cooldown: further 401s within the (tick-scaled) 30 s trigger no fetch and no resend.
    fake_clock.advance(29)
    with pytest.raises(SinchAuthError, match="cooling down"):
        await api.get(API_URL)
    assert token_route.call_count == 2
    assert api_route.call_count == 3

    # After it, a 401 may trigger one fetch again.
    fake_clock.advance(2)
    with pytest.raises(SinchAuthError):
        await api.get(API_URL)
    assert token_route.call_count == 3


async def test_concurrent_401s_on_one_generation_cause_one_refetch(
    api: httpx.AsyncClient,
    provider: TokenProvider,
    api_route: respx.Route,
    token_route: respx.Route,
    issuer: Issuer,
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401 if bearer(request) == issuer.issued[0] else 200, json={})

    api_route.side_effect = answer
    assert (await provider.token()).generation == 1  # all 50 requests carry this token

    responses = await asyncio.gather(*(api.get(API_URL) for _ in range(50)))

    assert all(r.status_code == 200 for r in responses)
    assert token_route.call_count == 2


async def test_401_after_someone_else_refreshed_causes_no_fetch(
    provider: TokenProvider, token_route: respx.Route, fake_clock: FakeClock
) -> None:
    first = await provider.token()
    fake_clock.advance(first.remaining(fake_clock.now()) - 10)
    second = await provider.token()  # mandatory window: refreshed

    provider.invalidate(first.generation)

    assert await provider.token() is second
    assert token_route.call_count == 2


def test_sync_clients_are_refused(provider: TokenProvider) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    with (
        httpx.Client(auth=SinchAuth(provider), transport=transport) as client,
        pytest.raises(RuntimeError, match="AsyncClient"),
    ):
        client.get(API_URL)


async def test_token_type_is_compared_case_insensitively(
    provider: TokenProvider, issuer: Issuer
) -> None:
    issuer.issued.append("at-upper-1")
    body = {"access_token": "at-upper-1", "expires_in": 3600, "token_type": "BEARER"}
    issuer.queue.append(httpx.Response(200, json=body))

    assert isinstance(await provider.token(), Token)


async def test_403_from_the_numbers_api_is_not_treated_like_a_401(
    api: httpx.AsyncClient, api_route: respx.Route, token_route: respx.Route, issuer: Issuer
) -> None:
    # RFC 6750: 403 is insufficient scope; a new token would not change the answer.
    api_route.return_value = httpx.Response(403, json={"error": {"message": "forbidden"}})

    response = await api.get(API_URL)

    assert response.status_code == 403
    assert token_route.call_count == 1  # no refetch
    assert api_route.call_count == 1  # no resend
    assert (await api.get(API_URL)).status_code == 403
    assert token_route.call_count == 1  # the token was not dropped either
    assert bearer(api_route.calls.last.request) == issuer.issued[0]


# -- the log check itself ----------------------------------------------------------------------


def test_the_log_check_fails_on_a_secret_logged_during_the_call(
    pytester: pytest.Pytester,
) -> None:
    # The autouse fixture's check, run where it runs (teardown) on a test that leaks on purpose.
    pytester.makepyfile(
        """
        import logging
        import pytest
        from tests.sinch.test_auth import assert_no_secrets_logged

        @pytest.fixture(autouse=True)
        def _check(caplog):
            caplog.set_level(logging.DEBUG)
            yield
            assert_no_secrets_logged(caplog, ["not-this", "s3cr3t-token"])

        def test_leaks():
            logging.getLogger("bot.sinch.auth").info("token is %s", "s3cr3t-token")

        def test_clean():
            logging.getLogger("bot.sinch.auth").info("token fp=abcd1234")
        """
    )
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*secret #[[]1[]] logged by bot.sinch.auth*"])
    assert "s3cr3t-token" not in result.stdout.str().split("short test summary")[-1]


# -- one permission to POST --------------------------------------------------------------------


async def test_429_with_retry_after_120_at_start_up_allows_one_post_in_119_s(
    provider: TokenProvider, issuer: Issuer, token_route: respx.Route, fake_clock: FakeClock
) -> None:
    issuer.queue.append(httpx.Response(429, headers={"Retry-After": "120"}))
    started = fake_clock.now()

    await provider.refresh_if_due()  # the start-up tick meets the 429
    for second in range(1, 120):
        fake_clock.advance(started + second - fake_clock.now())
        if second % 30 == 0:
            await provider.refresh_if_due()  # the tick
        with pytest.raises(TokenUnavailableError) as info:
            await provider.token()  # a request with no token to send
        # Users are told when to try again.
        assert info.value.retry_after == pytest.approx(120 - second)
    assert token_route.call_count == 1

    fake_clock.advance(1)
    assert (await provider.token()).generation == 1
    assert token_route.call_count == 2


async def test_retry_after_beyond_the_backoff_cap_still_wins_for_the_urgent_nudge(
    provider: TokenProvider, issuer: Issuer, token_route: respx.Route, fake_clock: FakeClock
) -> None:
    first = await provider.token()
    fake_clock.advance(first.remaining(fake_clock.now()) - 250)  # urgent: R = 250 s
    issuer.queue.append(httpx.Response(429, headers={"Retry-After": "90"}))
    await provider.refresh_if_due()
    assert token_route.call_count == 2

    for _ in range(89):  # a request a second nudges nothing until the server's time is up
        fake_clock.advance(1)
        assert await provider.token() is first
        await settle()
        await provider.refresh_if_due()
    assert token_route.call_count == 2
    fake_clock.advance(1)
    assert await provider.token() is first  # the nudge starts the fetch in the background
    await settle()
    assert token_route.call_count == 3
    assert (await provider.token()).generation == 2


async def test_absurd_retry_after_is_clamped_to_an_hour(
    provider: TokenProvider, issuer: Issuer, fake_clock: FakeClock
) -> None:
    issuer.queue.append(httpx.Response(503, headers={"Retry-After": "86400"}))

    await provider.refresh_if_due()

    assert provider.next_post_at - fake_clock.now() == 3600


async def test_refused_key_with_a_command_every_10_s_posts_at_most_3_times_in_10_min(
    make_provider: Callable[..., TokenProvider],
    issuer: Issuer,
    token_route: respx.Route,
    fake_clock: FakeClock,
) -> None:
    # The fastest the ± 20 % spread allows: 240 s between attempts.
    provider = make_provider(EdgeRandom(0.0))
    issuer.fail_with = oauth_error(401, "invalid_client")
    started = fake_clock.now()

    await provider.refresh_if_due()  # start-up
    for second in range(10, 600, 10):
        fake_clock.advance(started + second - fake_clock.now())
        if second % 30 == 0:
            await provider.refresh_if_due()
        with pytest.raises(SinchAuthError, match="invalid_client"):
            await provider.token()

    assert token_route.call_count == 3  # at 0, 240 and 480 s
    posted_at = [started + 240 * n for n in range(3)]
    assert provider.next_post_at == posted_at[-1] + 240


async def test_endpoint_down_for_most_of_a_short_token_commands_still_answer(
    api: httpx.AsyncClient,
    api_route: respx.Route,
    provider: TokenProvider,
    issuer: Issuer,
    token_route: respx.Route,
    fake_clock: FakeClock,
) -> None:
    # An 8 s token fetched at 0; the endpoint is down from +2 s to +8 s; ticks every second.
    issuer.lifetime = 8
    api_route.return_value = httpx.Response(200, json={"activeNumbers": []})
    started = fake_clock.now()
    await provider.refresh_if_due()
    answered = []
    for tenth in range(1, 80):
        fake_clock.advance(started + tenth / 10 - fake_clock.now())
        issuer.fail_with = httpx.ConnectError("down") if tenth >= 20 else None
        if tenth % 10 == 0:
            await provider.refresh_if_due()
        if tenth in (30, 50, 70):
            response = await api.get(API_URL)  # raises if no token could be sent
            answered.append((response.status_code, bearer(api_route.calls.last.request)))

    assert answered == [(200, issuer.issued[0])] * 3
    assert token_route.call_count > 3  # the refresh was tried, and failed, meanwhile


async def test_hung_refresh_does_not_hold_a_request_past_its_held_token(
    provider: TokenProvider, issuer: Issuer, fake_clock: FakeClock
) -> None:
    issuer.lifetime = 8
    first = await provider.token()
    # Mandatory window, 0.05 s above the 0.5 s margin: the request may wait only that long.
    fake_clock.advance(first.remaining(fake_clock.now()) - 0.55)
    issuer.hold = asyncio.Event()  # the endpoint never answers

    assert await provider.token() is first


async def test_urgent_nudges_follow_the_backoff_not_a_cadence_of_their_own(
    provider: TokenProvider, issuer: Issuer, token_route: respx.Route, fake_clock: FakeClock
) -> None:
    first = await provider.token()
    fake_clock.advance(first.remaining(fake_clock.now()) - 290)  # urgent, ticks not running
    issuer.fail_with = httpx.Response(502)
    posts_at = []
    for _ in range(120):  # two minutes of requests, one a second, no tick at all
        posts = token_route.call_count
        assert await provider.token() is first
        await settle()
        if token_route.call_count > posts:
            posts_at.append(fake_clock.now())
        fake_clock.advance(1)

    # One POST per permitted attempt: the backoff's 30 s floor (cap 30 s once urgent).
    gaps = [b - a for a, b in itertools.pairwise(posts_at)]
    assert len(posts_at) == 4
    assert all(gap == 30 for gap in gaps)


async def test_stalled_tick_is_noticed_and_a_request_refreshes_instead(
    provider: TokenProvider,
    token_route: respx.Route,
    fake_clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # APScheduler ticks on the wall clock: a step back of the clock holds the next tick back.
    # Here the start-up tick is the last one to run before the refresh is due.
    await provider.refresh_if_due()
    first = await provider.token()
    fake_clock.advance(first.refresh_at - fake_clock.now() + 1)  # advisory: R > 300 s

    assert await provider.token() is first  # served at once...
    await settle()
    assert token_route.call_count == 2  # ...and, the tick being stalled, it started the refresh
    assert (await provider.token()).generation == 2
    warnings = warnings_from_provider(caplog, logging.WARNING)
    assert len(warnings) == 1
    assert "refresh tick has not run for 2" in warnings[0]


async def test_live_tick_is_left_to_refresh_in_the_advisory_window(
    provider: TokenProvider, token_route: respx.Route, fake_clock: FakeClock
) -> None:
    first = await provider.token()
    while fake_clock.now() < first.refresh_at + 1:
        fake_clock.advance(min(30, first.refresh_at + 1 - fake_clock.now()))
        if fake_clock.now() < first.refresh_at:
            await provider.refresh_if_due()  # ticks ran until just before refresh_at

    assert await provider.token() is first
    await settle()
    assert token_route.call_count == 1  # R > 300 s and the tick is alive: the tick's job


@pytest.mark.parametrize("first", ["tick", "request"])
async def test_the_tick_and_a_waiting_request_share_one_token_fetch(
    provider: TokenProvider, issuer: Issuer, token_route: respx.Route, first: str
) -> None:
    issuer.hold = asyncio.Event()
    starters = {"tick": provider.refresh_if_due, "request": provider.token}
    second = "request" if first == "tick" else "tick"
    leader = asyncio.create_task(starters[first]())
    await issuer.entered.wait()  # the first one's POST is in flight
    follower = asyncio.create_task(starters[second]())
    await asyncio.sleep(0)
    issuer.hold.set()
    results = await asyncio.gather(leader, follower)
    assert token_route.call_count == 1
    token = next(r for r in results if r is not None)
    assert token.value == issuer.issued[0]
    assert (await provider.token()).value == issuer.issued[0]
    assert token_route.call_count == 1
