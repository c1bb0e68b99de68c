"""Sinch OAuth2 access token: TokenProvider (cache, refresh, single-flight) and SinchAuth."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import random
import re
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final, Literal

import httpx
from pydantic import SecretStr

from bot.clock import Clock
from bot.errors import (
    SinchAuthError,
    SinchError,
    TokenTimeoutError,
    TokenUnavailableError,
)
from bot.sinch.retry import backoff_delay, parse_retry_after

logger = logging.getLogger(__name__)

FetchOutcome = Literal["success", "transient_error", "auth_error"]
_Kind = Literal["transient", "auth"]

# Assumed lifetime when `expires_in` is missing or unreadable (a project choice).
DEFAULT_LIFETIME: Final = 900.0
# Before the first token the lifetime is unknown: tick at the policy's default cadence.
DEFAULT_TICK: Final = 30.0
# httpx timeouts apply per phase and can add up; this bounds the whole POST.
FETCH_TIMEOUT = 10.0
# How long a caller waits for the shared fetch before giving up (its fetch keeps running).
WAIT_TIMEOUT = 12.0
# Below this much remaining lifetime the backoff cap drops and requests nudge a refresh.
URGENT_REMAINING: Final = 300.0
ADVISORY_BACKOFF_CAP: Final = 300.0
# Non-recoverable failures (a refused key) are retried this often, ± the spread.
AUTH_RETRY: Final = 300.0
AUTH_RETRY_SPREAD: Final = 0.2
# A request arriving this soon after a failed fetch gets that failure without a new POST.
FAIL_FAST: Final[dict[_Kind, float]] = {"transient": 5.0, "auth": 60.0}
# Request-path nudges in the urgent window start at most one fetch per this gap (or per tick).
NUDGE_GAP: Final = 10.0

_TRANSIENT_STATUSES: Final = frozenset({408, 429})
_TRANSIENT_OAUTH_ERRORS: Final = frozenset({"server_error", "temporarily_unavailable"})
# OAuth `error` values are short ASCII identifiers; anything else is not echoed anywhere.
_OAUTH_ERROR_CODE = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


def tick_interval_for(lifetime: float) -> float:
    """Refresh tick for tokens of ``lifetime`` seconds: 30 s, down to 1 s for short tokens."""
    return min(30.0, max(1.0, lifetime / 10))


def mandatory_window_for(lifetime: float) -> float:
    """Remaining lifetime at or below which a request must wait for a fresh token."""
    return min(60.0, lifetime / 4)


def refresh_delay(lifetime: float, rng: random.Random) -> float:
    """Seconds after t0 at which to start refreshing: 45:00–48:00 for one-hour tokens.

    The jitter is subtractive only, so it spreads processes that started together and never
    makes a refresh later; the clamp stops short tokens from refreshing on every call.
    """
    target = min(0.8 * lifetime, lifetime - 300.0) - rng.uniform(0.0, 0.05 * lifetime)
    return max(target, 0.5 * lifetime, min(30.0, tick_interval_for(lifetime)))


def fingerprint(secret: str) -> str:
    """A short, non-reversible label for a token, safe to log."""
    return hashlib.sha256(secret.encode()).hexdigest()[:8]


@dataclass(frozen=True, slots=True)
class Token:
    """One fetched access token. Replaced as a whole, so value and expiry always match.

    Times are monotonic seconds from the provider's clock; ``t0`` was read before the POST.
    """

    value: str = field(repr=False)
    t0: float
    lifetime: float
    expires_at: float
    refresh_at: float
    generation: int

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.value)

    def remaining(self, now: float) -> float:
        return self.expires_at - now


@dataclass(frozen=True, slots=True)
class _Failure:
    """The last failed fetch, shared by every caller that fails fast on it."""

    error: SinchError
    kind: _Kind
    finished_at: float
    oauth_error: str | None
    status_code: int | None
    # Until then a request gets ``error`` without a new POST (fail-fast, or Retry-After).
    quiet_until: float


class _FetchFailed(Exception):
    """Internal: a classified token-endpoint failure, turned into ``error`` once recorded."""

    def __init__(
        self,
        error: SinchError,
        kind: _Kind,
        *,
        oauth_error: str | None = None,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(str(error))
        self.error = error
        self.kind: _Kind = kind
        self.oauth_error = oauth_error
        self.status_code = status_code
        self.retry_after = retry_after


class TokenProvider:
    """Fetches, caches and proactively refreshes the Sinch access token for one event loop.

    Every fetch, whether started by the refresh tick or by a request, goes through one shared
    in-flight task, so concurrent callers cause a single POST and share its result or failure.
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

        self._token: Token | None = None
        self._lifetime: float | None = None  # last known L; survives invalidation
        self._previous: Token | None = None  # last token accepted, even if since invalidated
        self._generation = 0
        self._inflight: asyncio.Task[Token] | None = None
        self._closed = False

        self._next_attempt_at = -math.inf
        self._last_attempt_started: float | None = None
        self._failure: _Failure | None = None
        self._streak = 0  # consecutive fetches that did not yield a fresher token
        self._logged_in_streak: set[str] = set()
        self._fetch_count = 0
        self._last_refresh_at: float | None = None

        # 401 handling: a token fetched because of a 401 that is rejected again starts a cooldown.
        self._refetch_for_401 = False
        self._refetched_generation: int | None = None
        self._cooldown_until = -math.inf
        self._dropped_after_401 = False

    # -- observability -------------------------------------------------------------------

    @property
    def fetch_count(self) -> int:
        """Token POSTs sent, successful or not."""
        return self._fetch_count

    @property
    def last_refresh_at(self) -> float | None:
        """Monotonic time of the last successful fetch."""
        return self._last_refresh_at

    @property
    def last_error(self) -> str | None:
        """Sanitized message of the last failed fetch, cleared by a successful one."""
        return None if self._failure is None else str(self._failure.error)

    @property
    def next_attempt_at(self) -> float:
        """Monotonic time before which the refresh tick does nothing."""
        return self._next_attempt_at

    @property
    def tick_interval(self) -> float:
        """Seconds between refresh ticks for the current lifetime."""
        return DEFAULT_TICK if self._lifetime is None else tick_interval_for(self._lifetime)

    def seconds_until_expiry(self) -> float | None:
        token = self._token
        return None if token is None else token.remaining(self._clock.now())

    def is_ready(self) -> bool:
        """True iff a token is held that is not yet in its mandatory-refresh window."""
        token = self._token
        return token is not None and token.remaining(self._clock.now()) > mandatory_window_for(
            token.lifetime
        )

    def readiness_reason(self) -> str:
        """Why the provider is (not) ready, short enough for a /readyz body."""
        now = self._clock.now()
        token = self._token
        failure = self._failure
        if token is not None and token.remaining(now) > mandatory_window_for(token.lifetime):
            return "Sinch token valid"
        if failure is not None and failure.kind == "auth":
            detail = failure.oauth_error or f"HTTP {failure.status_code or '?'}"
            return f"token endpoint refused the key ({detail})"
        error = self.last_error
        if token is None:
            if self._dropped_after_401:
                return "Sinch token was rejected (401); waiting for a new one"
            return "no Sinch token yet" + (f": {error}" if error else "")
        remaining = token.remaining(now)
        if remaining <= 0:
            return f"Sinch token expired: {error or 'not refreshed yet'}"
        return f"Sinch token expires in {remaining:.0f} s: {error or 'refresh pending'}"

    # -- request path --------------------------------------------------------------------

    async def token(self) -> Token:
        """A token with more than the mandatory window left, fetching (shared) if needed.

        Raises:
            SinchAuthError: the token endpoint refused the key.
            TokenUnavailableError: the endpoint failed or did not answer in time
                (``TokenTimeoutError`` for the latter).
        """
        if self._closed:
            raise TokenUnavailableError("the Sinch token provider is closed")
        now = self._clock.now()
        token = self._token
        if token is not None:
            remaining = token.remaining(now)
            if remaining > mandatory_window_for(token.lifetime):
                # Urgent window: the tick should have refreshed by now (it may be failing or
                # late), so a request starts the shared fetch without waiting for it.
                if now >= token.refresh_at and remaining <= URGENT_REMAINING:
                    self._nudge(now)
                return token
        if self._inflight is None:
            self._raise_if_failing_fast(now)
        return await self._wait_for_fetch()

    def invalidate(self, generation: int) -> None:
        """Drop the token after a 401, but only if it is still ``generation``.

        A 401 that arrives after someone else refreshed is therefore a no-op, and fifty
        concurrent 401s on one token cause one fetch. A token that was itself fetched because
        of a 401 and is rejected again starts a cooldown instead: no 401 triggers a fetch then.
        """
        token = self._token
        if token is None or token.generation != generation:
            return
        now = self._clock.now()
        if now < self._cooldown_until:
            logger.debug("401 on Sinch token %s during the 401 cooldown; kept", token.fingerprint)
            return
        if generation == self._refetched_generation:
            self._refetched_generation = None
            cooldown = self.tick_interval
            self._cooldown_until = now + cooldown
            logger.error(
                "Sinch rejected a freshly fetched access token again (fp=%s); no 401 will "
                "trigger a token fetch for %.0f s",
                token.fingerprint,
                cooldown,
            )
            return
        self._token = None
        self._dropped_after_401 = True
        self._refetch_for_401 = True
        # Should no request follow, the next tick fetches instead of waiting for refresh_at.
        self._next_attempt_at = min(self._next_attempt_at, now)
        logger.info(
            "dropped Sinch access token generation %d (fp=%s) after a 401",
            generation,
            token.fingerprint,
        )

    def accepted(self, generation: int) -> None:
        """The Numbers API answered 2xx to token ``generation``.

        A token fetched because of a 401 that has since been accepted proved the key works: a
        later 401 on it is a new revocation (refetch once more), not "rejected again" (cooldown).
        """
        if generation == self._refetched_generation:
            self._refetched_generation = None

    # -- refresh tick ----------------------------------------------------------------------

    async def refresh_if_due(self) -> None:
        """The scheduler's tick: fetch if an attempt is due. Never raises."""
        if self._closed or self._inflight is not None:
            return
        if self._clock.now() < self._next_attempt_at:
            return
        try:
            await self._wait_for_fetch()
        except SinchError:
            pass  # the fetch already logged it, once per failure streak
        except Exception as exc:  # the scheduler job is a catch boundary: it must never raise
            self._next_attempt_at = self._clock.now() + self.tick_interval
            logger.error("Sinch token refresh failed unexpectedly: %s", type(exc).__name__)

    async def aclose(self) -> None:
        """Stop fetching: cancel an in-flight fetch. The http client belongs to the caller."""
        self._closed = True
        task, self._inflight = self._inflight, None
        if task is not None and not task.done():
            task.cancel()
            # asyncio.wait never raises, so our own cancellation is not swallowed here.
            await asyncio.wait([task])

    # -- single flight ---------------------------------------------------------------------

    def _start_fetch(self) -> asyncio.Task[Token]:
        # Check-and-create with no await in between: one loop needs no lock for this.
        task = asyncio.get_running_loop().create_task(self._fetch(), name="sinch-token-fetch")
        self._inflight = task  # strong reference: the loop only keeps weak ones
        task.add_done_callback(self._on_fetch_done)
        return task

    def _on_fetch_done(self, task: asyncio.Task[Token]) -> None:
        if self._inflight is task:
            self._inflight = None
        if not task.cancelled():
            task.exception()  # retrieved, so an unawaited failure logs no asyncio warning

    async def _wait_for_fetch(self) -> Token:
        task = self._inflight or self._start_fetch()
        try:
            async with asyncio.timeout(WAIT_TIMEOUT):
                # shield: a waiter that is cancelled or times out must not cancel the shared fetch.
                return await asyncio.shield(task)
        except TimeoutError:
            raise TokenTimeoutError(f"no Sinch access token within {WAIT_TIMEOUT:g} s") from None
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if task.cancelled() and (current is None or current.cancelling() == 0):
                raise TokenUnavailableError("the Sinch token fetch was cancelled") from None
            raise

    def _nudge(self, now: float) -> None:
        """Urgent window: start the shared fetch in the background, within limits."""
        if self._inflight is not None:
            return
        started = self._last_attempt_started
        if started is not None and now - started < min(NUDGE_GAP, self.tick_interval):
            return
        failure = self._failure
        if failure is not None:
            if failure.kind == "auth" and now < self._next_attempt_at:
                return  # a refused key is retried on its own slow cadence only
            if now < failure.quiet_until:
                return
        self._start_fetch()

    def _raise_if_failing_fast(self, now: float) -> None:
        failure = self._failure
        if failure is not None and now < failure.quiet_until:
            # A fresh instance: re-raising one shared object would pile up tracebacks.
            raise type(failure.error)(str(failure.error))

    # -- the fetch -------------------------------------------------------------------------

    async def _fetch(self) -> Token:
        try:
            t0 = self._clock.now()  # before the POST: the round trip counts as used
            self._last_attempt_started = t0
            self._fetch_count += 1
            try:
                value, lifetime = await self._post()
            except _FetchFailed as failed:
                self._record_failure(failed)
                raise failed.error from None
            return self._record_success(value, lifetime, t0)
        finally:
            # Cleared inside the task, in the same step as the state update, so a caller never
            # joins a fetch that has already finished.
            if self._inflight is asyncio.current_task():
                self._inflight = None

    async def _post(self) -> tuple[str, float]:
        try:
            async with asyncio.timeout(FETCH_TIMEOUT):
                response = await self._http.post(
                    self._auth_url,
                    data={"grant_type": "client_credentials"},
                    auth=self._basic_auth,
                    headers={"Accept": "application/json"},
                )
        except TimeoutError:
            raise _FetchFailed(
                TokenTimeoutError(
                    f"Sinch token endpoint did not answer within {FETCH_TIMEOUT:g} s"
                ),
                "transient",
            ) from None
        except httpx.TimeoutException as exc:
            raise _FetchFailed(
                TokenTimeoutError(f"Sinch token endpoint timed out ({type(exc).__name__})"),
                "transient",
            ) from None
        except httpx.RequestError as exc:
            raise _FetchFailed(
                TokenUnavailableError(
                    f"could not reach the Sinch token endpoint ({type(exc).__name__})"
                ),
                "transient",
            ) from None
        if response.is_success:
            return _parse_token(response)
        raise _classify_error(response)

    def _record_success(self, value: str, lifetime: float, t0: float) -> Token:
        now = self._clock.now()
        self._generation += 1
        token = Token(
            value=value,
            t0=t0,
            lifetime=lifetime,
            expires_at=t0 + lifetime,
            refresh_at=t0 + refresh_delay(lifetime, self._rng),
            generation=self._generation,
        )
        previous, self._previous = self._previous, token
        stale = previous is not None and _not_fresher(token, previous)
        self._token = token  # one assignment: readers never see a half-updated token
        if not stale:
            # A cached answer's expires_in is what is left, not the issuer's lifetime: letting
            # it shrink the tick and the backoff floor would bring back the spin guarded below.
            self._lifetime = lifetime
        self._failure = None
        self._last_refresh_at = now
        self._dropped_after_401 = False
        self._refetched_generation = token.generation if self._refetch_for_401 else None
        self._refetch_for_401 = False

        if stale:
            # Same-expiry guard: the issuer handed back a cached token. Refreshing again at once
            # would spin, so the next attempt waits like after a failure.
            self._streak += 1
            delay = self._backoff(token.remaining(now), retry_after=None)
            self._next_attempt_at = now + delay
            level = logging.DEBUG if "stale" in self._logged_in_streak else logging.INFO
            self._logged_in_streak.add("stale")
            logger.log(
                level,
                "Sinch token endpoint returned a token expiring no later than the current one "
                "(fp=%s); next attempt in %.0f s",
                token.fingerprint,
                delay,
            )
        else:
            if self._streak:
                logger.info(
                    "Sinch token endpoint recovered after %d unsuccessful attempts", self._streak
                )
            self._streak = 0
            self._logged_in_streak.clear()
            self._next_attempt_at = token.refresh_at
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

    def _record_failure(self, failed: _FetchFailed) -> None:
        now = self._clock.now()
        token = self._token
        remaining = None if token is None else token.remaining(now)
        quiet = FAIL_FAST[failed.kind]
        if failed.retry_after is not None:
            # The endpoint said how long to wait (a 429): requests honour that too, not just the
            # tick, or every command after the 5 s fail-fast window would POST into the limit.
            quiet = max(quiet, min(failed.retry_after, self._backoff_cap(remaining)))
        self._failure = _Failure(
            error=failed.error,
            kind=failed.kind,
            finished_at=now,
            oauth_error=failed.oauth_error,
            status_code=failed.status_code,
            quiet_until=now + quiet,
        )
        self._streak += 1
        if failed.kind == "auth":
            delay = AUTH_RETRY * self._rng.uniform(1 - AUTH_RETRY_SPREAD, 1 + AUTH_RETRY_SPREAD)
        else:
            delay = self._backoff(remaining, retry_after=failed.retry_after)
        self._next_attempt_at = now + delay

        held = "no token held" if remaining is None else f"current token valid {remaining:.0f} s"
        if failed.kind in self._logged_in_streak:
            level = logging.DEBUG
        else:
            level = logging.ERROR if failed.kind == "auth" else logging.WARNING
        self._logged_in_streak.add(failed.kind)
        if failed.kind == "auth":
            # The error names the OAuth `error` code; the body itself is never logged.
            logger.log(
                level,
                "%s; check SINCH_KEY_ID and SINCH_KEY_SECRET; %s; retrying every ~%.0f s",
                failed.error,
                held,
                AUTH_RETRY,
            )
        else:
            logger.log(
                level,
                "Sinch token fetch failed (attempt %d): %s; %s; next attempt in %.0f s",
                self._streak,
                failed.error,
                held,
                delay,
            )
        self._notify("auth_error" if failed.kind == "auth" else "transient_error")

    def _backoff(self, remaining: float | None, *, retry_after: float | None) -> float:
        """Equal-jitter backoff; base and floor are the tick, so short tokens retry in time."""
        tick = self.tick_interval
        cap = self._backoff_cap(remaining)
        if retry_after is not None:
            return min(max(retry_after, tick), cap)
        return max(tick, backoff_delay(self._streak, rng=self._rng, base=tick, cap=cap))

    def _backoff_cap(self, remaining: float | None) -> float:
        """300 s while the held token has time; once it is urgent (or absent), the tick."""
        if remaining is not None and remaining > URGENT_REMAINING:
            return ADVISORY_BACKOFF_CAP
        return self.tick_interval

    def _notify(self, outcome: FetchOutcome) -> None:
        if self._on_fetch is None:
            return
        try:
            self._on_fetch(outcome)
        except Exception as exc:  # a metrics hook must not break token handling
            logger.warning("token fetch hook failed: %s", type(exc).__name__)


