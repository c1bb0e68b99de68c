"""Rules a query must satisfy before anything is sent to Sinch, and its wire form."""

from __future__ import annotations

import re

import phonenumbers

from bot.core.domain import (
    MAX_LIMIT,
    MAX_PATTERN_DIGITS,
    MAX_PLACE_AREAS,
    ActiveQuery,
    Capability,
    NumberType,
    SearchPattern,
    SearchQuery,
)
from bot.core.errors import CommandError

SEARCH_USAGE = "`/numbers US LOCAL [sms] [voice] [206 | contains:555 | ends:00] [limit:N]`"
_ASCII_DIGITS = re.compile(r"[0-9]+")


def calling_code(region: str) -> int | None:
    """The country calling code of an ISO alpha-2 region, or None when it has none."""
    code = phonenumbers.country_code_for_region(region)
    return code or None


def check_region(region: str) -> None:
    if not (len(region) == 2 and region.isascii() and region.isalpha() and region.isupper()):
        raise CommandError(f"`{region[:20]}` is not a two-letter country code.", usage=SEARCH_USAGE)
    if calling_code(region) is None:
        raise CommandError(f"`{region}` is not a country with phone numbers.", usage=SEARCH_USAGE)


def validate_search_query(query: SearchQuery) -> None:
    """Raise CommandError unless every field of ``query`` is safe to send to Sinch.

    The parser's output always passes; the service calls this again before any HTTP call, so
    a query built elsewhere cannot smuggle invalid parameters to Sinch.
    """
    region = query.region
    if not (
        isinstance(region, str)
        and len(region) == 2
        and region.isascii()
        and region.isalpha()
        and region.isupper()
        and calling_code(region) is not None
    ):
        raise CommandError(
            "The region must be the ISO code of a country with phone numbers.", usage=SEARCH_USAGE
        )
    if not isinstance(query.type, NumberType):
        raise CommandError(
            "Unknown number type: use LOCAL, MOBILE or TOLL_FREE.", usage=SEARCH_USAGE
        )
    caps = query.capabilities
    if not all(isinstance(c, Capability) for c in caps) or len(set(caps)) != len(caps):
        raise CommandError(
            "Capabilities are `sms` and `voice`, each at most once.", usage=SEARCH_USAGE
        )
    if isinstance(query.limit, bool) or not isinstance(query.limit, int):
        raise CommandError(f"`limit:` takes a number from 1 to {MAX_LIMIT}.", usage=SEARCH_USAGE)
    if not 1 <= query.limit <= MAX_LIMIT:
        raise CommandError(f"`limit:` must be between 1 and {MAX_LIMIT}.", usage=SEARCH_USAGE)
    pattern = query.pattern
    if pattern is not None:
        if not isinstance(pattern.kind, SearchPattern):
            raise CommandError("Unknown number pattern.", usage=SEARCH_USAGE)
        digits = pattern.digits
        if not (isinstance(digits, str) and _ASCII_DIGITS.fullmatch(digits)):
            raise CommandError("A number pattern is digits 0-9 only.", usage=SEARCH_USAGE)
        if len(digits) > MAX_PATTERN_DIGITS:
            raise CommandError(
                f"A number pattern has at most {MAX_PATTERN_DIGITS} digits.", usage=SEARCH_USAGE
            )

    _validate_place_and_filters(query)


def _validate_place_and_filters(query: SearchQuery) -> None:
    """Place searches and the filters applied after Sinch answers (issue 11)."""
    place = query.place
    if place is not None:
        areas = place.areas
        if not 1 <= len(areas) <= MAX_PLACE_AREAS or not all(
            isinstance(a, str) and _ASCII_DIGITS.fullmatch(a) and len(a) <= MAX_PATTERN_DIGITS
            for a in areas
        ):
            raise CommandError(
                f"A place searches 1 to {MAX_PLACE_AREAS} area prefixes of digits.",
                usage=SEARCH_USAGE,
            )
        if query.pattern is not None and query.pattern.kind is SearchPattern.START:
            raise CommandError("Give a place or a prefix, not both.", usage=SEARCH_USAGE)
    if isinstance(query.offset, bool) or not isinstance(query.offset, int) or query.offset < 0:
        raise CommandError("That button has expired; run the command again.")
    cap = query.max_monthly
    if cap is not None and not (cap.is_finite() and cap >= 0):
        raise CommandError("`max:` takes a price such as `max:2.50`.", usage=SEARCH_USAGE)


def wire_area(region: str, area: str) -> str:
    """The START pattern of one area of a place search: `+1206`."""
    return f"+{calling_code(region)}{area}"


def validate_active_query(query: ActiveQuery) -> None:
    if query.region is not None:
        check_region(query.region)
    if query.type is not None and not isinstance(query.type, NumberType):
        raise CommandError("The number type must be LOCAL, MOBILE or TOLL_FREE.")


def wire_pattern(query: SearchQuery) -> tuple[str | None, SearchPattern | None]:
    """The numberPattern parameters: a START prefix needs `+` and the calling code (Sinch docs)."""
    pattern = query.pattern
    if pattern is None:
        return None, None
    if pattern.kind is SearchPattern.START:
        return f"+{calling_code(query.region)}{pattern.digits}", SearchPattern.START
    return pattern.digits, pattern.kind
