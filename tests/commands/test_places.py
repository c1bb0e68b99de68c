"""Places from phonenumbers' geocoder: names, states, namesakes, near:, and how they parse."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.commands import places
from bot.commands.parser import COMMAND, format_query, parse_command
from bot.commands.vanity import keypad_digits, spell
from bot.commands.where import COMMAND as WHERE_COMMAND
from bot.domain import SearchPattern, SearchQuery
from bot.errors import CommandError


def search(text: str) -> SearchQuery:
    query = parse_command(text)
    assert isinstance(query, SearchQuery)
    return query


def test_the_most_prominent_namesake_wins_and_the_others_are_offered() -> None:
    query = search("austin")
    assert query.region == "US"
    assert query.place is not None
    assert query.place.label == "Austin, TX"
    assert query.place.areas == ("512",)
    assert query.place.others[:2] == ("US in:austin,mn", "US in:austin,in")


@pytest.mark.parametrize("text", ["US in:portland,me", "US in:portland, me", "in:portland,ME"])
def test_a_state_after_a_comma_picks_the_namesake(text: str) -> None:
    query = search(text)
    assert query.place is not None
    assert (query.place.label, query.place.areas) == ("Portland, ME", ("207",))


def test_without_a_state_portland_is_oregon() -> None:
    query = search("US portland")
    assert query.place is not None
    assert query.place.label == "Portland, OR"
    assert "US in:portland,me" in query.place.others


@pytest.mark.parametrize(
    ("text", "label", "region"),
    [
        ("US texas", "Texas", "US"),
        ("US TX", "Texas", "US"),
        ("CA ontario", "Ontario", "CA"),
        ("US CA", "California", "US"),  # CA is Canada's code too: here it is the state
        ("US georgia", "Georgia", "US"),
        ("GA US", "Georgia", "US"),
    ],
)
def test_states_and_provinces_search_their_most_prominent_area_codes(
    text: str, label: str, region: str
) -> None:
    query = search(text)
    assert query.region == region
    assert query.place is not None
    assert query.place.label == label
    assert 1 <= len(query.place.areas) <= 8
    division = places.find_division(label, region)
    assert division is not None
    assert query.place.skipped == len(division.areas) - len(query.place.areas)


def test_texas_searches_eight_codes_and_says_how_many_it_skipped() -> None:
    query = search("US texas")
    assert query.place is not None
    assert len(query.place.areas) == 8
    assert {"214", "512", "713"} <= set(query.place.areas)
    assert query.place.skipped > 0


@pytest.mark.parametrize(("text", "code"), [("georgia", "GE"), ("jordan", "JO")])
def test_a_country_name_means_the_country_and_says_how_to_get_the_place(
    text: str, code: str
) -> None:
    query = search(text)
    assert query.region == code
    assert query.place is None
    assert query.note is not None
    assert f"`{COMMAND} US {text}`" in query.note


@pytest.mark.parametrize(
    ("text", "region", "area"),
    [
        ("stockholm", "SE", "8"),
        ("london", "GB", "20"),  # London, England (20) over London, Ontario (519)
        ("munich", "DE", "89"),
        ("gothenburg", "SE", "31"),
        ("san francisco", "US", "415"),
    ],
)
def test_places_named_without_a_country(text: str, region: str, area: str) -> None:
    query = search(text)
    assert query.region == region
    assert query.place is not None
    assert query.place.areas[0] == area


def test_near_searches_the_exchange_then_the_area_code() -> None:
    query = search("near:+12065550123")
    assert query.region == "US"
    assert query.place is not None
    assert query.place.areas == ("206555", "206")
    assert query.place.nearest_first
    gb = search("near:+442079460123")
    assert gb.place is not None
    assert (gb.region, gb.place.areas) == ("GB", ("20",))


@pytest.mark.parametrize(
    ("text", "digits"),
    [("US LOCAL 1206", "206"), ("GB LOCAL 020", "20"), ("SE LOCAL 08", "8"), ("+1206", "206")],
)
def test_national_and_international_prefixes(text: str, digits: str) -> None:
    query = search(text)
    assert query.pattern is not None
    assert (query.pattern.kind, query.pattern.digits) == (SearchPattern.START, digits)


def test_a_trunk_digit_that_starts_real_numbers_is_kept() -> None:
    # Russia dials 8 before national numbers, but 800 numbers start with 8 too.
    query = search("RU TOLL_FREE 800")
    assert query.pattern is not None
    assert query.pattern.digits == "800"


def test_vanity_letters_are_keypad_digits() -> None:
    assert keypad_digits("PIZZA") == "74992"
    query = search("US contains:PIZZA")
    assert query.pattern is not None
    assert (query.pattern.digits, query.pattern.word) == ("74992", "PIZZA")
    assert spell("+1 206-557-4992", "74992", "PIZZA") == "+1 206-55P-IZZA"
    assert spell("+1 206-555-0100", "74992", "PIZZA") is None


@pytest.mark.parametrize(
    "text",
    [
        "seattle",
        "US in:portland,me",
        "US texas",
        "near:+12065550123",
        "US contains:PIZZA nodocs max:2.50 sort:price limit:5",
        "in:san francisco,ca sms",
    ],
)
def test_format_query_round_trips_place_searches(text: str) -> None:
    query = search(text)
    assert parse_command(format_query(query)) == query


@pytest.mark.parametrize(
    ("text", "fragments", "absent"),
    [
        ("US LOCAL abc", ["`abc` is not a type, filter or place I know in United States"], "AC"),
        ("US LOCAL fax", ["`fax`"], "Åland"),
        ("US in:nowhereville", ["not a place I know in United States"], "region"),
        ("US seatle", ["`US in:seattle,wa`"], "Ascension"),
        ("seattle 206", ["place or a prefix, not both"], "Ascension"),
        ("seattle in:stockholm", ["one place at a time"], "Ascension"),
        ("near:12", ["needs a phone number"], "Ascension"),
        ("US near:+442079460123", ["is a number of United Kingdom"], "Ascension"),
        ("US max:cheap", ["`max:` takes a monthly price"], "Ascension"),
        ("US sort:name", ["`sort:` takes `price`"], "Ascension"),
    ],
)
def test_bad_places_get_the_nearest_valid_usage(
    text: str, fragments: list[str], absent: str
) -> None:
    with pytest.raises(CommandError) as caught:
        parse_command(text)
    for fragment in fragments:
        assert fragment in caught.value.hint
    assert absent not in caught.value.hint
    assert caught.value.usage


def test_the_where_module_names_the_same_command() -> None:
    assert WHERE_COMMAND == COMMAND


def test_place_search_reads_the_data_as_text_and_only_when_asked() -> None:
    # In a fresh interpreter: importing the grammar builds nothing; a US place search builds
    # the +1 index without importing phonenumbers' geocoder modules (about 100 MB).
    code = (
        "import sys\n"
        "from bot.commands import places\n"
        "from bot.commands.parser import parse_command\n"
        "assert places._indexes == {}\n"
        "parse_command('seattle')\n"
        "assert set(places._indexes) == {'1'}, places._indexes.keys()\n"
        "loaded = [m for m in sys.modules if m.startswith('phonenumbers.geodata')]\n"
        "assert loaded == [], loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_unknown_words_without_a_country_read_the_data_once() -> None:
    # In a fresh interpreter: the first regionless search reads each listed country's names
    # once; later unknown words (typos) are set lookups, not another read of every country.
    code = (
        "import bot.phone as phone\n"
        "from bot.commands import places\n"
        "reads = []\n"
        "real = phone.geodata_texts\n"
        "def counting(code):\n"
        "    reads.append(code)\n"
        "    return real(code)\n"
        "phone.geodata_texts = counting\n"
        "assert places.find_anywhere('xyzzy') is None\n"
        "first = len(reads)\n"
        "for word in ('qwertz', 'swedn', 'blorp'):\n"
        "    assert places.find_anywhere(word) is None\n"
        "assert first > 0 and len(reads) == first, (first, len(reads))\n"
        "assert places.find_anywhere('malmo').best.name == 'Malm\\u00f6'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("st. louis", "St. Louis, MO"),  # "st" is also São Tomé's code
        ("coeur d'alene", "Coeur d'Alene, ID"),  # an escaped quote in the data
        ("SE malmö", "Malmö"),  # accents in the data
        ("SE malmo", "Malmö"),  # and without them
        ("paris", "Paris"),  # Paris, France over Paris, Texas
    ],
)
def test_names_as_people_type_them(text: str, label: str) -> None:
    query = search(text)
    assert query.place is not None
    assert query.place.label == label


def test_namesakes_abroad_are_offered_first() -> None:
    query = search("manchester")
    assert query.place is not None
    assert query.place.others[0] == "GB in:manchester"


# --- edges a mutation audit found unprotected ------------------------------------------------


def test_a_leading_the_is_not_part_of_a_place_s_name() -> None:
    match = places.find_place("hague", "NL")
    assert match is not None
    assert match.best.name == "The Hague"


def test_namesakes_are_the_others_not_the_best_again() -> None:
    match = places.find_place("springfield", "US")
    assert match is not None
    assert match.others
    assert match.best not in match.others


def test_a_two_letter_state_code_alone_is_not_a_place_named_without_a_country() -> None:
    assert places.find_division("tx", "US") is not None
    assert places.find_anywhere("tx") is None
    # Spelled out, a state that no place is named after is found without a country.
    assert isinstance(places.find_anywhere("saskatchewan"), places.Division)


def test_names_of_three_letters_or_fewer_name_no_us_place_elsewhere() -> None:
    assert places.index_for("1").places("ada")  # Ada, OK exists
    assert places.names_place_elsewhere("ada") is None
    assert places.names_place_elsewhere("ohio") is not None


def test_a_state_is_named_by_its_area_level_name() -> None:
    division = places.find_division("tx", "US")
    assert division is not None
    assert division.name == "Texas"


def test_caribbean_area_codes_belong_to_their_nanp_member() -> None:
    assert places._nanp_member("876") == "JM"
    assert places._nanp_member("206") is None


def test_near_names_the_locality_and_refuses_impossible_numbers() -> None:
    nearby = places.near("+12065550123")
    assert nearby is not None
    assert nearby.label != "area code 206"
    assert nearby.areas == ("206555", "206")
    assert places.near("+1206") is None


def test_near_needs_a_prefix_longer_than_the_calling_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(places, "geocoded_prefix", lambda digits: ("46", "Sweden"))
    assert places.near("+46812345678") is None
    monkeypatch.setattr(places, "geocoded_prefix", lambda digits: ("468", "Stockholm"))
    nearby = places.near("+46812345678")
    assert nearby is not None
    assert nearby.areas == ("8",)
