"""Phone-number display: readable international/national forms and offline locality names."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat, geocoder

_LANGUAGE = "en"


def _parse(e164: str) -> PhoneNumber | None:
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return None
    return number if phonenumbers.is_possible_number(number) else None


@lru_cache(maxsize=4096)  # pure, and each shown number is formatted on every reply
def format_international(e164: str) -> str:
    """``+12065550100`` -> ``+1 206-555-0100``; the input unchanged when it is not a number."""
    number = _parse(e164)
    if number is None:
        return e164
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


@lru_cache(maxsize=4096)  # pure, and each shown number is formatted on every reply
def format_national(e164: str) -> str:
    """``+12065550100`` -> ``(206) 555-0100``; the input unchanged when it is not a number."""
    number = _parse(e164)
    if number is None:
        return e164
    return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)


@lru_cache(maxsize=4096)  # pure, and each shown number is formatted on every reply
def locality(e164: str) -> str | None:
    """The place a number belongs to ("London", "Washington State"), from offline data.

    None when phonenumbers knows only the country (mobile and toll-free numbers, mostly),
    or nothing at all.
    """
    number = _parse(e164)
    if number is None:
        return None
    region = phonenumbers.region_code_for_number(number)
    if region is None:
        return None
    # Passing the number's own region asks for the area alone, without the country fallback;
    # some prefixes are still described by the country name, which says nothing new here.
    place = geocoder.description_for_valid_number(number, _LANGUAGE, region=region)
    if not place or place == geocoder.country_name_for_number(number, _LANGUAGE):
        return None
    return str(place)


def national_prefix(region: str) -> str | None:
    """The trunk prefix dialled before national numbers (GB "0", US "1"), when there is one."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region.upper(), None)
    prefix = metadata.national_prefix if metadata is not None else None
    return str(prefix) if prefix else None
