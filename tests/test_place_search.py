"""Every form of issue 11's grammar, through the real parser and service against the sandbox:
rendered for Slack (Block Kit) and run by the CLI (`numbers-bot search … --sandbox --json`)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from bot.app.runtime import Runtime, build_runtime
from bot.app.sandbox_mode import sandbox_settings
from bot.cli.app import main
from bot.commands.parser import parse_command
from bot.core.domain import SearchQuery
from bot.ops.config import Settings
from bot.sandbox import SandboxServer
from bot.search.results import SearchResult
from bot.slack.search_blocks import SHOW_MORE_ACTION, render_search
from tests.blockkit import assert_valid_message

# (command words, prefixes every number found must start with, text the Slack reply shows)
ROWS: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    ("seattle", ("+1206",), ("Seattle, WA", "area code 206")),
    ("san francisco", ("+1415",), ("San Francisco, CA", "415")),
    ("US LOCAL chicago", ("+1312",), ("Chicago, IL", "312")),
    ("GB london", ("+4420",), ("London", "area code 20")),
    ("stockholm", ("+468",), ("Stockholm", "Sweden")),
    ("in:austin", ("+1512",), ("Austin, TX", "`/numbers US in:austin,mn`")),
    ("US in:portland,me", ("+1207",), ("Portland, ME", "207")),
    ("US in:portland, me", ("+1207",), ("Portland, ME",)),
    ("US texas", ("+1214", "+1512", "+1713"), ("Texas", "16 less prominent area codes")),
    ("US TX", ("+1214", "+1512", "+1713"), ("Texas",)),
    ("CA ontario", ("+1416",), ("Ontario", "416")),
    ("near:+12065550123", ("+1206",), ("nearest first", "206555")),
    ("US LOCAL 1206", ("+1206",), ("`/numbers US LOCAL 206`",)),
    ("GB LOCAL 020", ("+4420",), ("`/numbers GB LOCAL 20`",)),
    ("SE LOCAL 08", ("+468",), ("`/numbers SE LOCAL 8`",)),
    ("+1206", ("+1206",), ("`/numbers US LOCAL 206`",)),
    ("US contains:JKL", ("+1",), ("spells", "JKL")),
    ("US texas nodocs", ("+1214", "+1512"), ("hidden: they need supporting documents",)),
    ("US max:1.00", ("+1",), ()),
    ("US texas sort:price", ("+1214", "+1512", "+1713"), ()),
    ("GB MOBILE ends:00 limit:5", ("+447700900",), ()),
]


@pytest.fixture
async def runtime() -> AsyncIterator[Runtime]:
    async with SandboxServer() as server:
        settings = sandbox_settings(Settings(_env_file=None, search_cache_ttl=0), server)
        built = build_runtime(settings)
        try:
            yield built
        finally:
            await built.aclose()


async def search(runtime: Runtime, text: str) -> SearchResult:
    query = parse_command(text)
    assert isinstance(query, SearchQuery)
    result = await runtime.service.run(query)
    assert isinstance(result, SearchResult)
    return result


def check_numbers(
    text: str, numbers: list[str], monthly: list[Decimal], prefixes: tuple[str, ...]
) -> None:
    assert numbers, f"{text!r} found nothing in the sandbox"
    for number in numbers:
        assert number.startswith(prefixes), (text, number)
    if "sort:price" in text:
        assert monthly == sorted(monthly)
    if "max:1.00" in text:
        assert max(monthly) <= Decimal("1.00")
    if "ends:00" in text:
        assert all(n.endswith("00") for n in numbers)


@pytest.mark.parametrize(("text", "prefixes", "shows"), ROWS)
async def test_slack_reply_for_each_form(
    runtime: Runtime, text: str, prefixes: tuple[str, ...], shows: tuple[str, ...]
) -> None:
    result = await search(runtime, text)
    numbers = [n.phone_number for n in result.shown]
    monthly = [n.monthly_price.amount for n in result.shown if n.monthly_price]
    check_numbers(text, numbers, monthly, prefixes)
    message = render_search(result, sandbox=True)
    assert_valid_message(message)
    rendered = json.dumps(message, ensure_ascii=False)
    for fragment in shows:
        assert fragment in rendered, (text, fragment)


@pytest.mark.parametrize(("text", "prefixes", "shows"), ROWS)
def test_cli_json_for_each_form(
    capsys: pytest.CaptureFixture[str], text: str, prefixes: tuple[str, ...], shows: tuple[str, ...]
) -> None:
    del shows
    assert main(["search", *text.split(), "--sandbox", "--json"]) == 0
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    numbers = [n["phone_number"] for n in data["numbers"]]
    monthly = [Decimal(n["monthly_price"]["amount"]) for n in data["numbers"]]
    check_numbers(text, numbers, monthly, prefixes)
    for number in data["numbers"]:
        assert number["national"]
        assert "locality" in number


async def test_a_state_search_interleaves_its_area_codes(runtime: Runtime) -> None:
    result = await search(runtime, "US texas limit:6")
    # 214, 512 and 713 all have numbers: the first six take turns between them.
    assert {n.phone_number[:5] for n in result.shown} == {"+1214", "+1512", "+1713"}
    assert result.query.place is not None
    assert result.query.place.skipped == 16


async def test_nodocs_hides_and_counts(runtime: Runtime) -> None:
    everything = await search(runtime, "US texas")
    hidden = await search(runtime, "US texas nodocs")
    with_docs = [n for n in everything.numbers if n.supporting_documentation_required]
    assert with_docs  # Houston's sandbox numbers need documents
    assert hidden.hidden_for_docs == len(with_docs)
    assert not any(n.supporting_documentation_required for n in hidden.numbers)


async def test_vanity_word_is_spelled_on_each_number(runtime: Runtime) -> None:
    result = await search(runtime, "US contains:JKL limit:3")
    assert result.query.pattern is not None
    assert result.query.pattern.digits == "555"
    message = json.dumps(render_search(result, sandbox=True), ensure_ascii=False)
    assert message.count("spells") == 3


async def test_show_more_button_when_more_were_fetched(runtime: Runtime) -> None:
    result = await search(runtime, "seattle limit:5")
    assert result.more > 0
    message = render_search(result, sandbox=True)
    values = [
        element["value"]
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == SHOW_MORE_ACTION
    ]
    assert values == [
        json.dumps({"o": 5, "q": "US LOCAL in:seattle,wa limit:5"}, separators=(",", ":"))
    ]


def test_cli_search_help_is_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "help"]) == 0
    out = capsys.readouterr().out
    assert "numbers-bot search seattle" in out
    assert "near:+12065550123" in out


def test_cli_json_carries_the_vanity_word(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "US", "contains:JKL", "limit:2", "--sandbox", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [n["word"] for n in data["numbers"]] == ["JKL", "JKL"]
    assert all("JKL" in n["spelled"] for n in data["numbers"])
    assert data["numbers"][0]["locality"] == "Washington State"


async def test_no_show_more_button_when_everything_is_shown(runtime: Runtime) -> None:
    result = await search(runtime, "US in:portland,me")  # the sandbox has 6 numbers in 207
    assert len(result.shown) == len(result.numbers) == 6
    message = json.dumps(render_search(result, sandbox=True))
    assert SHOW_MORE_ACTION not in message
    assert "numbers_share" in message


@pytest.mark.parametrize(
    ("words", "query"),
    [
        (
            ["springfield", "il"],
            {
                "region": "US",
                "type": "LOCAL",
                "pattern": None,
                "place": {"label": "Springfield, IL", "areas": ["217", "447"], "skipped": 0},
            },
        ),
        (
            ["GB", "MOBILE", "ends:00"],
            {
                "region": "GB",
                "type": "MOBILE",
                "pattern": {"kind": "END", "digits": "00", "word": None},
                "place": None,
            },
        ),
        (["US", "texas"], {"region": "US", "place": {"label": "Texas", "skipped": 16}}),
    ],
)
def test_cli_json_says_what_was_searched(
    capsys: pytest.CaptureFixture[str], words: list[str], query: dict[str, Any]
) -> None:
    assert main(["search", *words, "--sandbox", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)["query"]
    for key, value in query.items():
        if isinstance(value, dict) and key == "place":
            assert {k: got[key][k] for k in value} == value
        else:
            assert got[key] == value


async def test_a_widened_place_says_so_in_slack(runtime: Runtime) -> None:
    result = await search(runtime, "paris")
    message = json.dumps(render_search(result, sandbox=True), ensure_ascii=False)
    assert "Paris has more prefixes than one search takes" in message


def test_a_widened_place_says_so_in_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "paris", "--sandbox"]) == 0
    assert "Paris has more prefixes than one search takes" in capsys.readouterr().out
