"""Block Kit renderers: content users rely on, and Slack's limits at the largest inputs."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from bot.commands.parser import parse_command
from bot.commands.usage import USAGE
from bot.core.domain import (
    MAX_LIMIT,
    SEARCH_FETCH_SIZE,
    ActiveQuery,
    Capability,
    NumberPattern,
    NumberType,
    RegionsQuery,
    SearchPattern,
    SearchQuery,
)
from bot.core.errors import (
    CommandError,
    FieldViolation,
    SinchApiError,
    SinchAuthError,
    SinchBadRequestError,
    SinchConnectionError,
    SinchError,
    SinchNotFoundError,
    SinchPermissionError,
    SinchRateLimitedError,
    SinchTimeoutError,
    SinchUnavailableError,
)
from bot.core.money import Money
from bot.search.results import ActiveResult, RegionsResult, SearchResult
from bot.sinch.models import ActiveNumber, AvailableNumber, AvailableRegion
from bot.slack.active_blocks import NEXT_PAGE_ACTION, next_page_value, render_active
from bot.slack.blocks import clip, escape
from bot.slack.error_blocks import (
    render_command_error,
    render_internal_error,
    render_not_permitted,
    render_rate_limited,
    render_sinch_error,
)
from bot.slack.help_blocks import render_help
from bot.slack.regions_blocks import render_regions
from bot.slack.search_blocks import SHARE_ACTION, render_search, render_shared_notice
from tests.blockkit import assert_valid_message

LONG = "W" * 5000
NASTY = "<!channel> & <@U999> *bold* `code` ~x~ " * 100


def money(amount: str, currency: str = "EUR") -> Money:
    return Money(currency_code=currency, amount=Decimal(amount))


def available(phone: str = "+12065550100", **overrides: Any) -> AvailableNumber:
    fields: dict[str, Any] = {
        "phone_number": phone,
        "region_code": "US",
        "type": "LOCAL",
        "capability": ("SMS", "VOICE"),
        "setup_price": money("0.8"),
        "monthly_price": money("1.50"),
        "payment_interval_months": 1,
        "supporting_documentation_required": False,
    }
    return AvailableNumber(**(fields | overrides))


def huge_available(i: int) -> AvailableNumber:
    """The longest fields Sinch could send for one number."""
    return available(
        phone=f"+1206555{i:04d}" + LONG,
        capability=tuple(f"CAP{j}{LONG}" for j in range(50)),
        setup_price=money("1E+999", NASTY),
        monthly_price=money("123456789012345.123456789", NASTY),
        payment_interval_months=10**30,
        supporting_documentation_required=True,
    )


def search_result(
    query: SearchQuery | None = None,
    count: int = 3,
    *,
    cache_age: float | None = None,
    numbers: tuple[AvailableNumber, ...] | None = None,
) -> SearchResult:
    query = query or SearchQuery(region="US")
    if numbers is None:
        numbers = tuple(available(f"+120655501{i:02d}") for i in range(count))
    return SearchResult(
        query=query, numbers=numbers, fetch_size=SEARCH_FETCH_SIZE, cache_age=cache_age
    )


def all_text(message: dict[str, Any]) -> str:
    """Every string in the message, to search content without caring about block layout."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(message)
    return "\n".join(found)


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        element
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def header_text(message: dict[str, Any]) -> str:
    header = message["blocks"][0]
    assert header["type"] == "header"
    return str(header["text"]["text"])


# --- search -----------------------------------------------------------------------------


def test_search_header_uses_readable_type_and_region_name() -> None:
    message = render_search(search_result(SearchQuery(region="US")))
    assert_valid_message(message)
    assert header_text(message) == "🇺🇸 Available local numbers in United States"
    toll_free = render_search(search_result(SearchQuery(region="GB", type=NumberType.TOLL_FREE)))
    assert "Available toll-free numbers in United Kingdom" in header_text(toll_free)


