"""Property tests: for ANY text, parse_command returns a safe Query or raises CommandError."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.commands.parser import format_query, parse_command
from bot.core.domain import (
    MAX_LIMIT,
    MAX_PATTERN_DIGITS,
    Capability,
    NumberType,
    Query,
    SearchPattern,
    SearchQuery,
)
from bot.core.errors import CommandError
from bot.core.validation import validate_search_query
from bot.search.results import SearchResult
from bot.slack.error_blocks import render_command_error
from bot.slack.help_blocks import render_help
from bot.slack.search_blocks import render_search
from tests.blockkit import assert_valid_message

validation = pytest.importorskip("bot.core.validation")

METACHARACTERS = "&=%#+-:/.,;'\"`*_<>()[]{}|\\~^$@!? \t\n\r\x00\u200b\u00a0“”‘’–—…"
WORDS = [
    "US", "us", "UK", "GB", "SE", "sweden", "united", "states", "kingdom", "of", "america",
    "USA", "SWE", "XYZ", "AQ", "antarctica", "XK", "LOCAL", "local", "MOBILE", "TOLL_FREE",
    "toll", "free", "toll-free", "LANDLINE", "sms", "voice", "SMS", "206", "+1206", "+1",
    "+44", "0", "contains:", "contains:555", "ends:00", "starts:", "limit:", "limit:5",
    "limit:0", "limit:30", "limit:999", "contains:abc", "regions", "active", "help", "?",
    "payload", "../", "%2B", "a=b", "&amp;", "<@U123>", "`", "“US”", "—", "/numbers",
]  # fmt: skip

# Mostly command-shaped input (so parsing succeeds often enough to check its output) plus
# arbitrary unicode and the characters that break naive tokenizers.
command_like = st.lists(
    st.sampled_from(WORDS) | st.from_regex(r"\+?[0-9]{1,18}", fullmatch=True),
    max_size=8,
).map(" ".join)
# Valid searches in any order, with noise words sometimes: exercises the success path.
REGIONS = ["US", "gb", "UK", "sweden", "united states", "SWE", "Trinidad and Tobago", "XK", "de"]
TYPES = ["", "LOCAL", "mobile", "TOLL_FREE", "toll free", "toll-free"]
PATTERNS = ["", "206", "+1206", "+44 20", "contains:555", "ends:00", "starts:1", "contains: 0"]
searches = (
    st.builds(
        lambda region, kind, caps, pattern, limit, noise: [
            region,
            kind,
            *caps,
            pattern,
            limit,
            noise,
        ],
        st.sampled_from(REGIONS),
        st.sampled_from(TYPES),
        st.lists(st.sampled_from(["sms", "voice", "SMS"]), max_size=2),
        st.sampled_from(PATTERNS),
        st.sampled_from(["", "limit:1", "limit:30", "limit:31"])
        | st.integers(0, 99).map("limit:{}".format),
        st.sampled_from([""] * 8 + WORDS),
    )
    .flatmap(st.permutations)
    .map(" ".join)
)
texts = (
    searches
    | command_like
    | st.text(alphabet=st.sampled_from(METACHARACTERS + "abcUS0123456789"), max_size=40)
    | st.text(max_size=60)
)


def check_search(query: SearchQuery) -> None:
    validate_search_query(query)
    validation.validate_search_query(query)  # the service's gate must agree
    assert isinstance(query.type, NumberType)
    assert len(query.region) == 2
    assert query.region.isascii()
    assert query.region.isupper()
    assert validation.calling_code(query.region)
    assert all(isinstance(c, Capability) for c in query.capabilities)
    assert len(set(query.capabilities)) == len(query.capabilities)
    assert 1 <= query.limit <= MAX_LIMIT
    if query.pattern is not None:
        assert isinstance(query.pattern.kind, SearchPattern)
        assert query.pattern.digits.isascii()
        assert query.pattern.digits.isdigit()
        assert 1 <= len(query.pattern.digits) <= MAX_PATTERN_DIGITS


def check(text: str) -> None:
    outcome: Query | CommandError
    try:
        outcome = parse_command(text)
    except CommandError as err:
        outcome = err
    if isinstance(outcome, CommandError):
        assert outcome.hint
        assert_valid_message(render_command_error(outcome))
        return
    query = outcome
    if isinstance(query, SearchQuery):
        check_search(query)
        # Everything a reply derives from the query (header, footer, Share value) fits Slack.
        assert_valid_message(render_search(SearchResult(query=query, numbers=(), fetch_size=30)))
    assert parse_command(format_query(query)) == query


@settings(max_examples=1000, deadline=None)
@given(texts)
@example("")
@example("US LOCAL sms voice +1206 limit:30")
@example("united states toll free contains:555")
@example("&amp;&lt;&gt; % # ../../etc/passwd ' \" ` =")
@example("x" * 10_000)
@example("US " + "9" * 10_000)
@example("US limit:" + "9" * 400)
@example("\x00\x01\x1b[31m US")
@example("🇺🇸 📞 ☎️")
@example("İstanbul ß ﷽ ǅ")
@example("US\u202eLACOL")
@example("regions " * 100)
@example("“Sweden” — MOBILE – ends:00")
@example("payload")
@example("US +")
@example("US +-1")
@example("US 1-")
@example("contains:" * 50)
def test_parse_command_is_total(text: str) -> None:
    check(text)


def test_help_renders() -> None:
    assert_valid_message(render_help())
