"""parse_command: every grammar form, the aliases and typos people use, and the error hints."""

from __future__ import annotations

import pytest

from bot.commands.parser import format_query, parse_command
from bot.commands.tokens import MAX_TEXT_LENGTH
from bot.commands.usage import USAGE, usage_for
from bot.core.domain import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_PATTERN_DIGITS,
    ActiveQuery,
    Capability,
    HelpQuery,
    NumberPattern,
    NumberType,
    Query,
    RegionsQuery,
    SearchPattern,
    SearchQuery,
)
from bot.core.errors import CommandError
from bot.core.validation import validate_search_query

SMS, VOICE = Capability.SMS, Capability.VOICE
START, CONTAINS, END = SearchPattern.START, SearchPattern.CONTAINS, SearchPattern.END


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", HelpQuery()),
        ("   ", HelpQuery()),
        ("help", HelpQuery()),
        ("HELP me please", HelpQuery()),
        ("?", HelpQuery()),
        ("US LOCAL", SearchQuery("US")),
        ("US", SearchQuery("US")),
        ("us", SearchQuery("US")),
        ("LOCAL US", SearchQuery("US")),
        ("local us", SearchQuery("US")),
        ("US MOBILE", SearchQuery("US", NumberType.MOBILE)),
        ("US TOLL_FREE", SearchQuery("US", NumberType.TOLL_FREE)),
        ("US toll-free", SearchQuery("US", NumberType.TOLL_FREE)),
        ("US tollfree", SearchQuery("US", NumberType.TOLL_FREE)),
        ("US toll free", SearchQuery("US", NumberType.TOLL_FREE)),
        ("US —toll–free—", SearchQuery("US", NumberType.TOLL_FREE)),  # smart dashes
        ("UK", SearchQuery("GB")),
        ("uk mobile", SearchQuery("GB", NumberType.MOBILE)),
        ("sweden", SearchQuery("SE")),
        ("Sweden MOBILE", SearchQuery("SE", NumberType.MOBILE)),
        ("united states", SearchQuery("US")),
        ("local united states sms", SearchQuery("US", capabilities=(SMS,))),
        ("united states of america toll free", SearchQuery("US", NumberType.TOLL_FREE)),
        ("trinidad and tobago", SearchQuery("TT")),
        ("USA", SearchQuery("US")),
        ("SWE", SearchQuery("SE")),
        ("US sms", SearchQuery("US", capabilities=(SMS,))),
        ("US voice sms", SearchQuery("US", capabilities=(SMS, VOICE))),
        ("US SMS sms", SearchQuery("US", capabilities=(SMS,))),
        ("US sms,voice", SearchQuery("US", capabilities=(SMS, VOICE))),
        ("US 206", SearchQuery("US", pattern=NumberPattern("206", START))),
        ("US (206)", SearchQuery("US", pattern=NumberPattern("206", START))),
        ("US 206-555", SearchQuery("US", pattern=NumberPattern("206555", START))),
        ("US +1206", SearchQuery("US", pattern=NumberPattern("206", START))),
        ("US +1 206", SearchQuery("US", pattern=NumberPattern("206", START))),
        ("+1206 US", SearchQuery("US", pattern=NumberPattern("206", START))),
        ("US +1", SearchQuery("US")),
        ("GB +4420", SearchQuery("GB", pattern=NumberPattern("20", START))),
        ("US starts:206", SearchQuery("US", pattern=NumberPattern("206", START))),
        ("US contains:555", SearchQuery("US", pattern=NumberPattern("555", CONTAINS))),
        ("US CONTAINS:555", SearchQuery("US", pattern=NumberPattern("555", CONTAINS))),
        ("US contains: 555", SearchQuery("US", pattern=NumberPattern("555", CONTAINS))),
        ("US contains=555", SearchQuery("US", pattern=NumberPattern("555", CONTAINS))),
        ("US ends:00", SearchQuery("US", pattern=NumberPattern("00", END))),
        ("US end:00", SearchQuery("US", pattern=NumberPattern("00", END))),
        ("US limit:1", SearchQuery("US", limit=1)),
        (f"US limit:{MAX_LIMIT}", SearchQuery("US", limit=MAX_LIMIT)),
        ("US limit:05", SearchQuery("US", limit=5)),
        (
            "sms 206 limit:5 MOBILE voice us",
            SearchQuery("US", NumberType.MOBILE, (SMS, VOICE), NumberPattern("206", START), 5),
        ),
        ("“US” ‘LOCAL’", SearchQuery("US")),  # smart quotes
        ("`US LOCAL`", SearchQuery("US")),  # pasted from the help text
        ("/numbers US LOCAL", SearchQuery("US")),
        ("US\tLOCAL\nsms", SearchQuery("US", capabilities=(SMS,))),
        ("ＵＳ　ＬＯＣＡＬ", SearchQuery("US")),  # full-width letters and space
        ("U\u200bS", SearchQuery("US")),  # zero-width space
        ("US &amp; LOCAL", SearchQuery("US")),  # Slack escapes & < >
        ("regions", RegionsQuery()),
        ("REGIONS mobile", RegionsQuery(NumberType.MOBILE)),
        ("regions toll free", RegionsQuery(NumberType.TOLL_FREE)),
        ("region", RegionsQuery()),
        ("active", ActiveQuery()),
        ("active US", ActiveQuery(region="US")),
        ("active local sweden", ActiveQuery(region="SE", type=NumberType.LOCAL)),
        ("active united kingdom mobile", ActiveQuery(region="GB", type=NumberType.MOBILE)),
    ],
)
def test_parses(text: str, expected: Query) -> None:
    assert parse_command(text) == expected