def test_search_shows_number_locality_capabilities_and_prices() -> None:
    number = available(
        "+442079460000",
        capability=("SMS",),
        setup_price=money("0"),
        monthly_price=money("2", "GBP"),
        payment_interval_months=3,
        supporting_documentation_required=True,
    )
    message = render_search(search_result(SearchQuery(region="GB"), numbers=(number,)))
    assert_valid_message(message)
    section = message["blocks"][1]["text"]["text"]
    assert "*+44 20 7946 0000*" in section
    assert "London" in section
    assert "SMS" in section
    assert "voice" not in section
    assert "GBP 2.00 every 3 months" in section
    assert "no setup fee" in section
    assert "Supporting documents required" in section


def test_search_monthly_price_and_setup_fee() -> None:
    message = render_search(search_result(count=1))
    section = message["blocks"][1]["text"]["text"]
    assert "SMS + voice" in section
    assert "EUR 1.50/month" in section
    assert "setup EUR 0.80" in section
    assert "documents" not in section


@pytest.mark.parametrize(
    ("amount", "shown"),
    [("0.8", "0.80"), ("0.80", "0.80"), ("12", "12.00"), ("0.0035", "0.0035"), ("1E+3", "1000.00")],
)
def test_amounts_keep_their_precision(amount: str, shown: str) -> None:
    number = available(monthly_price=money(amount))
    message = render_search(search_result(numbers=(number,)))
    assert f"EUR {shown}/month" in message["blocks"][1]["text"]["text"]


def test_missing_prices_are_said_so() -> None:
    number = available(setup_price=None, monthly_price=None, payment_interval_months=None)
    text = all_text(render_search(search_result(numbers=(number,))))
    assert "price unknown/month" in text


def test_footer_counts_and_suggests_how_to_narrow() -> None:
    result = search_result(count=SEARCH_FETCH_SIZE)  # a full fetch: there may be more still
    message = render_search(result)
    assert_valid_message(message)
    footer = message["blocks"][-2]
    assert footer["type"] == "context"
    texts = [element["text"] for element in footer["elements"]]
    assert "`/numbers US LOCAL`" in texts
    assert f"10 of {SEARCH_FETCH_SIZE}+ shown" in texts
    more = next(t for t in texts if "more" in t)
    assert more.startswith(f"{SEARCH_FETCH_SIZE - 10}+ more — narrow with")
    for idea in ("`206`", "`contains:`", "`sms`", f"`limit:{MAX_LIMIT}`"):
        assert idea in more


def test_footer_more_is_exact_below_the_fetch_size() -> None:
    message = render_search(search_result(count=12))
    text = all_text(message)
    assert "10 of 12 shown" in text
    assert "2 more — narrow with" in text


def test_footer_does_not_suggest_filters_already_used() -> None:
    query = parse_command("US sms 206")
    assert isinstance(query, SearchQuery)
    text = all_text(render_search(search_result(query, count=12)))
    more = next(line for line in text.splitlines() if "more —" in line)
    assert "`sms`" not in more
    assert "`206`" not in more


def test_everything_shown_has_no_more_note() -> None:
    text = all_text(render_search(search_result(count=3)))
    assert "3 shown" in text
    assert "more" not in text


def test_cached_footer() -> None:
    assert "(cached, 12 s old)" in all_text(render_search(search_result(cache_age=12.4)))
    assert "cached" not in all_text(render_search(search_result(cache_age=None)))


def test_sandbox_note() -> None:
    message = render_search(search_result(), sandbox=True)
    assert_valid_message(message)
    assert "Sandbox data — fictional numbers" in all_text(message)
    # Rent buttons work in the sandbox: the note says what renting there does.
    assert "renting one changes only the sandbox" in all_text(message)
    assert "not rentable" not in all_text(message)
    assert "Sandbox" not in all_text(render_search(search_result()))


@pytest.mark.parametrize(
    "text",
    [
        "US LOCAL",
        "united kingdom mobile sms voice contains:555 limit:5",
        "SE TOLL_FREE ends:00 limit:30",
        "us +1206 voice",
    ],
)
def test_share_button_value_round_trips_through_the_parser(text: str) -> None:
    query = parse_command(text)
    assert isinstance(query, SearchQuery)
    message = render_search(search_result(query))
    assert_valid_message(message)
    [button] = buttons(message)
    assert button["action_id"] == SHARE_ACTION == "numbers_share"
    assert button["text"]["text"] == "Share to channel"
    assert parse_command(button["value"]) == query


