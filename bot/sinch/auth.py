"""Sinch OAuth2 access token: TokenProvider (cache, refresh, single-flight) and SinchAuth.

One rule decides when a token POST may start, whoever asks (the scheduler's tick, a request
that needs a token, a request nudging a refresh in the urgent window): not before
``next_post_at``. Each outcome sets it, here and nowhere else: a success to the token's
``refresh_at``, a failure to its backoff, a refused key to its 5-minute cadence, ``Retry-After``
to what the server said. Only a 401 from the Numbers API may pass it, once per token.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import math
import random
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass, field
from typing import Literal

import httpx
from pydantic import SecretStr

from bot.core.clock import Clock
from bot.core.errors import SinchAuthError, SinchError, TokenTimeoutError, TokenUnavailableError
from bot.sinch.schedule import (
    DEFAULT_TICK,
    STALL_TICKS,
    URGENT_REMAINING,
    held_token_margin,
    mandatory_window_for,
    refresh_delay,
    refused_key_delay,
    tick_interval_for,
    transient_delay,
)
from bot.sinch.token_endpoint import FailureKind, TokenFetchFailed, request_token

logger = logging.getLogger(__name__)

FetchOutcome = Literal["success", "transient_error", "auth_error"]

# httpx timeouts apply per phase and can add up; this bounds the whole POST.
FETCH_TIMEOUT = 10.0
# How long a caller waits for the shared fetch before giving up (its fetch keeps running).
WAIT_TIMEOUT = 12.0


def fingerprint(secret: str) -> str:
    """A short, non-reversible label for a token, safe to log."""
    return hashlib.sha256(secret.encode()).hexdigest()[:8]


@dataclass(frozen=True, slots=True)
class Token:
    """One fetched access token. Replaced as a whole, so value and expiry always match.

    Times are monotonic seconds from the provider's clock; ``t0`` was read before the POST.
    ``from_401``: fetched because the previous token got a 401, and not yet accepted by Sinch.
    ``rejected``: Sinch answered 401 to it; it expired then and is never sent again.
    """

    value: str = field(repr=False)
    t0: float
    lifetime: float
    expires_at: float
    refresh_at: float
    generation: int
    fetched_at: float
    from_401: bool = False
    rejected: bool = False

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.value)

    def remaining(self, now: float) -> float:
        return self.expires_at - now


@dataclass(frozen=True, slots=True)
class _Failure:
    """The last failed fetch: what every caller refused a POST is told."""

    error: SinchError
    kind: FailureKind
    oauth_error: str | None
    status_code: int | None


class TokenProvider:
    """Fetches, caches and proactively refreshes the Sinch access token for one event loop.

    Every fetch goes through one shared in-flight task, so concurrent callers cause a single
    POST and share its result or failure.
    """

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        auth_url: str,
        key_id: str,
        key_secret: SecretStr,
        clock: Clock,
        rng: random.Random | None = None,
        on_fetch: Callable[[FetchOutcome], None] | None = None,
    ) -> None:
        # `http` must not carry SinchAuth: a token fetch must never recurse into the auth flow.
        self._http = http
        self._auth_url = auth_url
        self._basic_auth = httpx.BasicAuth(key_id, key_secret.get_secret_value())
        self._clock = clock
        self._rng = rng or random.Random()
        self._on_fetch = on_fetch
        # The whole mutable state:
        self._token: Token | None = None  # the last token accepted (a 401 expires it)
        self._inflight: asyncio.Task[Token] | None = None
        self._next_post_at = -math.inf  # the one permission to POST
        self._failure: _Failure | None = None  # cleared by a success
        self._streak = 0  # fetches in a row that gave no fresher token
        self._cooldown_until = -math.inf  # no 401 triggers a fetch before this
        self._last_tick_at = clock.now()  # to notice a stalled scheduler
        self._closed = False

    # -- observability -------------------------------------------------------------------

    @property
    def next_post_at(self) -> float:
        """Monotonic time before which no path starts a token POST."""
        return self._next_post_at

    @property
    def last_refresh_at(self) -> float | None:
        """Monotonic time of the last successful fetch."""
        return None if self._token is None else self._token.fetched_at

    @property
    def last_error(self) -> str | None:
        """Sanitized message of the last failed fetch, cleared by a successful one."""
        return None if self._failure is None else str(self._failure.error)

    @property
    def tick_interval(self) -> float:
        """Seconds between refresh ticks for the current lifetime."""
        return DEFAULT_TICK if self._token is None else tick_interval_for(self._token.lifetime)

    def seconds_until_expiry(self) -> float | None:
        """Time left on the token a request would be sent with; None if there is none."""
        token = self._token
        if token is None or token.rejected:
            return None
        return token.remaining(self._clock.now())

    def is_ready(self) -> bool:
        """True iff a token is held that is not yet in its mandatory-refresh window."""
        token = self._token
        now = self._clock.now()
        return token is not None and token.remaining(now) > mandatory_window_for(token.lifetime)

    def readiness_reason(self) -> str:
        """Why the provider is (not) ready, short enough for a /readyz body."""
        token, failure = self._token, self._failure
        if self.is_ready():
            return "Sinch token valid"
        if failure is not None and failure.kind == "auth":
            detail = failure.oauth_error or f"HTTP {failure.status_code or '?'}"
            return f"token endpoint refused the key ({detail})"
        error = self.last_error
        if token is None:
            return "no Sinch token yet" + (f": {error}" if error else "")
        if token.rejected:
            return "Sinch token was rejected (401); waiting for a new one"
        remaining = token.remaining(self._clock.now())
        if remaining <= 0:
            return f"Sinch token expired: {error or 'not refreshed yet'}"
        return f"Sinch token expires in {remaining:.0f} s: {error or 'refresh pending'}"

    # -- request path --------------------------------------------------------------------

    async def token(self) -> Token:
        """A token to send: fresh if one can be had, else the held one while it lasts.

        Raises:
            SinchAuthError: the token endpoint refused the key.
            TokenUnavailableError: no usable token and none to be had now
                (``TokenTimeoutError`` if the endpoint did not answer in time).
        """
        if self._closed:
            raise TokenUnavailableError("the Sinch token provider is closed")
        now = self._clock.now()
        held = self._token
        if held is not None and held.remaining(now) > mandatory_window_for(held.lifetime):
            self._maybe_nudge(now, held)
            return held
        spare = (
            -math.inf if held is None else held.remaining(now) - held_token_margin(held.lifetime)
        )
        try:
            # Wait no longer than the held token can still be sent.
            return await self._fetch_shared(
                now, WAIT_TIMEOUT if spare <= 0 else min(WAIT_TIMEOUT, spare)
            )
        except SinchError:
            # A valid token is never thrown away because its refresh failed or is not allowed yet.
            if held is not None and held.remaining(self._clock.now()) > held_token_margin(
                held.lifetime
            ):
                logger.debug("token refresh failed; sending the held token %s", held.fingerprint)
                return held
            raise

    def invalidate(self, generation: int) -> None:
        """Sinch answered 401 to token ``generation``: expire it, so the next caller refetches.

        Only if it is still the current token: fifty concurrent 401s on one token cause one
        fetch, and a 401 after someone else refreshed causes none. A token fetched because of a
        401 and rejected before Sinch accepted it starts a cooldown instead (a key without
        permission would otherwise make every request refetch).
        """
        token = self._token
        if token is None or token.generation != generation or token.rejected:
            return
        now = self._clock.now()
        if now < self._cooldown_until:
            logger.debug("401 on Sinch token %s during the 401 cooldown; kept", token.fingerprint)
            return
        if token.from_401:
            self._cooldown_until = now + self.tick_interval
            self._token = dataclasses.replace(token, from_401=False)
            logger.error(
                "Sinch rejected a freshly fetched access token again (fp=%s); no 401 will "
                "trigger a token fetch for %.0f s",
                token.fingerprint,
                self.tick_interval,
            )
            return
        self._token = dataclasses.replace(
            token, expires_at=min(token.expires_at, now), rejected=True
        )
        # The one pass a 401 gets through the permission: the next caller (or tick) refetches.
        self._next_post_at = min(self._next_post_at, now)
        logger.info(
            "dropped Sinch access token generation %d (fp=%s) after a 401",
            generation,
            token.fingerprint,
        )

    def accepted(self, generation: int) -> None:
        """Sinch answered 2xx to ``generation``: a later 401 on it is a new revocation."""
        token = self._token
        if token is not None and token.generation == generation and token.from_401:
            self._token = dataclasses.replace(token, from_401=False)

    # -- refresh tick ----------------------------------------------------------------------

    async def refresh_if_due(self) -> None:
        """The scheduler's tick: fetch if the permission allows. Never raises an Exception."""
        now = self._clock.now()
        self._last_tick_at = now
        if self._closed or self._inflight is not None or now < self._next_post_at:
            return
        try:
            await self._wait(self._start_fetch(), WAIT_TIMEOUT)
        except SinchError:
            pass  # the fetch already logged it, once per failure streak
        except Exception as exc:  # the scheduler job is a catch boundary: it must never raise
            self._next_post_at = self._clock.now() + self.tick_interval
            logger.error("Sinch token refresh failed unexpectedly: %s", type(exc).__name__)

    async def aclose(self) -> None:
        """Stop fetching: cancel an in-flight fetch. The http client belongs to the caller."""
        self._closed = True
        task, self._inflight = self._inflight, None
        if task is not None and not task.done():
            task.cancel()
            # asyncio.wait never raises, so our own cancellation is not swallowed here.
            await asyncio.wait([task])

    # -- the one permission and the single flight ------------------------------------------

    def _maybe_nudge(self, now: float, held: Token) -> None:
        """Start the shared fetch in the background if the tick is late (urgent or stalled)."""
        if self._inflight is not None or now < self._next_post_at:
            return
        if held.remaining(now) <= URGENT_REMAINING:
            self._start_fetch()
            return
        stalled = now - self._last_tick_at
        if stalled > STALL_TICKS * self.tick_interval:
            # APScheduler ticks on the wall clock: a step back delays it. Requests carry on.
            logger.warning(
                "the token refresh tick has not run for %.0f s (wall clock stepped back?); "
                "a request starts the refresh",
                stalled,
            )
            self._start_fetch()

    async def _fetch_shared(self, now: float, patience: float) -> Token:
        task = self._inflight
        if task is None:
            if now < self._next_post_at:
                raise self._refusal(now)
            task = self._start_fetch()
        return await self._wait(task, patience)

    def _refusal(self, now: float) -> SinchError:
        """The error for a caller that needs a POST the permission does not allow yet."""
        wait = self._next_post_at - now
        failure = self._failure
        # A fresh instance each time: re-raising one shared object would pile up tracebacks.
        if failure is None:
            error: SinchError = TokenUnavailableError("no Sinch access token available yet")
        else:
            error = type(failure.error)(str(failure.error))
        if isinstance(error, TokenUnavailableError):
            error.retry_after = wait
        return error

    def _start_fetch(self) -> asyncio.Task[Token]:
        # Check-and-create with no await in between: one loop needs no lock for this.
        task = asyncio.get_running_loop().create_task(self._fetch(), name="sinch-token-fetch")
        self._inflight = task  # strong reference: the loop only keeps weak ones
        task.add_done_callback(_retrieve)
        return task

    async def _wait(self, task: asyncio.Task[Token], patience: float) -> Token:
        try:
            async with asyncio.timeout(patience):
                # shield: a waiter that is cancelled or times out must not cancel the shared fetch.
                return await asyncio.shield(task)
        except TimeoutError:
            raise TokenTimeoutError(f"no Sinch access token within {patience:g} s") from None
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if task.cancelled() and (current is None or current.cancelling() == 0):
                raise TokenUnavailableError("the Sinch token fetch was cancelled") from None
            raise

    # -- the fetch and its outcomes --------------------------------------------------------

    async def _fetch(self) -> Token:
        try:
            t0 = self._clock.now()  # before the POST: the round trip counts as used
            try:
                value, lifetime = await request_token(
                    self._http, self._auth_url, self._basic_auth, timeout=FETCH_TIMEOUT
                )
            except TokenFetchFailed as failed:
                self._failed(failed)
                raise failed.error from None
            return self._succeeded(value, lifetime, t0)
        finally:
            # Cleared inside the task, in the same step as the state update, so a caller never
            # joins a fetch that has already finished.
            if self._inflight is asyncio.current_task():
                self._inflight = None

    def _succeeded(self, value: str, lifetime: float, t0: float) -> Token:
        now = self._clock.now()
        previous = self._token
        stale = previous is not None and _not_fresher(value, t0, t0 + lifetime, previous)
        # A cached answer's expires_in is what is left, not the issuer's lifetime: letting it
        # shrink the tick and the windows would bring back the spin guarded below.
        lifetime_used = previous.lifetime if stale and previous is not None else lifetime
        token = Token(
            value=value,
            t0=t0,
            lifetime=lifetime_used,
            expires_at=t0 + lifetime,
            refresh_at=t0 + refresh_delay(lifetime_used, self._rng),
            generation=1 if previous is None else previous.generation + 1,
            fetched_at=now,
            from_401=previous is not None and previous.rejected,
        )
        self._token = token  # one assignment: readers never see a half-updated token
        self._failure = None
        if stale:
            # Same-expiry guard: refreshing again at once would spin; back off instead.
            self._streak += 1
            self._next_post_at = now + self._backoff(token, None)
            logger.log(
                logging.INFO if self._streak == 1 else logging.DEBUG,
                "Sinch token endpoint returned a token expiring no later than the current one "
                "(fp=%s); next attempt in %.0f s",
                token.fingerprint,
                self._next_post_at - now,
            )
        else:
            if self._streak:
                logger.info("Sinch token endpoint recovered after %d attempts", self._streak)
            self._streak = 0
            self._next_post_at = token.refresh_at
            logger.info(
                "fetched Sinch access token generation %d (fp=%s): lifetime %.0f s, "
                "refresh in %.0f s",
                token.generation,
                token.fingerprint,
                lifetime,
                token.refresh_at - now,
            )
        self._notify("success")
        return token

    def _failed(self, failed: TokenFetchFailed) -> None:
        now = self._clock.now()
        held = self._token
        first_of_kind = self._failure is None or self._failure.kind != failed.kind
        self._failure = _Failure(failed.error, failed.kind, failed.oauth_error, failed.status_code)
        self._streak += 1
        if failed.kind == "auth":
            delay = refused_key_delay(self._rng)
        else:
            delay = self._backoff(held, failed.retry_after)
        self._next_post_at = now + delay
        if isinstance(failed.error, TokenUnavailableError):
            failed.error.retry_after = delay  # what the waiters of this fetch are told

        valid = None if held is None or held.rejected else held.remaining(now)
        state = "no token held" if valid is None else f"current token valid {valid:.0f} s"
        if failed.kind == "auth":
            # The error names the OAuth `error` code; the body itself is never logged.
            logger.log(
                logging.ERROR if first_of_kind else logging.DEBUG,
                "%s; check SINCH_KEY_ID and SINCH_KEY_SECRET; %s; next attempt in %.0f s",
                failed.error,
                state,
                delay,
            )
        else:
            logger.log(
                logging.WARNING if first_of_kind else logging.DEBUG,
                "Sinch token fetch failed (attempt %d): %s; %s; next attempt in %.0f s",
                self._streak,
                failed.error,
                state,
                delay,
            )
        self._notify("auth_error" if failed.kind == "auth" else "transient_error")

    def _backoff(self, held: Token | None, retry_after: float | None) -> float:
        usable = held is not None and not held.rejected
        return transient_delay(
            self._streak,
            remaining=held.remaining(self._clock.now()) if usable and held else None,
            tick=self.tick_interval,
            retry_after=retry_after,
            rng=self._rng,
        )

    def _notify(self, outcome: FetchOutcome) -> None:
        if self._on_fetch is None:
            return
        try:
            self._on_fetch(outcome)
        except Exception as exc:  # a metrics hook must not break token handling
            logger.warning("token fetch hook failed: %s", type(exc).__name__)