# (text, fragments the hint must contain)
ERRORS: list[tuple[str, list[str]]] = [
    ("Swedn", ["Swedn", "Did you mean `SE` (Sweden)"]),
    ("unitd states local", ["unitd", "`US` (United States)"]),
    ("XYZ", ["XYZ", "not a country code I know"]),
    ("US LANDLINE", ["LANDLINE", "unknown type, use LOCAL, MOBILE or TOLL_FREE"]),
    ("US voip", ["unknown type, use LOCAL, MOBILE or TOLL_FREE"]),
    ("US locl", ["unknown type", "did you mean `LOCAL`"]),
    ("US toll", ["did you mean `TOLL_FREE`"]),
    ("US limit:0", [f"between 1 and {MAX_LIMIT}", "got 0"]),
    ("US limit:999", [f"between 1 and {MAX_LIMIT}", "got 999"]),
    ("US limit:" + "9" * 100, [f"between 1 and {MAX_LIMIT}"]),
    ("US limit:abc", [f"from 1 to {MAX_LIMIT}"]),
    ("US limit:", [f"from 1 to {MAX_LIMIT}"]),
    ("US limit:5 limit:6", ["`limit:` once"]),
    ("US limit 5", ["Did you mean `limit:`"]),
    ("US contains:a-b", ["digits (or letters"]),
    ("US contains:", ["digits (or letters"]),
    ("US ends:+1", ["digits (or letters"]),
    ("US 206 contains:555", ["one number pattern at a time", "`206`", "`contains:555`"]),
    ("US 206 555", ["one number pattern at a time", "without spaces"]),
    ("US " + "1" * (MAX_PATTERN_DIGITS + 1), [f"at most {MAX_PATTERN_DIGITS} digits"]),
    ("US contains:" + "1" * (MAX_PATTERN_DIGITS + 1), [f"at most {MAX_PATTERN_DIGITS} digits"]),
    ("GB +1206", ["+44", "United Kingdom"]),
    ("US foo:3", ["`foo:` is not a filter", "contains:"]),
    ("US smss", ["Did you mean `sms`"]),
    ("payload", ["didn't understand `payload`"]),
    ("sms", ["Which region?"]),
    ("LOCAL", ["Which region?"]),
    ("US SE", ["one region at a time", "`US`", "`SE`"]),
    ("US sweden", ["one region at a time", "`sweden` (SE)"]),
    ("US LOCAL MOBILE", ["one number type", "LOCAL and MOBILE"]),
    ("antarctica", ["Antarctica (AQ) has no phone numbers"]),
    ("US help", ["`help` goes first"]),
    ("US active", ["`active` goes first"]),
    ("regions US", ["`regions` lists every region", "`/numbers US LOCAL`"]),
    ("regions sms", ["`regions` takes only a number type"]),
    ("regions LOCAL MOBILE", ["one number type"]),
    ("active US sms", ["`active` takes only a region and a type", "`sms`"]),
    ("active US limit:5", ["`active` takes only a region and a type"]),
    ("active US SE", ["one region at a time"]),
    ("US LOCAL ../etc/passwd", ["didn't understand"]),
    ("US LOCAL a&b=c%20#x", ["didn't understand"]),
    ("US max:", ["`max:` takes a monthly price", "(nothing after it)"]),
    ("US limit:", ["(nothing after it)"]),
    ("US LOCAL -5", ["`-5`: a number pattern has no minus sign"]),
    ("US LOCAL --206", ["no minus sign"]),
    ("x" * (MAX_TEXT_LENGTH + 1), ["too long"]),
    ("US " * 2000, ["too long"]),
]


@pytest.mark.parametrize(("text", "fragments"), ERRORS)
def test_errors_say_what_was_wrong(text: str, fragments: list[str]) -> None:
    with pytest.raises(CommandError) as caught:
        parse_command(text)
    for fragment in fragments:
        assert fragment in caught.value.hint
    assert caught.value.usage


def test_error_echo_is_short_and_printable() -> None:
    with pytest.raises(CommandError) as caught:
        parse_command("US " + "\x07`bad`" + "y" * 200)
    hint = caught.value.hint
    assert "\x07" not in hint
    assert "``" not in hint  # a user's backtick cannot end the inline code early
    assert len(hint) < 200


