"""SinchClient: the Numbers API calls, with error mapping and budgeted retries.

Reads are retried within a budget; rent and release are sent exactly once (see ``_post_once``).
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import AsyncGenerator, Callable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Final, Literal, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from bot.core.clock import Clock
from bot.core.domain import Capability, NumberType, SearchPattern
from bot.core.errors import (
    FieldViolation,
    SinchApiError,
    SinchAuthError,
    SinchBadRequestError,
    SinchConnectionError,
    SinchError,
    SinchNotFoundError,
    SinchPermissionError,
    SinchRateLimitedError,
    SinchTimeoutError,
    SinchUnavailableError,
    TokenUnavailableError,
)
from bot.sinch.models import (
    ActiveNumber,
    ActiveNumbersPage,
    AvailableNumber,
    AvailableNumbersResponse,
    AvailableRegion,
    AvailableRegionsResponse,
    RentRequest,
)
from bot.sinch.retry import backoff_delay, parse_retry_after

_log = logging.getLogger(__name__)

Endpoint = Literal[
    "available_numbers",
    "available_regions",
    "active_numbers",
    "available_number",
    "active_number",
    "rent",
    "release",
]
# on_call(endpoint, outcome, seconds): outcome is the HTTP status as a string, or one of
# "timeout", "connection_error", "auth_error", "cancelled".
OnCall = Callable[[str, str, float], None]
# httpx's own list-of-pairs type (list is invariant, so a narrower value type would not fit).
_Param = str | int | float | bool | None
_Params = list[tuple[str, _Param]]
_Model = TypeVar("_Model", bound=BaseModel)

# The largest activeNumbers pageSize asked for. Sinch documents no maximum (its reference, OAS
# 1.0.3 and the four official SDKs only say "the maximum number of items to return"); 1000 is
# a common maximum of Google-style list APIs, whose error envelope Sinch's follows, and the
# sandbox's cap. If Sinch answers 400 INVALID_ARGUMENT about pageSize, active_pages halves it
# and remembers what worked.
MAX_ACTIVE_PAGE_SIZE: Final = 1000
# Sinch's messages are short; anything longer is not a message meant for people.
MAX_MESSAGE_CHARS: Final = 300
_MAX_STATUS_CHARS: Final = 64
_MAX_VIOLATIONS: Final = 20
# A 200 that does not parse is the upstream misbehaving, like a bad gateway would.
UNEXPECTED_RESPONSE_STATUS: Final = 502

_STATUS_ERRORS: Final[dict[int, type[SinchApiError]]] = {
    400: SinchBadRequestError,
    403: SinchPermissionError,
    404: SinchNotFoundError,
    429: SinchRateLimitedError,
}
_WHITESPACE = re.compile(r"\s+")
# What may go into a path: the number is part of the resource name, so nothing else may be.
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")


class _BudgetSpent(Exception):
    """The per-operation time budget ran out during an attempt; never retried."""


class SinchClient:
    """Async client for the Numbers API calls the bot makes: search, regions, active numbers.

    ``http`` is the shared client (base URL, auth and timeouts already configured). Every call is
    one operation: it is retried on 429, 5xx, connection errors and timeouts, at most
    ``max_attempts`` times, and never runs past ``budget`` seconds of ``clock`` time.
    """

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        project_id: str,
        clock: Clock,
        rng: random.Random | None = None,
        budget: float = 10.0,
        max_attempts: int = 4,
        on_call: OnCall | None = None,
    ) -> None:
        if not project_id.strip():
            raise ValueError("project_id must not be empty")
        if budget <= 0:
            raise ValueError("budget must be positive")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._http = http
        # safe="" quotes "/" too, so an odd project id can never change which resource is hit.
        self._prefix = f"/v1/projects/{quote(project_id, safe='')}"
        self._clock = clock
        self._rng = rng if rng is not None else random.Random()
        self._budget = budget
        self._max_attempts = max_attempts
        self._on_call = on_call
        # The largest activeNumbers page Sinch has not refused, for this process's walks.
        self.active_page_size = MAX_ACTIVE_PAGE_SIZE
        # httpx parses a str URL three times a request (path, base URL join, query), about a
        # fifth of a search's client CPU; the same search asks for the same URL, built once.
        self._url = lru_cache(maxsize=256)(self._build_url)

    def _build_url(self, path: str, params: tuple[tuple[str, _Param], ...]) -> httpx.URL:
        return self._http.build_request("GET", path, params=list(params)).url

    async def available_numbers(
        self,
        *,
        region_code: str,
        type: NumberType,
        pattern: str | None = None,
        search_pattern: SearchPattern | None = None,
        capabilities: Sequence[Capability] = (),
        size: int,
    ) -> tuple[AvailableNumber, ...]:
        """Numbers available to rent; for START, ``pattern`` carries ``+`` and the calling code."""
        if size < 1:
            raise ValueError("size must be at least 1")
        params: _Params = [("regionCode", region_code), ("type", type.value)]
        if pattern is not None:
            params.append(("numberPattern.pattern", pattern))
        if search_pattern is not None:
            params.append(("numberPattern.searchPattern", search_pattern.value))
        # Sinch wants the key repeated (capabilities=SMS&capabilities=VOICE), not a CSV.
        params += [("capabilities", capability.value) for capability in capabilities]
        # The server default is undocumented, so always say how many we want.
        params.append(("size", size))
        response = await self._get(
            "available_numbers", "availableNumbers", params, AvailableNumbersResponse
        )
        return response.available_numbers

    async def available_regions(
        self, types: Sequence[NumberType] = ()
    ) -> tuple[AvailableRegion, ...]:
        """Regions where numbers can be rented, optionally only those offering ``types``."""
        params: _Params = [("types", number_type.value) for number_type in types]
        response = await self._get(
            "available_regions", "availableRegions", params, AvailableRegionsResponse
        )
        return response.available_regions

    async def active_numbers(
        self,
        *,
        region_code: str | None = None,
        type: NumberType | None = None,
        page_size: int,
        page_token: str | None = None,
    ) -> ActiveNumbersPage:
        """One page of the project's rented numbers; pass ``next_page_token`` for the next."""
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        params: _Params = []
        if region_code is not None:
            params.append(("regionCode", region_code))
        if type is not None:
            params.append(("type", type.value))
        params.append(("pageSize", page_size))
        if page_token:
            params.append(("pageToken", page_token))
        return await self._get("active_numbers", "activeNumbers", params, ActiveNumbersPage)

    async def available_number(self, phone_number: str) -> AvailableNumber:
        """One number that is for rent (its current prices); SinchNotFoundError when it is not."""
        return await self._get(
            "available_number",
            f"availableNumbers/{_path_number(phone_number)}",
            [],
            AvailableNumber,
        )

    async def active_number(self, phone_number: str) -> ActiveNumber:
        """One number this project rents; SinchNotFoundError when it does not."""
        return await self._get(
            "active_number", f"activeNumbers/{_path_number(phone_number)}", [], ActiveNumber
        )

    async def rent_number(self, phone_number: str, request: RentRequest) -> ActiveNumber:
        """Rent ``phone_number``: ONE attempt, never retried (it costs money, and is not
        idempotent). A timeout, connection error or 5xx means "unknown": read the number back."""
        resource = f"availableNumbers/{_path_number(phone_number)}:rent"
        body = request.model_dump(by_alias=True, exclude_none=True)
        return await self._post_once("rent", resource, body, ActiveNumber)

    async def release_number(self, phone_number: str) -> ActiveNumber:
        """Release ``phone_number`` (it stays active until ``expireAt``): ONE attempt."""
        resource = f"activeNumbers/{_path_number(phone_number)}:release"
        return await self._post_once("release", resource, None, ActiveNumber)

    async def _post_once(
        self,
        endpoint: Endpoint,
        resource: str,
        body: dict[str, Any] | None,
        model: type[_Model],
    ) -> _Model:
        """A POST that changes what the project rents: sent once, whatever happens.

        The caller decides what an error means; a 401 may still be resent once by SinchAuth,
        which is safe because Sinch did not act on a request it refused to authenticate.
        """
        path = f"{self._prefix}/{resource}"
        deadline = self._clock.now() + self._budget
        try:
            response = await self._attempt(endpoint, path, [], deadline, method="POST", body=body)
        except _BudgetSpent:
            raise SinchTimeoutError(
                f"Sinch did not answer {endpoint} within the {self._budget:g} s budget"
            ) from None
        return _parse(endpoint, response, model)

    async def active_pages(
        self, *, region_code: str | None = None, type: NumberType | None = None
    ) -> AsyncGenerator[ActiveNumbersPage, None]:
        """Every page of rented numbers, as large as Sinch allows, following ``nextPageToken``.

        Each page is its own operation with its own time budget; the caller decides how many
        pages it can wait for. A 400 about ``pageSize`` halves it (down to 1) and retries the
        same page; the size that worked is kept for later walks. A repeated token ends the walk
        with a warning rather than looping.
        """
        seen: set[str] = set()
        token: str | None = None
        while True:
            size = self.active_page_size
            try:
                page = await self.active_numbers(
                    region_code=region_code, type=type, page_size=size, page_token=token
                )
            except SinchBadRequestError as exc:
                if size <= 1 or not _refuses_page_size(exc):
                    raise
                self.active_page_size = max(1, size // 2)
                _log.warning(
                    "Sinch refused activeNumbers pageSize=%d; retrying with %d",
                    size,
                    self.active_page_size,
                )
                continue
            yield page
            token = page.next_page_token
            if not token:
                return
            if token in seen:
                _log.warning("Sinch repeated an activeNumbers page token; stopping")
                return
            seen.add(token)

    async def _get(
        self, endpoint: Endpoint, resource: str, params: _Params, model: type[_Model]
    ) -> _Model:
        """One operation: GET with retries inside the budget, then parse the 2xx body."""
        path = f"{self._prefix}/{resource}"
        deadline = self._clock.now() + self._budget
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self._attempt(endpoint, path, params, deadline)
            except _BudgetSpent:
                raise SinchTimeoutError(
                    f"Sinch did not answer {endpoint} within the {self._budget:g} s budget"
                ) from None
            except SinchError as exc:
                delay = self._retry_delay(exc, attempt, deadline)
                if delay is None:
                    raise
                _log.info(
                    "Sinch GET %s -> %s; retry %d/%d in %.2f s",
                    path,
                    _outcome_of(exc),
                    attempt + 1,
                    self._max_attempts,
                    delay,
                )
                await self._clock.sleep(delay)
                continue
            return _parse(endpoint, response, model)

    async def _attempt(
        self,
        endpoint: Endpoint,
        path: str,
        params: _Params,
        deadline: float,
        *,
        method: str = "GET",
        body: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """Send the request once; return a 2xx response or raise the mapped error."""
        started = self._clock.now()
        outcome = "cancelled"
        # Bound the whole attempt (token wait, connect, read) by what is left of the budget:
        # httpx timeouts apply per phase and can add up past it.
        scope = asyncio.timeout(deadline - started)
        try:
            try:
                async with scope:
                    if method == "GET":
                        response = await self._http.get(self._url(path, tuple(params)))
                    else:
                        response = await self._http.request(method, path, json=body)
            except TimeoutError as exc:
                outcome = "timeout"
                if scope.expired():
                    raise _BudgetSpent from None
                raise SinchTimeoutError(f"Sinch did not answer {endpoint} in time") from exc
            except httpx.TimeoutException as exc:
                outcome = "timeout"
                raise SinchTimeoutError(f"Sinch did not answer {endpoint} in time") from exc
            except httpx.TransportError as exc:
                outcome = "connection_error"
                # The type name is enough to diagnose; httpx's text could grow a URL one day.
                raise SinchConnectionError(
                    f"could not reach Sinch for {endpoint} ({type(exc).__name__})"
                ) from exc
            except httpx.RequestError as exc:
                # Undecodable content or redirect loops: the upstream answered, but nonsense.
                outcome = "unexpected_response"
                raise _unexpected(endpoint, type(exc).__name__) from exc
            except SinchConnectionError as exc:
                # Raised by the token provider inside the auth flow: passed through unchanged.
                outcome = "timeout" if isinstance(exc, SinchTimeoutError) else "connection_error"
                raise
            except SinchAuthError:
                outcome = "auth_error"
                raise
            outcome = str(response.status_code)
        finally:
            if self._on_call is not None:
                self._on_call(endpoint, outcome, self._clock.now() - started)
        if response.is_success:
            return response
        raise _error_from_response(endpoint, response)

    def _retry_delay(self, exc: SinchError, attempt: int, deadline: float) -> float | None:
        """Seconds to sleep before the next attempt, or None to give up with ``exc``."""
        retryable = isinstance(
            exc, SinchRateLimitedError | SinchUnavailableError | SinchConnectionError
        )
        # The token provider retries its endpoint on its own schedule and fails fast meanwhile:
        # retrying here would only delay the user's answer by the backoff.
        if isinstance(exc, TokenUnavailableError):
            retryable = False
        if not retryable or attempt >= self._max_attempts:
            return None
        delay = backoff_delay(attempt, rng=self._rng)
        if isinstance(exc, SinchApiError) and exc.retry_after is not None:
            delay = max(delay, exc.retry_after)
        # Sleeping past the budget only to fail later helps nobody: give up now instead.
        if delay >= deadline - self._clock.now():
            return None
        return delay


def _path_number(phone_number: str) -> str:
    """The number as a path segment; refuses anything but E.164 (callers validate first)."""
    if not _E164.fullmatch(phone_number):
        raise ValueError("phone_number must be in E.164 form, e.g. +12065550100")
    return phone_number


def _refuses_page_size(exc: SinchBadRequestError) -> bool:
    """A 400 INVALID_ARGUMENT that names pageSize (in a field violation or the message)."""
    if exc.status not in (None, "INVALID_ARGUMENT"):
        return False
    if any(v.field == "pageSize" for v in exc.violations):
        return True
    return "pagesize" in exc.message.lower()


def _parse(endpoint: Endpoint, response: httpx.Response, model: type[_Model]) -> _Model:
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        # Locations and error types only: the input values are response data, kept out of logs.
        _log.warning(
            "unexpected %s response: %d error(s), first at %s (%s)",
            endpoint,
            exc.error_count(),
            ".".join(str(part) for part in first["loc"]) or "<root>",
            first["type"],
        )
        raise _unexpected(endpoint, f"HTTP {response.status_code} body not understood") from None


def _unexpected(endpoint: Endpoint, detail: str) -> SinchApiError:
    return SinchApiError(
        f"unexpected response to {endpoint} ({detail})", status_code=UNEXPECTED_RESPONSE_STATUS
    )


def _error_from_response(endpoint: Endpoint, response: httpx.Response) -> SinchError:
    """Map a non-2xx answer to the bot's exception, keeping Sinch's message and status."""
    code = response.status_code
    if code == 401:
        # SinchAuth already refreshed and resent once; the body is undocumented and not shown.
        return SinchAuthError(f"Sinch rejected the access token for {endpoint} (HTTP 401)")
    message, status, violations = _parse_envelope(response)
    retry_after = None
    if code == 429 or code >= 500:
        retry_after = parse_retry_after(response.headers.get("Retry-After"), now=datetime.now(UTC))
    if code >= 500:
        error_class: type[SinchApiError] = SinchUnavailableError
    else:
        error_class = _STATUS_ERRORS.get(code, SinchApiError)
    return error_class(
        message,
        status_code=code,
        status=status,
        violations=violations,
        retry_after=retry_after,
    )


def _parse_envelope(
    response: httpx.Response,
) -> tuple[str, str | None, tuple[FieldViolation, ...]]:
    """Read ``{"error": {"message", "status", "details"}}``, tolerating any other body."""
    fallback = response.reason_phrase or f"HTTP {response.status_code}"
    try:
        body: Any = response.json()
    except ValueError:  # not JSON, or not decodable text
        return fallback, None, ()
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return fallback, None, ()
    message = _clean(error.get("message"), MAX_MESSAGE_CHARS) or fallback
    status = _clean(error.get("status"), _MAX_STATUS_CHARS)
    return message, status, _field_violations(error.get("details"))


def _field_violations(details: object) -> tuple[FieldViolation, ...]:
    if not isinstance(details, list):
        return ()
    violations: list[FieldViolation] = []
    for detail in details:
        entries = detail.get("fieldViolations") if isinstance(detail, dict) else None
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            description = _clean(entry.get("description"), MAX_MESSAGE_CHARS)
            if description is None:
                continue
            field = _clean(entry.get("field"), _MAX_STATUS_CHARS) or ""
            violations.append(FieldViolation(field=field, description=description))
    return tuple(violations[:_MAX_VIOLATIONS])


def _clean(value: object, limit: int) -> str | None:
    """A single-line, length-capped version of a string from the wire; None if not a string."""
    if not isinstance(value, str):
        return None
    # Collapse newlines and drop control characters: the text ends up in log lines and in Slack.
    text = "".join(ch for ch in _WHITESPACE.sub(" ", value) if ch.isprintable()).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text or None


def _outcome_of(exc: SinchError) -> str:
    if isinstance(exc, SinchApiError):
        return str(exc.status_code)
    if isinstance(exc, SinchTimeoutError):
        return "timeout"
    return "connection_error"