def test_not_shareable_has_no_button() -> None:
    assert buttons(render_search(search_result(), shareable=False)) == []


def test_shared_copy_names_the_sharer_and_has_no_button() -> None:
    message = render_search(search_result(), shared_by="U123ABC")
    assert_valid_message(message)
    assert "Shared by <@U123ABC>" in all_text(message)
    assert buttons(message) == []


def test_shared_by_a_malformed_id_is_not_a_mention() -> None:
    text = all_text(render_search(search_result(), shared_by="<!channel>"))
    assert "<!channel>" not in text
    assert "&lt;!channel&gt;" in text


def test_empty_search_explains_and_suggests() -> None:
    query = SearchQuery(
        region="GB",
        capabilities=(Capability.SMS,),
        pattern=NumberPattern("020", SearchPattern.START),
    )
    message = render_search(search_result(query, count=0))
    assert_valid_message(message)
    text = all_text(message)
    # The parser drops the 0 itself now; a query built with it says what it really searches.
    assert "No local numbers in United Kingdom match `/numbers GB LOCAL sms +44020`" in text
    assert "`/numbers GB LOCAL 20`" in text  # the national prefix dropped
    assert "without `sms` / `voice`" in text
    assert "`/numbers GB MOBILE`" in text
    assert "`/numbers regions`" in text
    assert buttons(message) == []
    assert message["text"] == "No available local numbers in United Kingdom match."


def test_empty_search_without_filters_suggests_other_types() -> None:
    text = all_text(render_search(search_result(SearchQuery(region="SE"), count=0)))
    assert "shorter" not in text
    assert "sms" not in text
    assert "`/numbers SE MOBILE`" in text
    assert "`TOLL_FREE`" in text


def test_largest_search_stays_within_slack_limits() -> None:
    query = SearchQuery(
        region="US",
        type=NumberType.TOLL_FREE,
        capabilities=(Capability.SMS, Capability.VOICE),
        pattern=NumberPattern("1" * 15, SearchPattern.CONTAINS),
        limit=MAX_LIMIT,
    )
    numbers = tuple(huge_available(i) for i in range(SEARCH_FETCH_SIZE))
    for sandbox in (False, True):
        for shared_by in (None, "U" + "1" * 30, LONG):
            message = render_search(
                search_result(query, numbers=numbers, cache_age=1e12),
                sandbox=sandbox,
                shared_by=shared_by,
            )
            assert_valid_message(message)
            assert sum(b["type"] == "section" for b in message["blocks"]) == MAX_LIMIT


def test_more_numbers_than_blocks_allow_are_cut_with_a_note() -> None:
    query = SearchQuery(region="US", limit=200)  # beyond MAX_LIMIT: only a bug could do this
    numbers = tuple(available(f"+1206555{i:04d}") for i in range(200))
    message = render_search(search_result(query, numbers=numbers), sandbox=True, shared_by="U1X")
    assert_valid_message(message)
    assert "more not shown" in all_text(message)


def test_untrusted_text_is_escaped() -> None:
    number = available("+1<!here>", capability=("<@U1>",), monthly_price=money("1", "<b>"))
    text = all_text(render_search(search_result(numbers=(number,))))
    assert "<!here>" not in text
    assert "<@U1>" not in text
    assert "<b>" not in text
    assert "&lt;!here&gt;" in text
    assert "&lt;b&gt; 1.00" in text


# --- searching, sharing -----------------------------------------------------------------


def test_render_shared_notice() -> None:
    message = render_shared_notice("U42")
    assert_valid_message(message)
    assert "<@U42> shared these results to the channel" in message["text"]


# --- regions ----------------------------------------------------------------------------


def test_regions_list_names_and_types_sorted() -> None:
    result = RegionsResult(
        query=RegionsQuery(),
        regions=(
            AvailableRegion(
                region_code="US", region_name="United States", types=("LOCAL", "TOLL_FREE")
            ),
            AvailableRegion(region_code="AU", region_name="Australia", types=("MOBILE",)),
            AvailableRegion(region_code="SE", region_name="", types=("MOBILE",)),
        ),
    )
    message = render_regions(result)
    assert_valid_message(message)
    assert header_text(message) == "Regions with numbers to rent (3)"
    body = message["blocks"][1]["text"]["text"]
    assert body.splitlines() == [
        "🇦🇺 *AU* Australia: mobile",
        "🇸🇪 *SE* Sweden: mobile",
        "🇺🇸 *US* United States: local, toll-free",
    ]
    assert "`/numbers AU MOBILE`" in all_text(message)
    assert message["text"] == "3 regions offer numbers"


