"""Locality read one data chunk at a time: the places of phonenumbers' geocoder, less memory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType, geocoder

from bot.core import phone

REPO = Path(__file__).resolve().parents[1]


def geocoder_locality(e164: str) -> str | None:
    """What phonenumbers' own geocoder says, minus the country-name fallback.

    Compared case-insensitively: its display names differ in case from its area names
    ("Isle Of Man" / "Isle of Man"), and a country's name is never a locality.
    """
    number = phonenumbers.parse(e164, None)
    region = phonenumbers.region_code_for_number(number)
    place = geocoder.description_for_valid_number(number, "en", region=region)
    country = geocoder.country_name_for_number(number, "en")
    if not place or place.casefold() == country.casefold():
        return None
    return str(place)


def sample_numbers() -> list[str]:
    numbers = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                numbers.append(phonenumbers.format_number(example, PhoneNumberFormat.E164))
    return numbers


def test_same_places_as_phonenumbers_geocoder_for_every_region() -> None:
    numbers = sample_numbers()
    assert len(numbers) > 400
    differences = {
        n: (phone.locality(n), geocoder_locality(n))
        for n in numbers
        if phone.locality(n) != geocoder_locality(n)
    }
    assert differences == {}
    assert sum(phone.locality(n) is not None for n in numbers) > 100


@pytest.mark.parametrize(
    ("number", "place"),
    [
        ("+12065550100", "Washington State"),
        ("+14155550123", "San Francisco, CA"),
        ("+442079460123", "London"),
        ("+441614960000", "Manchester"),
        ("+46846500400", "Stockholm"),
        ("+493023125000", "Berlin"),
        ("+5491123456789", "Buenos Aires"),  # Argentina's mobile token is skipped
        ("+18005550100", None),
        ("not a number", None),
    ],
)
def test_known_places(number: str, place: str | None) -> None:
    assert phone.locality(number) == place


def test_the_full_geocoder_tables_are_never_imported() -> None:
    code = (
        "import sys; from bot.core.phone import locality;"
        "assert locality('+442079460123') == 'London';"
        "print('phonenumbers.geodata' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert result.stdout.strip() == "False"


def test_falls_back_to_the_full_tables_when_the_layout_is_unknown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(phone._Geodata, "discover", classmethod(lambda cls: None))
    phone._geodata.cache_clear()
    try:
        assert isinstance(phone._geodata(), phone._FullGeocoder)
        assert phone._area_name("442079460123") == "London"
    finally:
        phone._geodata.cache_clear()
