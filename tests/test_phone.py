"""Phone-number display helpers: formats and localities for fictional numbers, garbage-safe."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.phone import format_international, format_national, locality, national_prefix

# Numbers reserved for fiction or drama (NANP 555-01xx, Ofcom's drama ranges) and a public
# switchboard-style number for SE/DE, as phonenumbers 9 describes them.
CASES = [
    ("+12065550100", "+1 206-555-0100", "(206) 555-0100", "Washington State"),
    ("+12025550134", "+1 202-555-0134", "(202) 555-0134", "Washington D.C."),
    ("+442079460000", "+44 20 7946 0000", "020 7946 0000", "London"),
    ("+441614960000", "+44 161 496 0000", "0161 496 0000", "Manchester"),
    ("+46846500400", "+46 8 465 004 00", "08-465 004 00", "Stockholm"),
    ("+493023125000", "+49 30 23125000", "030 23125000", "Berlin"),
]


@pytest.mark.parametrize(("e164", "international", "national", "place"), CASES)
def test_formats_and_locality(e164: str, international: str, national: str, place: str) -> None:
    assert format_international(e164) == international
    assert format_national(e164) == national
    assert locality(e164) == place


@pytest.mark.parametrize(
    "e164",
    [
        "+46701234567",  # Swedish mobile: phonenumbers only knows "Sweden"
        "+18005550100",  # toll-free: no place at all
    ],
)
def test_locality_is_none_when_only_the_country_is_known(e164: str) -> None:
    assert locality(e164) is None


@pytest.mark.parametrize(
    "garbage",
    ["", "+", "garbage", "+999123", "+4420", "12065550100x", "+1" + "9" * 40, "\x00", "x" * 10_000],
)
def test_garbage_falls_back_to_the_raw_string(garbage: str) -> None:
    assert format_international(garbage) == garbage
    assert format_national(garbage) == garbage
    assert locality(garbage) is None


@settings(max_examples=300, deadline=None)
@given(st.text() | st.from_regex(r"\+[0-9]{1,20}", fullmatch=True))
def test_never_raises(text: str) -> None:
    assert isinstance(format_international(text), str)
    assert isinstance(format_national(text), str)
    place = locality(text)
    assert place is None or (isinstance(place, str) and place)


def test_national_prefix() -> None:
    assert national_prefix("GB") == "0"
    assert national_prefix("us") == "1"
    assert national_prefix("IT") is None  # Italian numbers keep their 0 after +39
    assert national_prefix("ZZ") is None
