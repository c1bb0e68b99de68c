"""Query parameters of the three Numbers endpoints: validation (400s) and honest filtering."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol, TypeVar

from bot.core.domain import Capability, NumberType, SearchPattern
from bot.sandbox.catalog import Catalog, Offer, Rental

# Neither default is documented by Sinch; these are the sandbox's choices.
DEFAULT_SEARCH_SIZE = 10
DEFAULT_PAGE_SIZE = 10
MAX_SIZE = 1000
_MAX_PATTERN_DIGITS = 15

_REGION_RE = re.compile(r"[A-Z]{2}")
_DIGITS_RE = re.compile(rf"[0-9]{{1,{_MAX_PATTERN_DIGITS}}}")
_START_RE = re.compile(rf"\+[0-9]{{1,{_MAX_PATTERN_DIGITS}}}")
_ORDER_BY = ("phoneNumber", "displayName")

_E = TypeVar("_E", NumberType, Capability, SearchPattern)


class QueryParams(Protocol):
    """The slice of Starlette's ``QueryParams`` used here (a multi-dict)."""

    def get(self, key: str, /) -> str | None: ...

    def getlist(self, key: str) -> list[str]: ...


@dataclass(frozen=True)
class Violation:
    field: str
    description: str


class InvalidArgument(Exception):
    """One or more parameters are malformed: answered with 400 INVALID_ARGUMENT."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = tuple(violations)
        super().__init__("; ".join(v.description for v in self.violations))


@dataclass
class _Checker:
    violations: list[Violation] = field(default_factory=list)

    def fail(self, name: str, description: str) -> None:
        self.violations.append(Violation(name, description))

    def raise_if_any(self) -> None:
        if self.violations:
            raise InvalidArgument(self.violations)

    def region(self, params: QueryParams, *, required: bool) -> str | None:
        value = params.get("regionCode")
        if value is None or value == "":
            if required:
                self.fail("regionCode", "regionCode is required")
            return None
        if not _REGION_RE.fullmatch(value):
            self.fail(
                "regionCode",
                f'parsing field "regionCode": "{value}" is not an ISO 3166-1 alpha-2 code',
            )
            return None
        return value

    def number_type(self, params: QueryParams, *, required: bool) -> NumberType | None:
        value = params.get("type")
        if value is None or value == "":
            if required:
                self.fail("type", "type is required")
            return None
        return self.enum("type", value, NumberType)

    def enum(self, name: str, value: str, kind: type[_E]) -> _E | None:
        try:
            return kind(value)
        except ValueError:
            self.fail(name, f'parsing field "{name}": "{value}" is not a valid value')
            return None

    def capabilities(self, params: QueryParams, name: str) -> frozenset[Capability]:
        found = (self.enum(name, value, Capability) for value in params.getlist(name))
        return frozenset(c for c in found if c is not None)

    def size(self, params: QueryParams, name: str, default: int, maximum: int = MAX_SIZE) -> int:
        value = params.get(name)
        if value is None or value == "":
            return default
        try:
            size = int(value)
        except ValueError:
            self.fail(name, f'parsing field "{name}": "{value}" is not a valid int32')
            return default
        if not 1 <= size <= maximum:
            self.fail(name, f"{name} must be between 1 and {maximum}, got {size}")
            return default
        return size

    def pattern(self, params: QueryParams) -> _Pattern | None:
        digits = params.get("numberPattern.pattern")
        kind_value = params.get("numberPattern.searchPattern")
        if not digits:
            return None
        if not kind_value:
            self.fail(
                "numberPattern.searchPattern",
                "numberPattern.searchPattern is required with numberPattern.pattern",
            )
            return None
        kind = self.enum("numberPattern.searchPattern", kind_value, SearchPattern)
        if kind is None:
            return None
        if kind is SearchPattern.START:
            # Sinch: "When using START, a plus sign (+) must be included".
            if not _START_RE.fullmatch(digits):
                self.fail(
                    "numberPattern.pattern",
                    "with START the pattern must be '+', the country calling code and digits",
                )
                return None
        elif not _DIGITS_RE.fullmatch(digits):
            self.fail(
                "numberPattern.pattern",
                f"with {kind.value} the pattern must be 1 to {_MAX_PATTERN_DIGITS} digits",
            )
            return None
        return _Pattern(digits, kind)


@dataclass(frozen=True)
class _Pattern:
    text: str
    kind: SearchPattern

    def matches(self, e164: str) -> bool:
        if self.kind is SearchPattern.START:
            return e164.startswith(self.text)
        digits = e164.removeprefix("+")
        if self.kind is SearchPattern.END:
            return digits.endswith(self.text)
        return self.text in digits


def _keep(
    capabilities: tuple[str, ...],
    number: str,
    required: frozenset[Capability],
    pattern: _Pattern | None,
) -> bool:
    return all(c.value in capabilities for c in required) and (
        pattern is None or pattern.matches(number)
    )


def search_available(catalog: Catalog, params: QueryParams) -> dict[str, object]:
    """``GET availableNumbers``: the pool of (regionCode, type), filtered, capped at ``size``."""
    check = _Checker()
    region = check.region(params, required=True)
    number_type = check.number_type(params, required=True)
    capabilities = check.capabilities(params, "capabilities")
    pattern = check.pattern(params)
    size = check.size(params, "size", DEFAULT_SEARCH_SIZE)
    check.raise_if_any()
    assert region is not None
    assert number_type is not None
    matches: list[Offer] = [
        offer
        for offer in catalog.offers_for(region, number_type)
        if _keep(offer.capabilities, offer.phone_number, capabilities, pattern)
    ]
    # Sinch omits empty fields: no match means no availableNumbers key at all.
    if not matches:
        return {}
    return {"availableNumbers": [offer.to_wire() for offer in matches[:size]]}


def list_regions(catalog: Catalog, params: QueryParams) -> dict[str, object]:
    """``GET availableRegions``: every region, or those offering any of the repeated ``types``."""
    check = _Checker()
    found = (check.enum("types", value, NumberType) for value in params.getlist("types"))
    wanted = {t for t in found if t is not None}
    check.raise_if_any()
    regions = [r for r in catalog.regions if not wanted or wanted.intersection(r.types)]
    if not regions:
        return {}
    return {"availableRegions": [r.to_wire() for r in regions]}


def list_active(
    catalog: Catalog,
    params: QueryParams,
    *,
    project_id: str,
    today: date,
    max_page_size: int = MAX_SIZE,
) -> dict[str, object]:
    """``GET activeNumbers``: the project's rentals, filtered and paginated."""
    check = _Checker()
    region = check.region(params, required=False)
    number_type = check.number_type(params, required=False)
    capabilities = check.capabilities(params, "capability")
    pattern = check.pattern(params)
    page_size = check.size(params, "pageSize", DEFAULT_PAGE_SIZE, max_page_size)
    offset = _decode_page_token(check, params.get("pageToken"))
    order_by = params.get("orderBy") or "phoneNumber"
    if order_by not in _ORDER_BY:
        check.fail("orderBy", f'parsing field "orderBy": "{order_by}" is not a valid value')
    check.raise_if_any()
    matches: list[Rental] = [
        rental
        for rental in catalog.rentals
        if (region is None or rental.region_code == region)
        and (number_type is None or rental.type == number_type)
        and _keep(rental.capabilities, rental.phone_number, capabilities, pattern)
    ]
    if order_by == "displayName":
        matches.sort(key=lambda r: (r.display_name is None, r.display_name or "", r.phone_number))
    page = matches[offset : offset + page_size]
    end = offset + page_size
    body: dict[str, object] = {}
    if page:
        body["activeNumbers"] = [r.to_wire(project_id, today) for r in page]
    # The last page carries an empty token, as Sinch's does.
    body["nextPageToken"] = encode_page_token(end) if end < len(matches) else ""
    body["totalSize"] = len(matches)
    return body


def encode_page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _decode_page_token(check: _Checker, token: str | None) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        prefix, _, number = text.partition(":")
        offset = int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        offset = -1
        prefix = ""
    if prefix != "offset" or offset < 0:
        check.fail("pageToken", "pageToken is not a token this API returned")
        return 0
    return offset
