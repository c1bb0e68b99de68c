"""Friendly region resolution: codes, pycountry names, aliases, typos, phoneless regions."""

from __future__ import annotations

import phonenumbers
import pycountry
import pytest

from bot.commands.regions import (
    complete_region,
    lookup_region,
    max_name_words,
    normalize_name,
    region_name,
    resolve_region,
    suggest_regions,
)
from bot.core.errors import CommandError


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("US", "US"),
        ("us", "US"),
        ("USA", "US"),
        ("united states", "US"),
        ("United States of America", "US"),
        ("america", "US"),
        ("UK", "GB"),
        ("great britain", "GB"),
        ("England", "GB"),
        ("united kingdom", "GB"),
        ("sweden", "SE"),
        ("SWE", "SE"),
        ("Kingdom of Sweden", "SE"),
        ("south korea", "KR"),
        ("Vietnam", "VN"),
        ("viet nam", "VN"),
        ("iran", "IR"),  # derived from "Iran, Islamic Republic of"
        ("falkland islands", "FK"),  # derived from "Falkland Islands (Malvinas)"
        ("côte d'ivoire", "CI"),
        ("cote d ivoire", "CI"),
        ("ivory coast", "CI"),
        ("Türkiye", "TR"),
        ("turkey", "TR"),
        ("russia", "RU"),
        ("the netherlands", "NL"),
        ("Czech Republic", "CZ"),
        ("trinidad and tobago", "TT"),
        ("kosovo", "XK"),  # phonenumbers has it, ISO 3166-1 does not
        ("XK", "XK"),
        ("congo", "CG"),  # the exact name wins over the DR Congo's "Congo, The Democratic…"
    ],
)
def test_resolve_region_accepts_codes_names_and_aliases(text: str, code: str) -> None:
    assert resolve_region(text) == code


def test_ambiguous_short_names_are_not_guessed() -> None:
    # The British and the U.S. Virgin Islands share the name.
    assert lookup_region("virgin islands") is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("holland", "NL"),
        ("Britain", "GB"),
        ("Great Britain", "GB"),
        ("America", "US"),
        ("U.S.", "US"),
        ("U.S.A.", "US"),
        ("U.K.", "GB"),
        ("Czechia", "CZ"),
        ("Türkiye", "TR"),
        ("Turkey", "TR"),
        ("Ivory Coast", "CI"),
        ("South Korea", "KR"),
        ("Korea", "KR"),  # "Korea, Republic of"; nobody asks for the DPRK's numbers so
        ("Russia", "RU"),
    ],
)
def test_exonyms_and_common_names_resolve(text: str, code: str) -> None:
    assert resolve_region(text) == code


def test_typo_suggests_the_closest_region() -> None:
    with pytest.raises(CommandError) as caught:
        resolve_region("Swedn")
    assert "Did you mean `SE` (Sweden)?" in caught.value.hint
    assert "Swedn" in caught.value.hint
    assert caught.value.usage


@pytest.mark.parametrize(
    ("typo", "code"),
    [("germny", "DE"), ("fraance", "FR"), ("unitd states", "US"), ("macau", "MO")],
)
def test_suggest_regions(typo: str, code: str) -> None:
    assert suggest_regions(typo)[0] == code


def test_suggestions_offer_only_near_ties() -> None:
    assert suggest_regions("Swedn") == ["SE"]


def test_unknown_code_without_close_match_has_no_suggestion() -> None:
    with pytest.raises(CommandError) as caught:
        resolve_region("XYZ")
    assert "not a region I know" in caught.value.hint
    assert "did you mean" not in caught.value.hint.lower()


@pytest.mark.parametrize("text", ["antarctica", "AQ", "Bouvet Island"])
def test_regions_without_a_calling_code_are_refused(text: str) -> None:
    with pytest.raises(CommandError, match="no phone numbers"):
        resolve_region(text)


def test_suggestions_never_offer_phoneless_regions() -> None:
    assert "AQ" not in suggest_regions("antarctic")


def test_every_resolvable_region_has_a_calling_code() -> None:
    for country in pycountry.countries:
        code = country.alpha_2
        if phonenumbers.country_code_for_region(code):
            assert resolve_region(country.name) == code


@pytest.mark.parametrize(
    ("code", "name"),
    [("SE", "Sweden"), ("US", "United States"), ("KR", "South Korea"), ("XK", "Kosovo")],
)
def test_region_name(code: str, name: str) -> None:
    assert region_name(code) == name


def test_region_name_of_unknown_code_is_the_code() -> None:
    assert region_name("ZZ") == "ZZ"
    assert region_name("") == ""


def test_normalize_name() -> None:
    assert normalize_name("  Côte d’Ivoire ") == "cote d ivoire"
    assert normalize_name("The Bahamas") == "bahamas"
    assert normalize_name("Korea, Republic of") == "korea republic of"
    assert normalize_name("`&<>") == ""


def test_max_name_words_covers_the_longest_name() -> None:
    assert max_name_words() >= 7  # "South Georgia and the South Sandwich Islands"


def test_long_garbage_is_not_a_region() -> None:
    assert lookup_region("sweden " * 1000) is None
    with pytest.raises(CommandError):
        resolve_region("\x00" * 10_000)


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("swed", "SE"),  # the start of a name
        ("uk", "GB"),  # an alias the parser knows
        ("Sweden", "SE"),
        ("se", "SE"),  # a code beats names starting with it (Senegal, Serbia)
        ("gbr", "GB"),  # alpha-3
        ("kingdom", "GB"),  # a later word of the name
        ("swedn", "SE"),  # nothing starts so: close spellings
        ("united", "AE"),  # names shown first (United Arab Emirates) before official names
    ],
)
def test_complete_region_finds_codes_names_and_aliases(typed: str, first: str) -> None:
    assert complete_region(typed)[0] == first


def test_complete_region_keeps_to_the_offered_regions_and_regions_with_numbers() -> None:
    assert complete_region("uk", among={"US", "SE"}) == []
    assert complete_region("united", among={"US", "GB"}) == ["GB", "US"]
    assert "AQ" not in complete_region("antarc")  # Antarctica has no calling code
    everything = complete_region("", limit=500)
    assert len(everything) > 200
    assert len(complete_region("")) == 100
    assert complete_region("zzqq") == []