def test_regions_of_one_type() -> None:
    result = RegionsResult(query=RegionsQuery(NumberType.MOBILE), regions=())
    message = render_regions(result, sandbox=True)
    assert_valid_message(message)
    assert header_text(message) == "Regions with mobile numbers to rent (0)"
    assert "no mobile numbers" in all_text(message)
    assert "Sandbox" in all_text(message)


def test_largest_regions_list_stays_within_slack_limits() -> None:
    regions = tuple(
        AvailableRegion(
            region_code=f"{chr(65 + i // 26 % 26)}{chr(65 + i % 26)}",
            region_name=f"{NASTY}{i}",
            types=tuple(f"{LONG}{j}" for j in range(10)),
        )
        for i in range(250)
    )
    for query in (RegionsQuery(), RegionsQuery(NumberType.TOLL_FREE)):
        message = render_regions(RegionsResult(query=query, regions=regions), sandbox=True)
        assert_valid_message(message)
        text = all_text(message)
        assert all(f"*{region.region_code}*" in text for region in regions)


def test_regions_250_realistic_all_shown() -> None:
    regions = tuple(
        AvailableRegion(
            region_code=f"{chr(65 + i // 26)}{chr(65 + i % 26)}",
            region_name=f"Region number {i}",
            types=("MOBILE", "LOCAL", "TOLL_FREE"),
        )
        for i in range(250)
    )
    message = render_regions(RegionsResult(query=RegionsQuery(), regions=regions))
    assert_valid_message(message)
    text = all_text(message)
    assert all(f"Region number {i}:" in text for i in range(250))


def test_regions_beyond_the_block_budget_are_counted() -> None:
    regions = tuple(
        AvailableRegion(region_code="SE", region_name=f"{LONG}{i}", types=("MOBILE",))
        for i in range(2000)
    )
    message = render_regions(RegionsResult(query=RegionsQuery(), regions=regions))
    assert_valid_message(message)
    last_section = [b for b in message["blocks"] if b["type"] == "section"][-1]
    assert last_section["text"]["text"].endswith(" more.")


# --- active numbers ---------------------------------------------------------------------


def active(phone: str = "+12015555555", **overrides: Any) -> ActiveNumber:
    fields: dict[str, Any] = {
        "phone_number": phone,
        "region_code": "US",
        "type": "LOCAL",
        "display_name": "Support line",
        "capability": ("SMS", "VOICE"),
        "money": money("0.80"),
        "payment_interval_months": 1,
        "next_charge_date": datetime(2024, 6, 6, 14, 42, tzinfo=UTC),
    }
    return ActiveNumber(**(fields | overrides))


def test_active_header_total_and_next_page_button() -> None:
    query = ActiveQuery(region="US", type=NumberType.LOCAL, page_token="abc")
    result = ActiveResult(
        query=query, numbers=(active(),), total_size=42, next_page_token="tok==/+"
    )
    message = render_active(result, page=2)
    assert_valid_message(message)
    assert header_text(message) == "🇺🇸 Active local numbers in United States (42 in total)"
    text = all_text(message)
    assert "*+1 201-555-5555*" in text
    assert "“Support line”" in text
    assert "EUR 0.80/month" in text
    assert "next charge 2024-06-06" in text
    assert "Page 2 · 1 shown" in text
    [button] = buttons(message)
    assert button["action_id"] == NEXT_PAGE_ACTION == "numbers_active_next"
    assert json.loads(button["value"]) == {
        "region": "US",
        "type": "LOCAL",
        "page_token": "tok==/+",
        "page": 3,
    }


def test_active_last_page_has_no_button() -> None:
    result = ActiveResult(
        query=ActiveQuery(), numbers=(active(),), total_size=1, next_page_token=""
    )
    message = render_active(result)
    assert_valid_message(message)
    assert buttons(message) == []
    assert header_text(message) == "Active numbers (1 in total)"


