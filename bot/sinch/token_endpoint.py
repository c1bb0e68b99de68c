"""One POST to the OAuth2 token endpoint, its answer parsed and its failures classified.

Nothing here keeps state: the provider decides when to call ``request_token``. Messages are
sanitized where they are built: the endpoint's body (which may be the token JSON) is never
logged or echoed; only the status and a well-formed OAuth ``error`` code are.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
from datetime import UTC, datetime
from typing import Final, Literal

import httpx

from bot.core.errors import SinchAuthError, SinchError, TokenTimeoutError, TokenUnavailableError
from bot.sinch.retry import parse_retry_after
from bot.sinch.schedule import DEFAULT_LIFETIME

logger = logging.getLogger(__name__)

FailureKind = Literal["transient", "auth"]

_TRANSIENT_STATUSES: Final = frozenset({408, 429})
_TRANSIENT_OAUTH_ERRORS: Final = frozenset({"server_error", "temporarily_unavailable"})
# OAuth `error` values are short ASCII identifiers; anything else is not echoed anywhere.
_OAUTH_ERROR_CODE = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


class TokenFetchFailed(Exception):
    """A classified token-endpoint failure; the provider records it and raises ``error``."""

    def __init__(
        self,
        error: SinchError,
        kind: FailureKind,
        *,
        oauth_error: str | None = None,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(str(error))
        self.error = error
        self.kind: FailureKind = kind
        self.oauth_error = oauth_error
        self.status_code = status_code
        self.retry_after = retry_after


async def request_token(
    http: httpx.AsyncClient, url: str, auth: httpx.BasicAuth, *, timeout: float
) -> tuple[str, float]:
    """POST client credentials; the access token and its lifetime, or ``TokenFetchFailed``.

    ``timeout`` bounds the whole POST: httpx timeouts apply per phase and can add up.
    """
    try:
        async with asyncio.timeout(timeout):
            response = await http.post(
                url,
                data={"grant_type": "client_credentials"},
                auth=auth,
                headers={"Accept": "application/json"},
            )
    except TimeoutError:
        raise TokenFetchFailed(
            TokenTimeoutError(f"Sinch token endpoint did not answer within {timeout:g} s"),
            "transient",
        ) from None
    except httpx.TimeoutException as exc:
        raise TokenFetchFailed(
            TokenTimeoutError(f"Sinch token endpoint timed out ({type(exc).__name__})"),
            "transient",
        ) from None
    except httpx.RequestError as exc:
        raise TokenFetchFailed(
            TokenUnavailableError(
                f"could not reach the Sinch token endpoint ({type(exc).__name__})"
            ),
            "transient",
        ) from None
    if response.is_success:
        return _parse_token(response)
    raise _classify_error(response)


def _parse_token(response: httpx.Response) -> tuple[str, float]:
    """Access token and lifetime from a 2xx answer. The body is never logged or echoed."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise TokenFetchFailed(
            TokenUnavailableError(
                f"Sinch token endpoint returned an unreadable answer (HTTP {response.status_code})"
            ),
            "transient",
            status_code=response.status_code,
        )
    value = body.get("access_token")
    if not isinstance(value, str) or not value.strip():
        raise TokenFetchFailed(
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
        raise TokenFetchFailed(
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


def _classify_error(response: httpx.Response) -> TokenFetchFailed:
    """Transient (retry with backoff) or non-recoverable (the key is refused)."""
    status = response.status_code
    code = _oauth_error(response)
    suffix = f" {code}" if code else ""
    transient = status in _TRANSIENT_STATUSES or status >= 500 or code in _TRANSIENT_OAUTH_ERRORS
    if not transient and 400 <= status < 500:
        return TokenFetchFailed(
            SinchAuthError(f"Sinch token endpoint refused the key: HTTP {status}{suffix}"),
            "auth",
            oauth_error=code,
            status_code=status,
        )
    error_type = TokenTimeoutError if status in {408, 504} else TokenUnavailableError
    retry_after = None
    if status == 429 or status == 503:
        retry_after = parse_retry_after(response.headers.get("Retry-After"), now=datetime.now(UTC))
    return TokenFetchFailed(
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
