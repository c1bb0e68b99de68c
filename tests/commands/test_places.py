"""Places from phonenumbers' geocoder: names, states, namesakes, near:, and how they parse."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.commands import places
from bot.commands.parser import format_query, parse_command
from bot.commands.regions import normalize_name
from bot.commands.usage import COMMAND
from bot.commands.vanity import keypad_digits, spell
from bot.commands.where import COMMAND as WHERE_COMMAND
from bot.core.domain import SearchPattern, SearchQuery
from bot.core.errors import CommandError
from bot.core.phone import geodata_entries


def search(text: str) -> SearchQuery:
    query = parse_command(text)
    assert isinstance(query, SearchQuery)
    return query


def test_the_most_prominent_namesake_wins_and_the_others_are_offered() -> None:
    query = search("austin")
    assert query.region == "US"
    assert query.place is not None
    assert query.place.label == "Austin, TX"
    assert query.place.areas == ("512", "737")  # 737 overlays 512 (NANPA)
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
        "springfield il",
        "washington dc",
        "texas",
        "new jersey",
        "paris",
        "münchen",
        "london ontario",
        "copenhagen",
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
        "import bot.core.phone as phone\n"
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
    assert query.region == "GB"
    assert query.place.others[0] == "US in:manchester,nh"


# --- issue 21: the place people mean ---------------------------------------------------------


def place_of(text: str) -> tuple[str, str, tuple[str, ...]]:
    query = search(text)
    assert query.place is not None, text
    return query.region, query.place.label, query.place.areas


@pytest.mark.parametrize(
    ("text", "region", "label", "area"),
    [
        ("manchester", "GB", "Manchester", "161"),  # all of 0161, not 15 exchanges of 603
        ("glasgow", "GB", "Glasgow", "141"),
        ("belfast", "GB", "Belfast", "2890"),
        ("birmingham", "GB", "Birmingham", "121"),
        ("perth", "AU", "Perth", "8"),
        ("vancouver", "CA", "Vancouver, BC", "604"),
        ("boston", "US", "Boston, MA", "617"),  # over Boston, Lincolnshire (01205)
        ("dublin", "IE", "Dublin", "1"),
    ],
)
def test_namesakes_across_countries_rank_by_numbering_capacity(
    text: str, region: str, label: str, area: str
) -> None:
    found_region, found_label, areas = place_of(text)
    assert (found_region, found_label) == (region, label)
    assert areas[0].startswith(area)


@pytest.mark.parametrize(
    ("text", "label", "town"),
    [
        ("texas", "Texas", "AU in:texas"),
        ("california", "California", "US in:california,md"),
        ("washington", "Washington State", "US in:washington,pa"),
        ("oregon", "Oregon", None),  # was "Did you mean `regions`?"
        ("ontario", "Ontario", "US in:ontario,ca"),
        ("new jersey", "New Jersey", None),  # "jersey" is also a region (JE)
        ("new mexico", "New Mexico", None),  # "mexico" too
    ],
)
def test_a_state_or_province_beats_same_named_towns_which_are_offered(
    text: str, label: str, town: str | None
) -> None:
    query = search(text)
    assert query.region in ("US", "CA")
    assert query.place is not None
    assert query.place.label == label
    if town is not None:
        assert town in query.place.others


def test_a_city_named_like_its_state_stays_the_city() -> None:
    region, label, areas = place_of("new york")
    assert (region, label) == ("US", "New York, NY")
    assert "212" in areas


@pytest.mark.parametrize(
    ("text", "region", "label", "area"),
    [
        ("springfield il", "US", "Springfield, IL", "217"),  # IL is also Israel
        ("portland me", "US", "Portland, ME", "207"),  # ME, Montenegro
        ("kansas city mo", "US", "Kansas City, MO", "816"),  # MO, Macao
        ("birmingham al", "US", "Birmingham, AL", "205"),  # AL, Albania
        ("birmingham alabama", "US", "Birmingham, AL", "205"),
        ("london ontario", "CA", "London, ON", "519"),
        ("london, on", "CA", "London, ON", "519"),
        ("paris, texas", "US", "Paris, TX", "903"),
        ("athens georgia", "US", "Athens, GA", "706"),  # georgia, also a country
        ("US springfield il", "US", "Springfield, IL", "217"),
        ("washington dc", "US", "Washington, D.C.", "202"),
        ("washington, d.c.", "US", "Washington, D.C.", "202"),
    ],
)
def test_a_state_after_a_place_qualifies_it(text: str, region: str, label: str, area: str) -> None:
    assert place_of(text)[:2] == (region, label)
    assert place_of(text)[2][0] == area


def test_washington_dc_searches_its_overlay_too() -> None:
    assert place_of("washington dc")[2] == ("202", "771")


def test_a_region_after_a_place_that_is_no_state_stays_a_region() -> None:
    assert place_of("london uk") == ("GB", "London", ("20",))
    assert place_of("belfast northern ireland")[:2] == ("GB", "Belfast")
    assert place_of("new york state")[:2] == ("US", "New York")
    with pytest.raises(CommandError, match="one region at a time"):
        parse_command("US springfield il GB")


@pytest.mark.parametrize(
    ("text", "offered", "not_offered"),
    [
        ("seatle", "`/numbers seattle` (Seattle, WA)", None),
        ("bostn", "`/numbers boston` (Boston, MA)", "Bhutan"),
        ("san fransisco", "`/numbers san francisco` (San Francisco, CA)", "Senegal"),
        ("manchster", "`/numbers manchester` (Manchester)", None),
        ("stokholm", "`/numbers stockholm` (Stockholm)", None),
        ("torronto", "`/numbers toronto` (Toronto, ON)", None),
        ("seatle wa", "`/numbers seattle` (Seattle, WA)", None),
        ("berln", "`/numbers berlin` (Berlin)", "Berne), `/numbers bern"),  # one Berne
    ],
)
def test_typos_without_a_country_suggest_places_before_countries(
    text: str, offered: str, not_offered: str | None
) -> None:
    with pytest.raises(CommandError) as caught:
        parse_command(text)
    assert offered in caught.value.hint
    if not_offered is not None:
        assert not_offered not in caught.value.hint


def test_a_country_typo_still_suggests_the_country() -> None:
    with pytest.raises(CommandError, match=r"`SE` \(Sweden\)"):
        parse_command("swedn")


@pytest.mark.parametrize(
    ("text", "region", "label", "area"),
    [
        ("münchen", "DE", "Munich", "89"),  # the geocoder's German name
        ("köln", "DE", "Cologne", "221"),
        ("genève", "CH", "Geneva", "22"),  # and French
        ("wien", "AT", "Vienna", "1"),
        ("göteborg", "SE", "Gothenburg", "31"),  # the alias table
        ("frankfurt", "DE", "Frankfurt am Main", "69"),
        ("roma", "IT", "Rome", "06"),
        ("JP osaka", "JP", "Osaka, Osaka", "6"),  # the data's "City, Prefecture"
        ("muenchen", "DE", "Munich", "89"),  # ü typed as ue
        ("goeteborg", "SE", "Gothenburg", "31"),
        ("quebec", "CA", "Quebec", "450"),  # "ue" here is no ü
    ],
)
def test_local_and_short_names(text: str, region: str, label: str, area: str) -> None:
    assert place_of(text)[:2] == (region, label)
    assert place_of(text)[2][0] == area


@pytest.mark.parametrize("text", ["copenhagen", "københavn", "kobenhavn"])
def test_a_city_of_a_country_without_area_codes_searches_the_country(text: str) -> None:
    query = search(text)
    assert (query.region, query.place) == ("DK", None)


@pytest.mark.parametrize(
    ("text", "wanted", "never"),
    [
        ("austin", {"512", "737"}, set()),
        ("san francisco", {"415", "628"}, {"510"}),
        ("las vegas", {"702", "725"}, set()),
        ("atlanta", {"404", "470", "678"}, set()),
        ("houston", {"713", "281", "832", "346"}, set()),
        ("toronto", {"416", "647", "437"}, {"905"}),
        # New Jersey's 201 and Long Island's 934 name New York once each in the data.
        ("new york", {"212", "646", "917", "718", "347", "929"}, {"201", "934"}),
    ],
)
def test_cities_search_their_overlays_and_never_a_neighbours_code(
    text: str, wanted: set[str], never: set[str]
) -> None:
    areas = set(place_of(text)[2])
    assert wanted <= areas
    assert not areas & never


def test_the_overlay_and_alias_data_name_their_source_and_date() -> None:
    data = Path(places.__file__).resolve().parents[1] / "data"
    for name in ("nanp_overlays.json", "place_aliases.json"):
        content = json.loads((data / name).read_text(encoding="utf-8"))
        assert content["source"]
        assert content["date"]


def test_a_place_with_too_many_prefixes_searches_their_parents_and_says_so() -> None:
    # Paris is 457 geocoded prefixes; eight of them would leave most of Paris out silently.
    query = search("paris")
    assert query.place is not None
    assert query.place.widened
    own = [p[2:] for p, n in geodata_entries("33") if n == "Paris"]
    assert len(own) > 400
    assert all(p.startswith(query.place.areas) for p in own)
    assert len(query.place.areas) <= 8
    assert "nearby places" in query.place.widened_note


def test_a_place_owning_a_whole_prefix_searches_it() -> None:
    # Vienna is all eight prefixes under Austria's 1.
    assert place_of("vienna") == ("AT", "Vienna", ("1",))
    assert not search("vienna").place.widened  # type: ignore[union-attr]


def test_a_place_of_a_country_not_searched_without_one_says_which_country() -> None:
    places.index_for("81")  # built at start-up in the bot (place_build); here by hand
    with pytest.raises(CommandError) as caught:
        parse_command("tokyo")
    assert "`tokyo` needs its country: `/numbers JP tokyo` (Tokyo)." in caught.value.hint


@pytest.mark.parametrize(
    ("text", "label"),
    [("saint louis", "St. Louis, MO"), ("ft worth", "Fort Worth, TX")],
)
def test_abbreviations_spelled_out_and_back(text: str, label: str) -> None:
    assert place_of(text)[1] == label


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("København", "kobenhavn"),
        ("Łódź", "lodz"),
        ("Straße", "strasse"),
        ("Ærøskøbing", "aeroskobing"),
    ],
)
def test_letters_without_a_decomposition_are_spelled_as_typed_without_the_key(
    typed: str, key: str
) -> None:
    assert normalize_name(typed) == key


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
    found = places.find_anywhere("saskatchewan")
    assert isinstance(found, places.DivisionMatch)
    assert found.division.code == "SK"


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