def test_active_empty() -> None:
    query = ActiveQuery(region="SE", type=NumberType.MOBILE)
    message = render_active(
        ActiveResult(query=query, numbers=(), total_size=0, next_page_token=None), sandbox=True
    )
    assert_valid_message(message)
    assert "This project rents no mobile numbers in Sweden." in all_text(message)


def test_active_oversized_page_token_gives_no_broken_button() -> None:
    result = ActiveResult(
        query=ActiveQuery(), numbers=(active(),), total_size=None, next_page_token="t" * 3000
    )
    message = render_active(result)
    assert_valid_message(message)
    assert buttons(message) == []
    assert "More pages exist" in all_text(message)


def mrkdwn_texts(message: dict[str, Any]) -> str:
    texts = [message["text"]]
    for block in message["blocks"]:
        objects = [block.get("text") or {}, *block.get("elements", [])]
        texts += [o["text"] for o in objects if o.get("type") == "mrkdwn"]
    return "\n".join(texts)


def test_active_with_a_tampered_region_never_renders_markup() -> None:
    query = ActiveQuery(region="<!here>", type=NumberType.LOCAL)
    for numbers in ((), (active(),)):
        result = ActiveResult(query=query, numbers=numbers, total_size=None, next_page_token=None)
        message = render_active(result)
        assert_valid_message(message)
        assert "<!here>" not in mrkdwn_texts(message)
        assert "&lt;!here&gt;" in mrkdwn_texts(message)


def test_next_page_value_is_compact_and_bounded() -> None:
    assert next_page_value(ActiveQuery(), None, 2) is None
    assert next_page_value(ActiveQuery(), "", 2) is None
    assert next_page_value(ActiveQuery(), "abc", 2) == '{"page":2,"page_token":"abc"}'
    assert next_page_value(ActiveQuery(), "x" * 1980, 2) is None


def test_largest_active_page_stays_within_slack_limits() -> None:
    numbers = tuple(
        active(
            f"+1201555{i:04d}{LONG}",
            type=LONG,
            display_name=NASTY,
            capability=tuple(LONG for _ in range(20)),
            money=money("9" * 40, NASTY),
            payment_interval_months=0,
            expire_at=datetime(2030, 1, 1, tzinfo=UTC),
        )
        for i in range(100)
    )
    query = ActiveQuery(region="US", type=NumberType.TOLL_FREE)
    result = ActiveResult(
        query=query, numbers=numbers, total_size=10**12, next_page_token="n" * 1900
    )
    message = render_active(result, sandbox=True, page=10**6)
    assert_valid_message(message)
    assert "more on this page not shown" in all_text(message)
    [button] = buttons(message)
    assert len(button["value"]) <= 2000


# --- help and errors --------------------------------------------------------------------


def test_help() -> None:
    message = render_help()
    assert_valid_message(message)
    assert message["blocks"][1]["text"]["text"] == USAGE
    assert "/numbers" in header_text(message)


def test_command_error_says_what_was_wrong_and_the_usage() -> None:
    with pytest.raises(CommandError) as caught:
        parse_command("US LANDLINE")
    message = render_command_error(caught.value)
    assert_valid_message(message)
    text = all_text(message)
    assert "unknown type, use LOCAL, MOBILE or TOLL_FREE" in text
    assert "Try: `/numbers REGION [TYPE]" in text
    assert "`/numbers help`" in text


@pytest.mark.parametrize("usage", [None, LONG])
def test_command_error_with_long_untrusted_hint(usage: str | None) -> None:
    message = render_command_error(CommandError(NASTY * 10, usage=usage))
    assert_valid_message(message)
    assert "<!channel>" not in all_text(message)


