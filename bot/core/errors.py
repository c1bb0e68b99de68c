"""The one exception tree of the bot.

```
BotError                          base; never raised directly
├── ConfigError                   settings missing or malformed; names the variables, never values
├── CommandError                  bad user input; .hint is shown; raised before any Sinch call
├── StoreUnavailableError         the database cannot be reached: nothing was changed
└── SinchError                    anything from the upstream API or its token endpoint
    ├── SinchAuthError            token endpoint refused the key, or 401 after one refresh
    ├── SinchApiError             non-2xx from the Numbers API: .status_code, .status, .message
    │   ├── SinchBadRequestError  400, with .violations (field, description)
    │   ├── SinchNotFoundError    404
    │   ├── SinchRateLimitedError 429, with .retry_after seconds when sent
    │   └── SinchUnavailableError 5xx
    └── SinchConnectionError      connect/read failures and token-wait timeouts
        ├── SinchTimeoutError     the upstream did not answer in time (or the time budget ran out)
        └── TokenUnavailableError no access token: the token endpoint failed (transient)
            └── TokenTimeoutError the token endpoint did not answer in time
```

Messages are sanitized where they are built: no URLs with query strings, no response bodies
from the token endpoint, no secrets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class BotError(Exception):
    """Base class for every error the bot raises on purpose."""


class ConfigError(BotError):
    """Base class for configuration problems found at start-up."""

    def __init__(self, message: str, *, names: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.names = tuple(names)


class CommandError(BotError):
    """Bad user input. ``hint`` is the user-facing explanation, ``usage`` the nearest valid form."""

    def __init__(self, hint: str, *, usage: str | None = None) -> None:
        super().__init__(hint)
        self.hint = hint
        self.usage = usage


class StoreUnavailableError(BotError):
    """The database (DATABASE_URL) could not be reached or answered in time.

    Raised instead of the driver's error, whose text may carry the host or user name; the
    flow refuses the change and sends nothing to Sinch.
    """


class SinchError(BotError):
    """Base class for failures talking to Sinch."""


class SinchAuthError(SinchError):
    """The token endpoint refused our key, or the Numbers API kept answering 401."""


@dataclass(frozen=True)
class FieldViolation:
    field: str
    description: str


class SinchApiError(SinchError):
    """Base class for non-2xx answers of the Numbers API (other than 401)."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        status: str | None = None,
        violations: Sequence[FieldViolation] = (),
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"Sinch answered {status_code}{f' {status}' if status else ''}: {message}")
        self.message = message
        self.status_code = status_code
        self.status = status
        self.violations = tuple(violations)
        self.retry_after = retry_after


class SinchBadRequestError(SinchApiError):
    """400: Sinch rejected the parameters."""


class SinchPermissionError(SinchApiError):
    """403: the key may not do this for this project."""


class SinchNotFoundError(SinchApiError):
    """404: the project or resource does not exist."""


class SinchRateLimitedError(SinchApiError):
    """429: too many requests; ``retry_after`` when Sinch said how long to wait."""


class SinchUnavailableError(SinchApiError):
    """5xx: Sinch is failing or overloaded."""


class SinchConnectionError(SinchError):
    """Base class for transport failures: refused, reset, DNS, and timeouts."""


class SinchTimeoutError(SinchConnectionError):
    """Sinch did not answer in time, or the operation's time budget ran out."""


class TokenUnavailableError(SinchConnectionError):
    """No access token: the token endpoint failed or was unreachable (transient).

    Raised before any Numbers request is sent. Callers should not retry it: the provider retries
    on its own schedule and fails fast meanwhile. Users are told Sinch's sign-in is down, not to
    check the key (that is ``SinchAuthError``). ``retry_after``: seconds until the provider
    may try again, when it knows.
    """

    retry_after: float | None = None


class TokenTimeoutError(TokenUnavailableError, SinchTimeoutError):
    """The token endpoint did not answer in time, or a waiter gave up on the shared fetch."""
