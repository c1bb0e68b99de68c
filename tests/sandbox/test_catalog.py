"""The sandbox's sample data: fictional, plausible for its region and type, deterministic."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

import phonenumbers
import pytest
from phonenumbers import PhoneNumberType, geocoder

from bot.core.domain import NumberType
from bot.sandbox.catalog import CATALOG, Offer, Rental, build_catalog

ALL: list[Offer | Rental] = [*CATALOG.offers, *CATALOG.rentals]

# What libphonenumber calls each Sinch type. Ofcom's 07700 900xxx drama block is "possible"
# but deliberately not "valid" in libphonenumber, hence UNKNOWN for GB mobiles.
EXPECTED_KINDS = {
    NumberType.LOCAL: {PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE},
    NumberType.MOBILE: {PhoneNumberType.MOBILE, PhoneNumberType.UNKNOWN},
    NumberType.TOLL_FREE: {PhoneNumberType.TOLL_FREE},
}


def test_numbers_are_unique_and_never_both_for_rent_and_rented():
    numbers = [n.phone_number for n in ALL]
    assert len(numbers) == len(set(numbers))


def _misfit(entry: Offer | Rental) -> str | None:
    parsed = phonenumbers.parse(entry.phone_number, None)
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if e164 != entry.phone_number or not phonenumbers.is_possible_number(parsed):
        return "not a possible E.164 number"
    assert parsed.country_code is not None
    # +1 is shared (US, Canada, …): the region must be one of the code's.
    if entry.region_code not in phonenumbers.region_codes_for_country_code(parsed.country_code):
        return "wrong country calling code"
    if phonenumbers.number_type(parsed) not in EXPECTED_KINDS[entry.type]:
        return f"libphonenumber type {phonenumbers.number_type(parsed)}"
    if phonenumbers.is_valid_number(parsed):
        if phonenumbers.region_code_for_number(parsed) != entry.region_code:
            return "valid, but for another region"
    elif (entry.region_code, entry.type) != ("GB", NumberType.MOBILE):
        return "not valid"
    return None


def test_each_number_fits_its_region_and_type():
    misfits = {e.phone_number: why for e in ALL if (why := _misfit(e)) is not None}
    assert misfits == {}


@pytest.mark.parametrize(
    ("prefix", "place"),
    [
        ("+1212", "New York"),
        ("+1312", "Chicago"),
        ("+1415", "San Francisco"),
        ("+44207946", "London"),
        ("+44161", "Manchester"),
        ("+468", "Stockholm"),
        ("+4930", "Berlin"),
        ("+4989", "Munich"),
    ],
)
def test_local_numbers_geocode_to_their_city(prefix: str, place: str):
    locals_ = [o for o in CATALOG.offers if o.phone_number.startswith(prefix)]
    assert locals_
    for offer in locals_:
        parsed = phonenumbers.parse(offer.phone_number, None)
        assert geocoder.description_for_number(parsed, "en").startswith(place)


def test_every_local_number_has_a_geographic_description():
    for entry in ALL:
        if entry.type is NumberType.LOCAL:
            parsed = phonenumbers.parse(entry.phone_number, None)
            assert geocoder.description_for_number(parsed, "en"), entry.phone_number


def test_every_pool_can_fill_a_30_number_search():
    pools = Counter((o.region_code, o.type) for o in CATALOG.offers)
    assert set(pools) == {
        ("CA", NumberType.LOCAL),
        ("US", NumberType.LOCAL),
        ("US", NumberType.TOLL_FREE),
        ("GB", NumberType.LOCAL),
        ("GB", NumberType.MOBILE),
        ("SE", NumberType.LOCAL),
        ("SE", NumberType.MOBILE),
        ("DE", NumberType.LOCAL),
        ("DE", NumberType.MOBILE),
    }
    assert min(pools.values()) >= 30
    assert pools["US", NumberType.LOCAL] >= 60


def test_us_local_spans_the_readme_places_area_codes_and_one_fills_a_page():
    area_codes = Counter(
        o.phone_number[2:5]
        for o in CATALOG.offers
        if (o.region_code, o.type) == ("US", NumberType.LOCAL)
    )
    # Seattle, New York (212, 646), Chicago, San Francisco, Austin, Boston, Portland OR,
    # Maine, and Texas's 214 and 713: every place the README names finds something.
    assert set(area_codes) == {
        *("206", "212", "646", "312", "415", "512", "617", "503", "207", "214", "713"),
    }
    assert area_codes["206"] > 30  # "N more" appears even for an area-code search


def test_us_numbers_stay_in_the_fictional_555_01xx_block():
    for entry in ALL:
        if entry.region_code == "US":
            assert entry.phone_number[5:9] == "5550"
            assert 100 <= int(entry.phone_number[8:]) <= 199


def test_prices_are_decimal_strings_in_one_currency():
    for offer in CATALOG.offers:
        wire = offer.to_wire()
        for key in ("setupPrice", "monthlyPrice"):
            money = wire[key]
            assert isinstance(money, dict)
            assert money["currencyCode"] == "USD"
            assert isinstance(money["amount"], str)
            assert Decimal(money["amount"]) >= 0


def test_the_data_mixes_capabilities_and_documentation_needs():
    assert {o.capabilities for o in CATALOG.offers} == {
        ("SMS", "VOICE"),
        ("VOICE",),
        ("SMS",),
    }
    assert {o.documentation_required for o in CATALOG.offers} == {True, False}


def test_the_project_rents_45_numbers_some_without_a_name():
    assert len(CATALOG.rentals) == 45
    assert any(r.display_name is None for r in CATALOG.rentals)
    assert len({r.region_code for r in CATALOG.rentals}) >= 3


def test_regions_list_exactly_the_pools():
    offered = {(o.region_code, o.type) for o in CATALOG.offers}
    listed = {(r.region_code, t) for r in CATALOG.regions for t in r.types}
    assert listed == offered
    assert [r.region_code for r in CATALOG.regions] == ["CA", "DE", "GB", "SE", "US"]


def test_building_again_gives_the_same_data():
    assert build_catalog() == CATALOG


@pytest.mark.parametrize(
    ("today", "charge_day", "expected"),
    [
        (date(2025, 3, 10), 20, date(2025, 3, 20)),
        (date(2025, 3, 20), 20, date(2025, 4, 20)),
        (date(2025, 1, 31), 5, date(2025, 2, 5)),
        (date(2025, 12, 28), 1, date(2026, 1, 1)),
    ],
)
def test_next_charge_date_is_the_next_charge_day(today: date, charge_day: int, expected: date):
    rental = CATALOG.rentals[0]
    rental = Rental(**{**rental.__dict__, "charge_day": charge_day})
    assert rental.next_charge_date(today) == expected