def _not_fresher(token: Token, previous: Token) -> bool:
    """True if the issuer handed back a cached token rather than a new one.

    `expires_in` is whole seconds, so expiries within a second count as equal. A different token
    fetched within that second of the previous one (a refetch after a 401) is new, not cached.
    """
    tolerance = min(1.0, 0.1 * token.lifetime)
    if token.expires_at > previous.expires_at + tolerance:
        return False
    return token.value == previous.value or token.t0 - previous.t0 > tolerance


def _parse_token(response: httpx.Response) -> tuple[str, float]:
    """Access token and lifetime from a 2xx answer. The body is never logged or echoed."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise _FetchFailed(
            TokenUnavailableError(
                f"Sinch token endpoint returned an unreadable answer (HTTP {response.status_code})"
            ),
            "transient",
            status_code=response.status_code,
        )
    value = body.get("access_token")
    if not isinstance(value, str) or not value.strip():
        raise _FetchFailed(
            TokenUnavailableError("Sinch token endpoint answered without an access token"),
            "transient",
            status_code=response.status_code,
        )
    token_type = body.get("token_type")
    if token_type is not None and (
        not isinstance(token_type, str) or token_type.lower() != "bearer"
    ):
        # Retrying will not change the kind of token this endpoint issues.
        shown = token_type if isinstance(token_type, str) and _is_code(token_type) else "?"
        raise _FetchFailed(
            SinchAuthError(f"Sinch token endpoint issued a non-bearer token (type {shown})"),
            "auth",
            status_code=response.status_code,
        )
    lifetime = _parse_lifetime(body.get("expires_in"))
    if lifetime is None:
        logger.warning(
            "Sinch token answer has no usable expires_in; assuming %.0f s", DEFAULT_LIFETIME
        )
        lifetime = DEFAULT_LIFETIME
    return value.strip(), lifetime


def _parse_lifetime(raw: object) -> float | None:
    """``expires_in`` as positive finite seconds; numeric strings are accepted."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            return None
    else:
        return None
    return value if math.isfinite(value) and value > 0 else None


