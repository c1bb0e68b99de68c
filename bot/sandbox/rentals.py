"""The sandbox's rent, release and one-number reads, with Sinch's semantics and error shapes.

State lives in the catalogue the other endpoints read (``SandboxState.catalog`` is replaced
with a new frozen ``Catalog`` on every change): a rented number leaves ``availableNumbers`` and
appears in ``activeNumbers``; a release sets ``expireAt`` to the next charge date and the number
stays active until then. A second rent of a number gets 404 ``NOT_FOUND`` (``AvailableNumber``).

Rent faults (``POST /_sandbox/rent_faults``) make the truthful-outcome path testable:
``timeout_after_commit`` rents, then holds the answer for ``delay`` seconds (the client times
out although the number is rented); ``trial_account`` answers 403; ``no_credit`` answers 400.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Final, Literal

from bot.core.domain import Capability
from bot.sandbox.catalog import Catalog, Offer, Rental

RentFaultKind = Literal["timeout_after_commit", "trial_account", "no_credit"]
RENT_FAULT_KINDS: Final[tuple[RentFaultKind, ...]] = (
    "timeout_after_commit",
    "trial_account",
    "no_credit",
)
# Longer than the bot's 4 s read timeout; cut short when the sandbox shuts down.
DEFAULT_COMMIT_DELAY = 30.0


class SandboxApiError(Exception):
    """An answer in Sinch's error envelope: status, message and ``details``."""

    def __init__(
        self, status: int, message: str, details: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details or []


def not_found(resource_type: str, number: str) -> SandboxApiError:
    detail = {
        "type": "ResourceInfo",
        "resourceType": resource_type,
        "resourceName": number,
        "owner": "",
        "description": "",
    }
    return SandboxApiError(404, f"{resource_type} not found", [detail])


@dataclass(frozen=True)
class RentFault:
    kind: RentFaultKind
    delay: float = DEFAULT_COMMIT_DELAY

    def __post_init__(self) -> None:
        if self.kind not in RENT_FAULT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(RENT_FAULT_KINDS)}")
        if self.delay < 0:
            raise ValueError("delay cannot be negative")


@dataclass(frozen=True)
class RentAnswer:
    """What the rent endpoint answers, and for how long it holds the answer first."""

    body: dict[str, object]
    delay: float = 0.0


class Rentals:
    """Rent, release and the one-number reads over a catalogue that changes with them."""

    def __init__(self) -> None:
        self.faults: deque[RentFault] = deque()
        self.rents = 0
        self.releases = 0

    def add_fault(self, fault: RentFault) -> None:
        self.faults.append(fault)

    @staticmethod
    def available(catalog: Catalog, number: str) -> dict[str, object]:
        offer = _offer(catalog, number)
        if offer is None:
            raise not_found("AvailableNumber", number)
        return offer.to_wire()

    @staticmethod
    def active(catalog: Catalog, number: str, project_id: str, today: date) -> dict[str, object]:
        rental = _rental(catalog, number)
        if rental is None:
            raise not_found("ActiveNumber", number)
        return rental.to_wire(project_id, today)

    def rent(
        self, catalog: Catalog, number: str, body: bytes, *, project_id: str, today: date
    ) -> tuple[Catalog, RentAnswer]:
        """The new catalogue and the answer; raises SandboxApiError (nothing changes then)."""
        request = _json_object(body)
        fault = self.faults.popleft() if self.faults else None
        if fault is not None and fault.kind == "trial_account":
            raise SandboxApiError(
                403,
                "Trial account is not enabled to rent number",
                [
                    {
                        "type": "ResourceInfo",
                        "resourceType": "AvailableNumber",
                        "resourceName": number,
                    }
                ],
            )
        if fault is not None and fault.kind == "no_credit":
            raise SandboxApiError(400, "Not enough credit to rent number")
        offer = _offer(catalog, number)
        if offer is None:
            raise not_found("AvailableNumber", number)
        rental = _rental_of(offer, request, today)
        changed = replace(
            catalog,
            offers=tuple(o for o in catalog.offers if o.phone_number != number),
            rentals=tuple(sorted((*catalog.rentals, rental), key=lambda r: r.phone_number)),
        )
        self.rents += 1
        delay = fault.delay if fault is not None else 0.0
        return changed, RentAnswer(rental.to_wire(project_id, today), delay)

    def release(
        self, catalog: Catalog, number: str, *, project_id: str, today: date
    ) -> tuple[Catalog, dict[str, object]]:
        rental = _rental(catalog, number)
        if rental is None:
            raise not_found("ActiveNumber", number)
        if rental.expire_at is None:
            rental = replace(rental, expire_at=rental.next_charge_date(today))
            self.releases += 1
        changed = replace(
            catalog,
            rentals=tuple(rental if r.phone_number == number else r for r in catalog.rentals),
        )
        return changed, rental.to_wire(project_id, today)


def _offer(catalog: Catalog, number: str) -> Offer | None:
    return next((o for o in catalog.offers if o.phone_number == number), None)


def _rental(catalog: Catalog, number: str) -> Rental | None:
    return next((r for r in catalog.rentals if r.phone_number == number), None)


def _json_object(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except ValueError:
        raise SandboxApiError(400, "the request body is not JSON") from None
    if not isinstance(data, dict):
        raise SandboxApiError(400, "the request body must be a JSON object")
    return data


def _text(data: dict[str, Any], outer: str, inner: str) -> str:
    value = data.get(outer)
    field = value.get(inner) if isinstance(value, dict) else None
    return field if isinstance(field, str) else ""


def _rental_of(offer: Offer, request: dict[str, Any], today: date) -> Rental:
    callback = request.get("callbackUrl")
    return Rental(
        phone_number=offer.phone_number,
        region_code=offer.region_code,
        type=offer.type,
        capabilities=offer.capabilities,
        monthly_price=offer.monthly_price,
        display_name=None,
        # Charged monthly from today (the 29th-31st roll to the 28th, as the catalogue does).
        charge_day=min(today.day, 28),
        sms_service_plan_id=_text(request, "smsConfiguration", "servicePlanId")
        if Capability.SMS.value in offer.capabilities
        else "",
        voice_app_id=_text(request, "voiceConfiguration", "appId")
        if Capability.VOICE.value in offer.capabilities
        else "",
        callback_url=callback if isinstance(callback, str) else "",
    )