def test_error_usage_matches_the_kind_of_command() -> None:
    with pytest.raises(CommandError) as caught:
        parse_command("active US sms")
    assert caught.value.usage == usage_for(ActiveQuery)
    with pytest.raises(CommandError) as caught:
        parse_command("regions sms")
    assert caught.value.usage == usage_for(RegionsQuery)
    with pytest.raises(CommandError) as caught:
        parse_command("US LANDLINE")
    assert caught.value.usage == usage_for(SearchQuery)


def test_usage_has_examples_for_every_kind() -> None:
    assert "e.g. `/numbers US LOCAL sms 206`" in usage_for(SearchQuery)
    assert usage_for(None) == usage_for(SearchQuery)
    assert "`/numbers regions MOBILE`" in usage_for(RegionsQuery)
    assert "`/numbers active US LOCAL`" in usage_for(ActiveQuery)
    assert usage_for(HelpQuery) == "`/numbers help`"
    for fragment in ("regions", "active", "TOLL_FREE", "contains:", "ends:", "limit:"):
        assert fragment in USAGE


CANONICAL: list[Query] = [
    HelpQuery(),
    RegionsQuery(),
    RegionsQuery(NumberType.TOLL_FREE),
    ActiveQuery(),
    ActiveQuery(region="SE"),
    ActiveQuery(type=NumberType.MOBILE),
    ActiveQuery(region="GB", type=NumberType.LOCAL),
    SearchQuery("US"),
    SearchQuery("GB", NumberType.TOLL_FREE, (SMS, VOICE), NumberPattern("800", START), 30),
    SearchQuery("SE", NumberType.MOBILE, (VOICE,), NumberPattern("0042", CONTAINS), 1),
    SearchQuery("DE", pattern=NumberPattern("00", END)),
    SearchQuery("XK"),
]


@pytest.mark.parametrize("query", CANONICAL, ids=str)
def test_format_query_round_trips(query: Query) -> None:
    assert parse_command(format_query(query)) == query


def test_format_query_is_canonical() -> None:
    parsed = parse_command("sms voice contains:555 limit:5 mobile united kingdom")
    assert format_query(parsed) == "GB MOBILE sms voice contains:555 limit:5"
    assert format_query(SearchQuery("US")) == "US LOCAL"
    assert format_query(SearchQuery("US", limit=DEFAULT_LIMIT)) == "US LOCAL"
    assert format_query(ActiveQuery(region="US", page_token="tok")) == "active US"


@pytest.mark.parametrize(
    "query",
    [
        SearchQuery("us"),
        SearchQuery("USA"),
        SearchQuery("AQ"),  # no calling code
        SearchQuery("ZZ"),
        SearchQuery("US", limit=0),
        SearchQuery("US", limit=MAX_LIMIT + 1),
        SearchQuery("US", limit=True),
        SearchQuery("US", capabilities=(SMS, SMS)),
        SearchQuery("US", capabilities=("SMS",)),  # type: ignore[arg-type]
        SearchQuery("US", type="LANDLINE"),  # type: ignore[arg-type]
        SearchQuery("US", pattern=NumberPattern("", START)),
        SearchQuery("US", pattern=NumberPattern("20a", START)),
        SearchQuery("US", pattern=NumberPattern("+1206", START)),
        SearchQuery("US", pattern=NumberPattern("206\n", START)),
        SearchQuery("US", pattern=NumberPattern("٣", START)),  # a digit, but not 0-9
        SearchQuery("US", pattern=NumberPattern("1" * (MAX_PATTERN_DIGITS + 1), END)),
        SearchQuery("US", pattern=NumberPattern("206", "START")),  # type: ignore[arg-type]
    ],
)
def test_validate_search_query_rejects_what_sinch_must_never_see(query: SearchQuery) -> None:
    with pytest.raises(CommandError):
        validate_search_query(query)


VALID_SEARCHES = [query for query in CANONICAL if isinstance(query, SearchQuery)]


def test_there_are_valid_searches_to_check() -> None:
    assert len(VALID_SEARCHES) >= 5


@pytest.mark.parametrize("query", VALID_SEARCHES, ids=format_query)
def test_validate_search_query_accepts_valid_queries(query: SearchQuery) -> None:
    validate_search_query(query)  # raises CommandError on a query it refuses


@pytest.mark.parametrize(
    "text", ["active US FAX", "regions FAX", "active SE pager", "regions swedn"]
)
def test_where_only_a_type_can_go_no_region_is_suggested(text: str) -> None:
    # `FAX` is not Åland's `AX`: after a region (or in `regions`), only a type fits there.
    with pytest.raises(CommandError) as caught:
        parse_command(text)
    hint = caught.value.hint
    assert "unknown type, use LOCAL, MOBILE or TOLL_FREE" in hint
    assert "Did you mean" not in hint


def test_a_region_typo_in_active_still_gets_its_region() -> None:
    with pytest.raises(CommandError) as caught:
        parse_command("active swedn")
    assert "Did you mean `SE` (Sweden)" in caught.value.hint