def _classify_error(response: httpx.Response) -> _FetchFailed:
    """Transient (retry with backoff) or non-recoverable (the key is refused)."""
    status = response.status_code
    code = _oauth_error(response)
    suffix = f" {code}" if code else ""
    transient = status in _TRANSIENT_STATUSES or status >= 500 or code in _TRANSIENT_OAUTH_ERRORS
    if not transient and 400 <= status < 500:
        return _FetchFailed(
            SinchAuthError(f"Sinch token endpoint refused the key: HTTP {status}{suffix}"),
            "auth",
            oauth_error=code,
            status_code=status,
        )
    error_type = TokenTimeoutError if status in {408, 504} else TokenUnavailableError
    retry_after = None
    if status == 429 or status == 503:
        retry_after = parse_retry_after(response.headers.get("Retry-After"), now=datetime.now(UTC))
    return _FetchFailed(
        error_type(f"Sinch token endpoint answered HTTP {status}{suffix}"),
        "transient",
        oauth_error=code,
        status_code=status,
        retry_after=retry_after,
    )


def _oauth_error(response: httpx.Response) -> str | None:
    """The OAuth ``error`` code, if the body has a well-formed one; nothing else is read."""
    try:
        body = response.json()
    except ValueError:
        return None
    code = body.get("error") if isinstance(body, dict) else None
    return code if isinstance(code, str) and _is_code(code) else None


def _is_code(text: str) -> bool:
    return _OAUTH_ERROR_CODE.fullmatch(text) is not None


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
