"""/readyz: ready when no check names a reason; a check returns its reason or None."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

ReadinessCheck = Callable[[], str | None]


class _TokenSource(Protocol):
    def is_ready(self) -> bool: ...

    def readiness_reason(self) -> str: ...


def sinch_token_check(provider: _TokenSource) -> ReadinessCheck:
    """The Sinch token: held with more than the mandatory window left."""
    return lambda: None if provider.is_ready() else provider.readiness_reason()


def not_ready_reasons(checks: Iterable[ReadinessCheck]) -> list[str]:
    """Every reason the bot is not ready, in the checks' order; empty when it is."""
    return [reason for check in checks if (reason := check()) is not None]