def _retrieve(task: asyncio.Task[Token]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved, so an unawaited failure logs no asyncio warning


def _not_fresher(value: str, t0: float, expires_at: float, previous: Token) -> bool:
    """True if the issuer handed back a cached token rather than a new one.

    `expires_in` is whole seconds, so expiries within a second count as equal. A different token
    fetched within that second of the previous one (a refetch after a 401) is new, not cached.
    """
    tolerance = min(1.0, 0.1 * (expires_at - t0))
    if expires_at > previous.expires_at + tolerance:
        return False
    return value == previous.value or t0 - previous.t0 > tolerance


class SinchAuth(httpx.Auth):
    """Bearer auth for the Numbers API: stamps the token; on a 401 refreshes and resends once."""

    def __init__(self, provider: TokenProvider) -> None:
        self._provider = provider

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("SinchAuth needs httpx.AsyncClient: token fetching is async")

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self._provider.token()
        _stamp(request, token)
        response = yield request
        # 403 is not retried: RFC 6750 uses it for insufficient scope, which a new token won't fix.
        if response.status_code != 401:
            if response.is_success:
                self._provider.accepted(token.generation)
            return
        if "expired" in response.headers.get("WWW-Authenticate", "").lower():
            logger.info("Sinch answered 401: access token %s expired", token.fingerprint)
        else:
            logger.warning(
                "Sinch answered 401: access token %s rejected (revoked or invalid)",
                token.fingerprint,
            )
        self._provider.invalidate(token.generation)
        fresh = await self._provider.token()
        if fresh.generation == token.generation:
            # invalidate() kept the token: a freshly fetched one was just rejected again.
            raise SinchAuthError(
                "Sinch rejected the access token (401); token refresh on 401 is cooling down"
            )
        _stamp(request, fresh)
        response = yield request
        if response.status_code == 401:
            self._provider.invalidate(fresh.generation)
            raise SinchAuthError("Sinch rejected a freshly fetched access token (401 again)")
        if response.is_success:
            self._provider.accepted(fresh.generation)


def _stamp(request: httpx.Request, token: Token) -> None:
    request.headers["Authorization"] = f"Bearer {token.value}"
