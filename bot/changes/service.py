"""Renting and releasing one number: the policy, the spend guards and the truthful outcome.

Money moves at most once per call here, and never blindly:

- ``rent`` re-reads the number's price from Sinch (``GET availableNumbers/{n}``) right before
  renting, refuses it above the ceiling (or above the price an approver saw), then sends ONE
  ``:rent``. If that times out, fails to connect or gets a 5xx, Sinch may or may not have acted:
  the number is read back (``GET activeNumbers/{n}``) and the answer is "rented", "not rented"
  or "unknown", never "failed" for a number that is in fact rented.
- Sinch is the source of truth across instances: a number already rented answers 404 to
  ``:rent``, and the read-back then says whether THIS project holds it.
- Within one process, concurrent calls for one number share one operation (``SingleFlight``):
  two approvals clicked at once cause one ``:rent`` call.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Final, Literal, TypeVar

from bot.core.errors import (
    SinchApiError,
    SinchConnectionError,
    SinchError,
    SinchNotFoundError,
    SinchPermissionError,
    SinchUnavailableError,
    TokenUnavailableError,
)
from bot.core.money import Money
from bot.ops.config import Settings
from bot.sinch.client import UNEXPECTED_RESPONSE_STATUS, SinchClient
from bot.sinch.models import (
    ActiveNumber,
    AvailableNumber,
    RentRequest,
    SmsConfiguration,
    VoiceConfiguration,
)

log = logging.getLogger(__name__)

ChangeAction = Literal["rent", "release"]

Outcome = Literal[
    "rented",  # this call rented it
    "already_rented",  # this project already held it (an earlier or concurrent rent)
    "not_available",  # nobody may rent it now (404), and this project does not hold it
    "over_ceiling",  # monthly price above RENT_MAX_MONTHLY_PRICE
    "price_changed",  # monthly price rose above what the requester or approver saw
    "price_unknown",  # Sinch gave no monthly price: never rent blind
    "setup_over_ceiling",  # one-off setup price above RENT_MAX_SETUP_PRICE
    "setup_price_changed",  # setup price rose above what the requester or approver saw
    "setup_price_unknown",  # Sinch gave no setup price: never rent blind
    "refused",  # Sinch said no (403, e.g. a trial account)
    "rejected",  # Sinch refused the request (400 such as no credit, 429, 401): not done
    "not_rented",  # after an unclear answer, the read-back shows it is not rented
    "released",  # this call released it (or the read-back shows a release scheduled)
    "already_releasing",  # a release was already scheduled
    "not_released",  # after an unclear answer, the read-back shows no release
    "not_held",  # release of a number this project does not rent
    "unknown",  # the read-back failed too: check with `show`
    "sinch_error",  # a read before any change failed: nothing was changed
]
# The outcomes after which the project holds the number / has a release scheduled.
DONE: Final = frozenset({"rented", "already_rented", "released", "already_releasing"})
# What a call that joined another's rent or release was told, since it did not do it itself.
_JOINED: Final[dict[Outcome, Outcome]] = {
    "rented": "already_rented",
    "released": "already_releasing",
}


@dataclass(frozen=True)
class RentPolicy:
    """Who may rent and release, who approves, and the price ceiling (from RENT_* settings)."""

    enabled: bool = False
    allowed_user_ids: frozenset[str] = frozenset()
    approver_ids: frozenset[str] = frozenset()
    approval_channel: str | None = None
    max_monthly_price: Decimal = Decimal("10")
    max_setup_price: Decimal = Decimal("50")

    @classmethod
    def from_settings(cls, settings: Settings) -> RentPolicy:
        return cls(
            enabled=settings.rent_enabled,
            allowed_user_ids=_ids(settings.rent_allowed_user_ids),
            approver_ids=_ids(settings.rent_approver_ids),
            approval_channel=(settings.rent_approval_channel or "").strip() or None,
            max_monthly_price=settings.rent_max_monthly_price,
            max_setup_price=settings.rent_max_setup_price,
        )

    @property
    def needs_approval(self) -> bool:
        return bool(self.approver_ids)

    def may_request(self, user_id: str) -> bool:
        """Enabled, and the user is listed: an empty list means nobody."""
        return self.enabled and user_id in self.allowed_user_ids

    def may_decide(self, approver_id: str, requester_id: str) -> bool:
        """An approver, and never the requester (four eyes)."""
        return approver_id in self.approver_ids and approver_id != requester_id

    def may_cancel(self, user_id: str, requester: str | None) -> bool:
        """The person who asked, or an approver (a request without its asker: approvers only)."""
        return (requester is not None and user_id == requester) or user_id in self.approver_ids

    def within_ceiling(self, price: Money | None) -> bool:
        return price is not None and price.amount <= self.max_monthly_price

    def within_setup_ceiling(self, price: Money | None) -> bool:
        return price is not None and price.amount <= self.max_setup_price

    def allows_offer(self, offer: AvailableNumber) -> bool:
        """Both prices known and within their ceilings (a Rent button is worth showing)."""
        return self.within_ceiling(offer.monthly_price) and self.within_setup_ceiling(
            offer.setup_price
        )

    def price_refusal(
        self, offer: AvailableNumber, *, seen: Prices | None = None
    ) -> ChangeResult | None:
        """Why ``offer`` may not be rented at its current prices, else None: each price known,
        within its ceiling, and no dearer than what the requester (or approver) saw."""
        number = offer.phone_number
        monthly, setup = offer.monthly_price, offer.setup_price

        def refused(outcome: Outcome, limit: Decimal | None = None) -> ChangeResult:
            return ChangeResult(
                "rent", number, outcome, price=monthly, setup_price=setup, limit=limit
            )

        if monthly is None:
            return refused("price_unknown")
        if not self.within_ceiling(monthly):
            return refused("over_ceiling", self.max_monthly_price)
        if setup is None:
            return refused("setup_price_unknown")
        if not self.within_setup_ceiling(setup):
            return refused("setup_over_ceiling", self.max_setup_price)
        if seen is not None and seen.monthly is not None and dearer_than(monthly, seen.monthly):
            return refused("price_changed")
        if seen is not None and seen.setup is not None and dearer_than(setup, seen.setup):
            return refused("setup_price_changed")
        return None


@dataclass(frozen=True)
class Prices:
    """The prices someone was shown and agreed to (None: not shown, so only the ceiling holds)."""

    monthly: Money | None = None
    setup: Money | None = None

    @classmethod
    def of(cls, offer: AvailableNumber) -> Prices:
        return cls(monthly=offer.monthly_price, setup=offer.setup_price)


@dataclass(frozen=True)
class RentConfig:
    """The configuration sent with each rent (SMS_SERVICE_PLAN_ID, VOICE_APP_ID, …)."""

    sms_service_plan_id: str | None = None
    voice_app_id: str | None = None
    callback_url: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> RentConfig:
        return cls(
            sms_service_plan_id=_blank_is_none(settings.sms_service_plan_id),
            voice_app_id=_blank_is_none(settings.voice_app_id),
            callback_url=_blank_is_none(settings.number_callback_url),
        )

    def request_for(self, capabilities: tuple[str, ...]) -> RentRequest:
        """SMS/voice configuration only for a number that has that capability."""
        sms = voice = None
        if self.sms_service_plan_id and "SMS" in capabilities:
            sms = SmsConfiguration(service_plan_id=self.sms_service_plan_id)
        if self.voice_app_id and "VOICE" in capabilities:
            voice = VoiceConfiguration(type="RTC", app_id=self.voice_app_id)
        return RentRequest(
            sms_configuration=sms, voice_configuration=voice, callback_url=self.callback_url
        )


@dataclass(frozen=True)
class ChangeResult:
    """What happened to one rent or release, as far as Sinch says."""

    action: ChangeAction
    number: str
    outcome: Outcome
    # The number as Sinch shows it afterwards (when known), and the monthly price involved.
    active: ActiveNumber | None = None
    price: Money | None = None
    # A rent's one-off setup price, and the ceiling an over_ceiling outcome went over.
    setup_price: Money | None = None
    limit: Decimal | None = None
    # What Sinch answered, when that explains the outcome.
    error: SinchError | None = None

    @property
    def done(self) -> bool:
        return self.outcome in DONE


_T = TypeVar("_T")


class SingleFlight:
    """One operation per number at a time in this process; the same action joins it.

    A second ``rent`` of a number while one is in flight gets the first one's result without
    another Sinch call; a ``release`` waits for an in-flight ``rent`` (and vice versa), then runs.
    """

    def __init__(self) -> None:
        self._inflight: dict[str, tuple[str, asyncio.Future[Any]]] = {}
        self.joined = 0

    async def run(self, key: str, action: str, work: Callable[[], Awaitable[_T]]) -> _T:
        while (current := self._inflight.get(key)) is not None:
            running, future = current
            if running == action:
                self.joined += 1
                # shield: a joiner being cancelled must not cancel the shared operation.
                result: _T = await asyncio.shield(future)
                return result
            await asyncio.wait([future])
        future = asyncio.get_running_loop().create_future()
        # Retrieve the exception even when nobody joined, so asyncio does not log it as lost.
        future.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._inflight[key] = (action, future)
        try:
            value = await work()
        except BaseException as exc:
            future.set_exception(exc)
            raise
        else:
            future.set_result(value)
            return value
        finally:
            del self._inflight[key]


class NumberChanges:
    """Rent, release and show one number. Front ends (Slack, CLI) check who may ask."""

    def __init__(
        self,
        *,
        client: SinchClient,
        policy: RentPolicy,
        config: RentConfig | None = None,
        flights: SingleFlight | None = None,
    ) -> None:
        self._client = client
        self.policy = policy
        self._config = config or RentConfig()
        self.flights = flights or SingleFlight()

    async def show(self, number: str) -> ActiveNumber | None:
        """The number as this project rents it; None when it does not (404)."""
        try:
            return await self._client.active_number(number)
        except SinchNotFoundError:
            return None

    async def quote(self, number: str) -> AvailableNumber | None:
        """The number's offer (prices, documents); None when it is not for rent (404)."""
        try:
            return await self._client.available_number(number)
        except SinchNotFoundError:
            return None

    async def rent(self, number: str, *, approved: Prices | None = None) -> ChangeResult:
        """Rent ``number`` if it is for rent within the ceilings and no dearer than ``approved``."""
        return await self._once(number, "rent", lambda: self._rent(number, approved))

    async def release(self, number: str) -> ChangeResult:
        return await self._once(number, "release", lambda: self._release(number))

    async def _once(
        self, number: str, action: ChangeAction, work: Callable[[], Awaitable[ChangeResult]]
    ) -> ChangeResult:
        """Run ``work`` or join the same action in flight. A joiner is told what is true for it:
        the number was rented (or its release scheduled) by another call, not by this one, so
        audit lines and metrics count one "rented" / "released" per call Sinch answered."""
        led = False

        async def lead() -> ChangeResult:
            nonlocal led
            led = True
            return await work()

        result = await self.flights.run(number, action, lead)
        if not led and result.outcome in _JOINED:
            return replace(result, outcome=_JOINED[result.outcome])
        return result

    async def _rent(self, number: str, approved: Prices | None) -> ChangeResult:
        def result(outcome: Outcome, **kw: Any) -> ChangeResult:
            return ChangeResult(action="rent", number=number, outcome=outcome, **kw)

        try:
            offer = await self.quote(number)
            if offer is None:
                held = await self.show(number)
                if held is not None:
                    return result("already_rented", active=held, price=held.money)
                return result("not_available")
        except SinchError as err:
            return result("sinch_error", error=err)
        refusal = self.policy.price_refusal(offer, seen=approved)
        if refusal is not None:
            return refusal
        price = offer.monthly_price
        assert price is not None  # price_refusal made sure
        try:
            active = await self._client.rent_number(
                number, self._config.request_for(offer.capability)
            )
        except SinchNotFoundError as err:
            # Gone between the quote and the rent: perhaps to another instance's click.
            return await self._read_back_rent(number, price, err, unclear=False)
        except SinchPermissionError as err:
            return result("refused", price=price, error=err)
        except SinchError as err:
            if _unclear(err):
                log.warning("rent of %s got an unclear answer (%s); reading it back", number, err)
                return await self._read_back_rent(number, price, err, unclear=True)
            return result("rejected", price=price, error=err)
        return result("rented", active=active, price=price)

    async def _read_back_rent(
        self, number: str, price: Money, err: SinchError, *, unclear: bool
    ) -> ChangeResult:
        try:
            held = await self.show(number)
        except SinchError as read_err:
            log.warning("read-back of %s failed: %s", number, type(read_err).__name__)
            return ChangeResult("rent", number, "unknown", price=price, error=err)
        if held is None:
            outcome: Outcome = "not_rented" if unclear else "not_available"
            return ChangeResult("rent", number, outcome, price=price, error=err)
        # Held now: by this call (its answer was lost) or by a concurrent one.
        return ChangeResult(
            "rent", number, "rented" if unclear else "already_rented", active=held, price=price
        )

    async def _release(self, number: str) -> ChangeResult:
        def result(outcome: Outcome, **kw: Any) -> ChangeResult:
            return ChangeResult(action="release", number=number, outcome=outcome, **kw)

        try:
            held = await self.show(number)
        except SinchError as err:
            return result("sinch_error", error=err)
        if held is None:
            return result("not_held")
        # Even when expireAt is set: Sinch decides whether there is anything left to release,
        # and its answer (the number with its end date, or an error) is what the user is told.
        try:
            active = await self._client.release_number(number)
        except SinchNotFoundError:
            return result("not_held", price=held.money)
        except SinchError as err:
            if not _unclear(err):
                refused = isinstance(err, SinchPermissionError)
                return result("refused" if refused else "rejected", price=held.money, error=err)
            log.warning("release of %s got an unclear answer (%s); reading it back", number, err)
            try:
                after = await self.show(number)
            except SinchError:
                return result("unknown", price=held.money, error=err)
            if after is None:
                return result("released", price=held.money)
            if after.expire_at is not None and after.expire_at != held.expire_at:
                return result("released", active=after, price=held.money)
            if after.expire_at is not None:
                # It had this end date before: the read-back cannot tell whether Sinch acted.
                return result("unknown", active=after, price=held.money, error=err)
            return result("not_released", active=after, price=held.money, error=err)
        return result("released", active=active, price=held.money)


def dearer_than(price: Money, seen: Money) -> bool:
    """Whether ``price`` is more than the price someone agreed to (another currency counts)."""
    return price.currency_code != seen.currency_code or price.amount > seen.amount


def _unclear(err: SinchError) -> bool:
    """Whether Sinch may have acted although we got no success: time-outs, resets, 5xx."""
    if isinstance(err, TokenUnavailableError):
        return False  # no token: the request was never sent
    if isinstance(err, SinchConnectionError | SinchUnavailableError):
        return True
    # A 2xx we could not parse: the change most likely happened.
    return isinstance(err, SinchApiError) and err.status_code == UNEXPECTED_RESPONSE_STATUS


def _ids(value: str) -> frozenset[str]:
    return frozenset(part.strip() for part in value.split(",") if part.strip())


def _blank_is_none(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None