SINCH_ERRORS: list[tuple[SinchError, list[str]]] = [
    (SinchTimeoutError("slow"), ["Sinch is slow to answer, try again in a minute"]),
    (SinchConnectionError("refused"), ["Can't reach Sinch"]),
    (
        SinchUnavailableError("down", status_code=503),
        ["Sinch is unavailable right now", "503"],
    ),
    (
        SinchAuthError("401"),
        ["The bot can't authenticate with Sinch", "tell the bot's admins", "SINCH_KEY_ID/SECRET"],
    ),
    (
        SinchRateLimitedError("slow down", status_code=429, retry_after=30),
        ["rate limiting", "30 s"],
    ),
    (SinchRateLimitedError("slow down", status_code=429), ["rate limiting", "in a minute"]),
    (
        SinchBadRequestError(
            "bad",
            status_code=400,
            status="INVALID_ARGUMENT",
            violations=[FieldViolation("numberPattern.pattern", "must be digits")],
        ),
        [
            "Sinch rejected the request",
            "Sinch said: bad",
            "`numberPattern.pattern`: must be digits",
        ],
    ),
    (
        SinchPermissionError("Trial account", status_code=403),
        ["Sinch refused", "tell the bot's admins", "Trial account"],
    ),
    (SinchNotFoundError("no project", status_code=404), ["SINCH_PROJECT_ID"]),
    (SinchApiError("teapot", status_code=418), ["HTTP 418", "teapot"]),
    (SinchError("odd"), ["Sinch failed to answer"]),
]


@pytest.mark.parametrize(("exc", "fragments"), SINCH_ERRORS, ids=lambda v: type(v).__name__)
def test_sinch_errors_are_specific(exc: SinchError, fragments: list[str]) -> None:
    message = render_sinch_error(exc)
    assert_valid_message(message)
    text = all_text(message)
    for fragment in fragments:
        assert fragment in text


def test_sinch_error_with_huge_untrusted_details() -> None:
    violations = [FieldViolation(NASTY, LONG) for _ in range(100)]
    exc = SinchBadRequestError(NASTY * 10, status_code=400, violations=violations)
    message = render_sinch_error(exc)
    assert_valid_message(message)
    text = all_text(message)
    assert "<!channel>" not in text
    assert "…and 90 more." in text


def test_internal_error() -> None:
    message = render_internal_error()
    assert_valid_message(message)
    assert "Something went wrong" in message["text"]


def test_not_permitted() -> None:
    mention = render_not_permitted("<@U0ADMIN>")
    assert_valid_message(mention)
    assert "Ask <@U0ADMIN> for access" in mention["text"]
    plain = render_not_permitted("the #numbers-admins <!everyone> crew")
    assert_valid_message(plain)
    assert "&lt;!everyone&gt;" in plain["text"]
    assert_valid_message(render_not_permitted(""))
    assert_valid_message(render_not_permitted(LONG))


@pytest.mark.parametrize(
    ("seconds", "shown"), [(0.2, "1 s"), (0, "1 s"), (-5, "1 s"), (42.1, "43 s"), (600, "10 min")]
)
def test_rate_limited(seconds: float, shown: str) -> None:
    message = render_rate_limited(seconds)
    assert_valid_message(message)
    assert f"try again in {shown}" in message["text"]


# --- helpers ----------------------------------------------------------------------------


def test_escape() -> None:
    assert escape("a & <b> c") == "a &amp; &lt;b&gt; c"


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("abcdefghij", 5, "abcd…"),
        ("ab &amp; cd", 6, "ab …"),  # never half an entity
        ("see <@U123> now", 9, "see …"),  # never half a mention
    ],
)
def test_clip(text: str, limit: int, expected: str) -> None:
    assert clip(text, limit) == expected
    assert len(clip(text, limit)) <= limit


def test_an_empty_search_in_a_region_without_that_type_says_so() -> None:
    query = SearchQuery(region="US", type=NumberType.MOBILE)
    empty = dataclasses.replace(search_result(query, 0), region_types=("LOCAL", "TOLL_FREE"))
    text = all_text(render_search(empty))
    assert "Sinch offers no mobile numbers in United States." in text
    assert "`/numbers US LOCAL` or `/numbers US TOLL_FREE`" in text
    assert "another type" not in text  # no filter advice: no filter would help
    nowhere = dataclasses.replace(search_result(SearchQuery(region="GE"), 0), region_types=())
    assert "Sinch offers no numbers in Georgia; `/numbers regions`" in all_text(
        render_search(nowhere)
    )
    offered = dataclasses.replace(
        search_result(SearchQuery(region="US"), 0), region_types=("LOCAL",)
    )
    assert "another type" in all_text(render_search(offered))  # offered, just none matched
