"""Sandbox state: its fictional credentials, issued tokens, counters and injected faults."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import Counter, deque
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Literal

from bot.core.clock import Clock, MonotonicClock
from bot.sandbox.catalog import CATALOG, NEW_STOCK_PREFIX, Catalog, Offer, fresh_offer
from bot.sandbox.queries import MAX_SIZE as DEFAULT_MAX_PAGE_SIZE
from bot.sandbox.rentals import Rentals
from bot.sandbox.seeding import seeded_rentals

# Public and fictional on purpose: they unlock nothing but this sandbox.
SANDBOX_PROJECT_ID = "sandbox-project"
SANDBOX_KEY_ID = "sandbox-key-id"
SANDBOX_KEY_SECRET = "sandbox-key-secret"

NUMBERS_ENDPOINTS = ("availableNumbers", "availableRegions", "activeNumbers")

FaultTarget = Literal["token", "numbers"]
TokenStatus = Literal["valid", "expired", "unknown"]
_TARGETS: tuple[FaultTarget, ...] = ("token", "numbers")


@dataclass(frozen=True)
class SandboxConfig:
    """How the sandbox behaves. ``latency`` is added before every Numbers API answer."""

    token_lifetime: int = 3600
    latency: float = 0.0
    token_latency: float = 0.0
    # Seed the project with this many generated rentals instead of the catalog's (None: keep).
    active_count: int | None = None
    # activeNumbers answers 400 INVALID_ARGUMENT above this pageSize.
    max_page_size: int = DEFAULT_MAX_PAGE_SIZE

    def __post_init__(self) -> None:
        if self.token_lifetime < 1:
            raise ValueError("token_lifetime must be at least 1 second")
        if self.latency < 0 or self.token_latency < 0:
            raise ValueError("latencies cannot be negative")
        if self.active_count is not None and self.active_count < 0:
            raise ValueError("the active count cannot be negative")
        if self.max_page_size < 1:
            raise ValueError("max_page_size must be at least 1")


@dataclass(frozen=True)
class Fault:
    """One injected misbehaviour; see ``SandboxState.inject``."""

    status: int | None = None
    times: int | None = 1
    duration: float | None = None
    delay: float | None = None
    retry_after: str | None = None
    reset_connection: bool = False

    def __post_init__(self) -> None:
        if self.status is not None and not 400 <= self.status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be at least 1 (or None for no limit)")
        if self.duration is not None and self.duration <= 0:
            raise ValueError("duration must be positive (or None for no limit)")
        if self.delay is not None and self.delay < 0:
            raise ValueError("delay cannot be negative")
        if self.status is not None and self.reset_connection:
            raise ValueError("a fault either answers with a status or resets, not both")
        if self.retry_after is not None:
            if self.status is None:
                raise ValueError("retry_after needs a status to go with")
            # The value becomes a header: refuse anything that could split it.
            if not self.retry_after.strip() or any(c in self.retry_after for c in "\r\n"):
                raise ValueError("retry_after must be a non-empty single-line header value")
        if self.status is None and not self.reset_connection and not self.delay:
            raise ValueError("a fault needs a status, a delay or reset_connection")


@dataclass
class _Pending:
    fault: Fault
    remaining: int | None
    started_at: float | None = None


class SandboxState:
    """Everything the sandbox remembers. One per server; not shared between event loops.

    Tokens are stored as SHA-256 digests only, so not even a debugger's repr shows one.
    """

    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        clock: Clock | None = None,
        catalog: Catalog = CATALOG,
        today: date | None = None,
    ) -> None:
        self.config = config or SandboxConfig()
        # Replaced (never mutated) by rents and releases: see bot.sandbox.rentals.
        self.catalog = catalog
        self.rentals = Rentals()
        self.project_id = SANDBOX_PROJECT_ID
        # Charge dates of rented numbers are computed from this day.
        self.today = today or datetime.now(UTC).date()
        if self.config.active_count is not None:
            self.seed_active(self.config.active_count)
        self._clock = clock or MonotonicClock()
        self._tokens: dict[str, float] = {}
        self._faults: dict[FaultTarget, deque[_Pending]] = {t: deque() for t in _TARGETS}
        self.token_fetches = 0
        self.tokens_issued = 0
        self.numbers_calls: Counter[str] = Counter(dict.fromkeys(NUMBERS_ENDPOINTS, 0))
        self.numbers_unauthorized = 0

    def __repr__(self) -> str:
        return (
            f"SandboxState(token_fetches={self.token_fetches}, "
            f"numbers_calls={dict(self.numbers_calls)}, tokens={len(self._tokens)})"
        )

    # Credentials and tokens

    @staticmethod
    def check_key(key_id: str, key_secret: str) -> bool:
        id_ok = hmac.compare_digest(key_id.encode(), SANDBOX_KEY_ID.encode())
        secret_ok = hmac.compare_digest(key_secret.encode(), SANDBOX_KEY_SECRET.encode())
        return id_ok and secret_ok

    def issue_token(self) -> str:
        """A new random opaque bearer token valid for ``config.token_lifetime`` seconds."""
        token = secrets.token_urlsafe(32)
        self._tokens[_digest(token)] = self._clock.now() + self.config.token_lifetime
        self.tokens_issued += 1
        return token

    def check_token(self, token: str) -> TokenStatus:
        expires_at = self._tokens.get(_digest(token))
        if expires_at is None:
            return "unknown"
        return "valid" if self._clock.now() < expires_at else "expired"

    def revoke_all_tokens(self) -> int:
        """Forget every issued token; they are then answered like unknown ones. Returns how many."""
        count = len(self._tokens)
        self._tokens.clear()
        return count

    @property
    def valid_tokens(self) -> int:
        now = self._clock.now()
        return sum(1 for expires_at in self._tokens.values() if now < expires_at)

    # Faults

    def inject(
        self,
        target: FaultTarget,
        *,
        status: int | None = None,
        times: int | None = 1,
        duration: float | None = None,
        delay: float | None = None,
        retry_after: str | None = None,
        reset_connection: bool = False,
    ) -> Fault:
        """Queue a fault for the next requests to ``target`` ("token" or "numbers").

        Faults of one target apply in the order injected. A fault applies to ``times``
        requests (None: no limit) and, when ``duration`` is set, only for that many seconds
        from the first request it applies to; whichever runs out first retires it. It waits
        ``delay`` seconds, then answers ``status`` (with ``Retry-After`` if given), or resets
        the connection, or, with only a delay, answers normally.
        """
        fault = Fault(
            status=status,
            times=times,
            duration=duration,
            delay=delay,
            retry_after=retry_after,
            reset_connection=reset_connection,
        )
        self.add_fault(target, fault)
        return fault

    def add_fault(self, target: FaultTarget, fault: Fault) -> None:
        """Queue an already built fault (``inject`` is the keyword-argument form)."""
        if target not in _TARGETS:
            raise ValueError(f"target must be one of {', '.join(_TARGETS)}")
        self._faults[target].append(_Pending(fault, remaining=fault.times))

    def clear_faults(self, target: FaultTarget | None = None) -> None:
        for name in _TARGETS if target is None else (target,):
            self._faults[name].clear()

    def take_fault(self, target: FaultTarget) -> Fault | None:
        """The fault that applies to this request, if any, counting it as used."""
        queue = self._faults[target]
        now = self._clock.now()
        while queue:
            pending = queue[0]
            if pending.started_at is None:
                pending.started_at = now
            duration = pending.fault.duration
            if duration is not None and now - pending.started_at >= duration:
                queue.popleft()
                continue
            if pending.remaining is not None:
                pending.remaining -= 1
                if pending.remaining == 0:
                    queue.popleft()
            return pending.fault
        return None

    def pending_faults(self) -> dict[FaultTarget, int]:
        return {target: len(self._faults[target]) for target in _TARGETS}

    # Rented numbers

    def seed_active(self, count: int) -> int:
        """Replace the project's rentals with ``count`` generated ones; offers stay as they are."""
        self.catalog = replace(
            self.catalog, rentals=seeded_rentals(count, self.catalog, self.today)
        )
        return len(self.catalog.rentals)

    # New stock

    def add_offer(self, prefix: str = NEW_STOCK_PREFIX) -> Offer | None:
        """Put one more number up for rent (None: the ranges under ``prefix`` are used up).

        It is listed first in its region and type, as fresh stock: a search that matches more
        numbers than it asks for (30 per area) still sees it, so a watch can be shown.
        """
        offer = fresh_offer(self.catalog, prefix)
        if offer is not None:
            self.catalog = replace(self.catalog, offers=(offer, *self.catalog.offers))
        return offer

    # Counters

    def count_numbers_call(self, endpoint: str) -> None:
        self.numbers_calls[endpoint] += 1

    def stats(self) -> dict[str, object]:
        """The counters as JSON-ready data (what ``GET /_sandbox/stats`` answers)."""
        return {
            "token_fetches": self.token_fetches,
            "tokens_issued": self.tokens_issued,
            "valid_tokens": self.valid_tokens,
            "numbers_calls": dict(self.numbers_calls),
            "numbers_calls_total": sum(self.numbers_calls.values()),
            "numbers_unauthorized": self.numbers_unauthorized,
            "pending_faults": self.pending_faults(),
        }


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
