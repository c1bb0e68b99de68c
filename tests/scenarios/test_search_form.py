"""The search form: `/numbers` alone opens a modal; its type-ahead and submission, signed."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import respx
from slack_sdk.models.views import View

from bot.commands.parser import parse_command
from bot.slack import search_form as form
from bot.slack.help_blocks import SEARCH_FORM_ACTION
from tests.blockkit import assert_valid_message
from tests.scenarios.conftest import REGIONS, MakeBot
from tests.scenarios.test_home import home_opened
from tests.slack_stub import (
    SlackStub,
    action_body,
    block_suggestion_body,
    button_in,
    command_body,
    view_submission_body,
)

SINCH_ROUTES = ("available", "regions", "active")


def values(
    region: str = "US",
    *,
    type_: str = "LOCAL",
    place: str | None = None,
    capabilities: tuple[str, ...] = (),
    pattern: str | None = None,
    match: str = "contains",
    options: tuple[str, ...] = (),
    max_price: str | None = None,
    limit: str | None = "10",
) -> dict[str, dict[str, dict[str, Any]]]:
    """view.state.values as Slack sends them: block_id -> action_id -> the element's state."""

    def option(value: str) -> dict[str, Any]:
        return {"text": {"type": "plain_text", "text": value}, "value": value}

    def one(block: str, state: dict[str, Any], action: str = form.VALUE) -> dict[str, Any]:
        return {block: {action: state}}

    return {
        **one(
            form.REGION_BLOCK,
            {"type": "external_select", "selected_option": option(region) if region else None},
            form.REGION_ACTION,
        ),
        **one(form.TYPE_BLOCK, {"type": "radio_buttons", "selected_option": option(type_)}),
        **one(form.PLACE_BLOCK, {"type": "plain_text_input", "value": place}),
        **one(
            form.CAPABILITIES_BLOCK,
            {"type": "checkboxes", "selected_options": [option(c) for c in capabilities]},
        ),
        **one(form.PATTERN_BLOCK, {"type": "plain_text_input", "value": pattern}),
        **one(form.MATCH_BLOCK, {"type": "radio_buttons", "selected_option": option(match)}),
        **one(
            form.OPTIONS_BLOCK,
            {"type": "checkboxes", "selected_options": [option(o) for o in options]},
        ),
        **one(form.MAX_PRICE_BLOCK, {"type": "number_input", "value": max_price}),
        **one(form.LIMIT_BLOCK, {"type": "number_input", "value": limit}),
    }


def submission(state: dict[str, Any], channel: str | None = "C1", *, user_id: str = "U1") -> str:
    metadata = json.dumps({"channel": channel} if channel else {})
    return view_submission_body(
        state, callback_id=form.CALLBACK_ID, private_metadata=metadata, user_id=user_id
    )


def opened_view(body: dict[str, Any]) -> dict[str, Any]:
    view = body["view"]
    return view if isinstance(view, dict) else json.loads(view)


def assert_valid_view(view: dict[str, Any]) -> None:
    """slack_sdk's view model validates the modal and reads back exactly what we wrote."""
    assert View(**view).to_dict() == view
    assert len(view["blocks"]) <= 100


def audit_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [r.__dict__["audit"] for r in caplog.records if r.name == "bot.audit"]


# --- opening ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "  "])
async def test_numbers_alone_opens_the_form_before_fetching_anything(
    make_bot: MakeBot,
    slack: SlackStub,
    sinch_api: respx.Router,
    caplog: pytest.LogCaptureFixture,
    text: str,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.audit")
    seen_at_fetch: list[list[str]] = []

    def regions(request: Any) -> Any:
        seen_at_fetch.append(list(slack.api_calls))
        return respx.MockResponse(json=REGIONS)

    sinch_api["regions"].side_effect = regions
    bot = await make_bot()
    response = await bot.command(text, trigger_id="99.88.77")
    assert response.status_code == 200
    assert response.text == ""  # nothing shown: the modal is the answer
    body = await slack.wait_for_api_call("views.open")
    assert body["trigger_id"] == "99.88.77"
    view = opened_view(body)
    assert_valid_view(view)
    assert json.loads(view["private_metadata"]) == {"channel": "C1"}
    assert view["callback_id"] == form.CALLBACK_ID
    # The region list for the type-ahead is read after views.open, never before it.
    assert await bot.app.inflight.drain(5) == 0
    assert seen_at_fetch == [["views.open"]]
    assert not sinch_api["available"].called
    audit = audit_lines(caplog)
    assert [(a["kind"], a["outcome"]) for a in audit] == [("form", "ok")]


async def test_a_repeated_delivery_opens_the_form_once(make_bot: MakeBot, slack: SlackStub) -> None:
    bot = await make_bot()
    body = command_body("", slack.response_url())
    assert (await bot.post_signed(body)).status_code == 200
    assert (await bot.post_signed(body)).status_code == 200
    assert await bot.app.inflight.drain(5) == 0
    assert slack.api_calls.count("views.open") == 1
    assert slack.messages == []  # and no help text for a "used" trigger


async def test_a_refused_trigger_falls_back_to_the_help_text(
    make_bot: MakeBot, slack: SlackStub
) -> None:
    slack.api_errors["views.open"] = [("expired_trigger_id", 200, None)]
    bot = await make_bot()
    message = await bot.answer("")
    assert_valid_message(message)
    assert "did not open" in json.dumps(message)
    assert "/numbers US LOCAL" in json.dumps(message)


async def test_help_keeps_the_help_text_with_a_button_that_opens_the_form(
    make_bot: MakeBot, slack: SlackStub
) -> None:
    bot = await make_bot()
    response = await bot.command("help")
    assert response.status_code == 200
    help_message = response.json()
    assert "/numbers US LOCAL" in json.dumps(help_message)
    button = button_in(help_message, SEARCH_FORM_ACTION)
    assert "views.open" not in slack.api_calls
    click = action_body(SEARCH_FORM_ACTION, button["value"], slack.response_url(), trigger="5.5.5")
    assert (await bot.post_signed(click)).status_code == 200
    body = await slack.wait_for_api_call("views.open")
    assert body["trigger_id"] == "5.5.5"
    assert json.loads(opened_view(body)["private_metadata"]) == {"channel": "C1"}


async def test_the_home_tab_button_opens_the_form_and_the_answer_comes_as_a_dm(
    make_bot: MakeBot, slack: SlackStub, sinch_api: respx.Router
) -> None:
    bot = await make_bot()
    assert (await bot.post_signed(home_opened())).status_code == 200
    home = opened_view(await slack.wait_for_api_call("views.publish"))
    button = button_in({"blocks": home["blocks"]}, SEARCH_FORM_ACTION)
    # A click in the Home tab: no channel and no response_url.
    payload = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "U1", "team_id": "T1"},
        "api_app_id": "A1",
        "container": {"type": "view", "view_id": "VHOME"},
        "trigger_id": "6.6.6",
        "view": {"id": "VHOME", "type": "home"},
        "actions": [{"type": "button", "action_id": SEARCH_FORM_ACTION, "value": button["value"]}],
    }
    assert (await bot.post_signed(urlencode({"payload": json.dumps(payload)}))).status_code == 200
    view = opened_view(await slack.wait_for_api_call("views.open"))
    assert json.loads(view["private_metadata"]) == {}
    response = await bot.post_signed(submission(values("US"), channel=None))
    assert response.status_code == 200
    dm = await slack.wait_for_api_call("chat.postMessage")
    assert dm["channel"] == "U1"
    assert "chat.postEphemeral" not in slack.api_calls


# --- the type-ahead -----------------------------------------------------------------------


async def suggest(bot: Any, typed: str) -> list[dict[str, Any]]:
    body = block_suggestion_body(form.REGION_ACTION, typed, block_id=form.REGION_BLOCK)
    response = await bot.post_signed(body)
    assert response.status_code == 200, response.text
    options: list[dict[str, Any]] = response.json()["options"]
    return options


@pytest.fixture
def sinch_offers_gb_se_us(sinch_api: respx.Router) -> respx.Router:
    regions = [
        {"regionCode": "GB", "regionName": "United Kingdom", "types": ["LOCAL", "MOBILE"]},
        *REGIONS["availableRegions"],
    ]
    sinch_api["regions"].respond(json={"availableRegions": regions})
    return sinch_api


async def test_type_ahead_finds_sweden_from_swed_and_the_uk_from_uk(
    make_bot: MakeBot, sinch_offers_gb_se_us: respx.Router
) -> None:
    bot = await make_bot()
    assert [o["value"] for o in await suggest(bot, "swed")] == ["SE"]
    uk = await suggest(bot, "uk")
    assert uk[0] == {"text": {"type": "plain_text", "text": "United Kingdom (GB)"}, "value": "GB"}
    assert [o["value"] for o in await suggest(bot, "United")] == ["GB", "US"]
    # Answered from the cached list: one Sinch call for every keystroke.
    assert sinch_offers_gb_se_us["regions"].call_count == 1


async def test_type_ahead_offers_only_what_sinch_offers_and_every_region_when_sinch_fails(
    make_bot: MakeBot, sinch_api: respx.Router
) -> None:
    bot = await make_bot()
    # The fixture's Sinch offers US and SE only.
    assert await suggest(bot, "uk") == []
    sinch_api["regions"].respond(503, json={"error": {"code": 503, "message": "down"}})
    other = await make_bot()
    assert [o["value"] for o in await suggest(other, "uk")][:1] == ["GB"]


async def test_a_slow_region_list_is_not_waited_for_and_fills_the_cache_later(
    make_bot: MakeBot, sinch_api: respx.Router, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = asyncio.Event()
    given_up: list[httpx.Request] = []

    async def slow(request: httpx.Request) -> httpx.Response:
        try:
            await release.wait()
        except asyncio.CancelledError:
            given_up.append(request)
            raise
        return httpx.Response(200, json=REGIONS)

    sinch_api["regions"].side_effect = slow
    monkeypatch.setattr(form, "OPTIONS_BUDGET", 0.01)
    bot = await make_bot()
    # Not there within the budget: every region the parser knows.
    assert [o["value"] for o in await suggest(bot, "uk")][:1] == ["GB"]
    assert not given_up  # answered while the fetch was still on its way
    release.set()
    monkeypatch.setattr(form, "OPTIONS_BUDGET", 5.0)
    # The fetch went on without anyone waiting (one call); now Sinch's list (US, SE) answers.
    assert await suggest(bot, "uk") == []
    assert sinch_api["regions"].call_count == 1


async def test_the_options_request_survives_the_payload_word(make_bot: MakeBot) -> None:
    bot = await make_bot()
    assert await suggest(bot, "payload") == []


# --- submitting ---------------------------------------------------------------------------


async def test_a_valid_submission_runs_one_search_and_posts_it_with_the_command_for_next_time(
    make_bot: MakeBot,
    slack: SlackStub,
    sinch_api: respx.Router,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = await make_bot(rent_enabled=True, rent_allowed_user_ids="U1")
    state = values(
        "US", place="206", capabilities=("sms",), options=("sort:price",), max_price="2", limit="2"
    )
    with caplog.at_level(logging.INFO, logger="bot.audit"):
        response = await bot.post_signed(submission(state))
        assert response.status_code == 200
        assert response.text == ""  # an empty 200 closes the modal
        posted = await slack.wait_for_api_call("chat.postEphemeral")
        assert await bot.app.inflight.drain(5) == 0
    assert sinch_api["available"].call_count == 1
    params = sinch_api["available"].calls.last.request.url.params
    assert (params["regionCode"], params["type"]) == ("US", "LOCAL")
    assert params["numberPattern.pattern"] == "+1206"
    assert params.get_list("capabilities") == ["SMS"]
    assert (posted["channel"], posted["user"]) == ("C1", "U1")
    message = {"text": posted["text"], "blocks": posted["blocks"]}
    if isinstance(message["blocks"], str):
        message["blocks"] = json.loads(message["blocks"])
    assert_valid_message(message)
    assert button_in(message, "numbers_share")
    assert button_in(message, "numbers_search_more")
    assert "numbers_rent" in json.dumps(message)
    last = message["blocks"][-1]["elements"][0]["text"]
    assert last == "Next time: `/numbers US LOCAL sms 206 max:2 sort:price limit:2`"
    # The equivalent command is the same search.
    command = last.removeprefix("Next time: `/numbers ").removesuffix("`")
    searched = form.read_form(state)[0]
    assert parse_command(command) == searched
    audit = audit_lines(caplog)
    assert [(a["kind"], a["outcome"], a["result_count"]) for a in audit] == [("search", "ok", 2)]
    assert audit[0]["channel"] == "C1"
    assert audit[0]["text"] == "US LOCAL sms 206 max:2 sort:price limit:2"


async def test_the_answer_comes_as_a_dm_when_the_channel_refuses(
    make_bot: MakeBot, slack: SlackStub
) -> None:
    slack.api_errors["chat.postEphemeral"] = [("not_in_channel", 200, None)]
    bot = await make_bot()
    assert (await bot.post_signed(submission(values("US")))).status_code == 200
    dm = await slack.wait_for_api_call("chat.postMessage")
    assert dm["channel"] == "U1"
    assert "Next time: `/numbers US LOCAL`" in json.dumps(dm)


async def test_the_search_cache_serves_a_second_submission(
    make_bot: MakeBot, slack: SlackStub, sinch_api: respx.Router
) -> None:
    bot = await make_bot(search_cache_ttl=30)
    for _ in range(2):
        assert (await bot.post_signed(submission(values("US")))).status_code == 200
        assert await bot.app.inflight.drain(5) == 0
    first, second = await slack.wait_for_api_calls("chat.postEphemeral", 2)
    assert sinch_api["available"].call_count == 1
    assert "cached" not in json.dumps(first)
    assert "(cached, " in json.dumps(second)


async def test_sandbox_answers_say_so(make_bot: MakeBot, slack: SlackStub) -> None:
    bot = await make_bot(sinch_sandbox=True)
    assert (await bot.post_signed(submission(values("US")))).status_code == 200
    posted = await slack.wait_for_api_call("chat.postEphemeral")
    assert "Sandbox data" in json.dumps(posted)


@pytest.mark.parametrize(
    ("state", "block", "says"),
    [
        (values("US", place="zzqqxx"), form.PLACE_BLOCK, "not a place I know in United States"),
        (values("US", place="sms"), form.PLACE_BLOCK, "not a place I know"),
        (values("US", place="206 sms"), form.PLACE_BLOCK, "Only a place or an area code"),
        (values("US", place="contains:555"), form.PLACE_BLOCK, "Only a place or an area code"),
        (values("US", pattern="55-x!"), form.PATTERN_BLOCK, "number pattern"),
        (values("US", pattern="555 sms"), form.PATTERN_BLOCK, "Digits or letters only"),
        (values("US", place="206", pattern="555"), form.PATTERN_BLOCK, "one number pattern"),
        (values("US", max_price="cheap"), form.MAX_PRICE_BLOCK, "max:"),
        (values("US", limit="99"), form.LIMIT_BLOCK, "between 1 and 30"),
        (values("US", capabilities=("fax",)), form.CAPABILITIES_BLOCK, "SMS, Voice"),
        (values("US", options=("limit:30",)), form.OPTIONS_BLOCK, "Tick the options"),
        (values("XX"), form.REGION_BLOCK, "Pick a region"),
        (values("US sms"), form.REGION_BLOCK, "Pick a region"),
        (values("AQ"), form.REGION_BLOCK, "no phone numbers"),
        (values("US", type_="FAX"), form.TYPE_BLOCK, "Local, Mobile or Toll-free"),
    ],
)
async def test_each_bad_field_is_refused_on_its_own_block_and_nothing_is_searched(
    make_bot: MakeBot,
    slack: SlackStub,
    sinch_api: respx.Router,
    state: dict[str, Any],
    block: str,
    says: str,
) -> None:
    bot = await make_bot()
    response = await bot.post_signed(submission(state))
    assert response.status_code == 200
    answer = response.json()
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [block]
    assert says in answer["errors"][block]
    assert await bot.app.inflight.drain(5) == 0
    assert not any(sinch_api[name].called for name in SINCH_ROUTES)
    assert "chat.postEphemeral" not in slack.api_calls


async def test_every_bad_field_is_named_at_once(make_bot: MakeBot) -> None:
    bot = await make_bot()
    state = values("US", place="zzqqxx", max_price="x", limit="0")
    answer = (await bot.post_signed(submission(state))).json()
    assert set(answer["errors"]) == {form.PLACE_BLOCK, form.MAX_PRICE_BLOCK, form.LIMIT_BLOCK}


async def test_a_submission_with_the_payload_word_reaches_the_form(make_bot: MakeBot) -> None:
    bot = await make_bot()
    answer = (await bot.post_signed(submission(values("US", place="payload")))).json()
    assert "payload" in answer["errors"][form.PLACE_BLOCK]


async def test_an_outsiders_submission_is_refused_without_a_search(
    make_bot: MakeBot, slack: SlackStub, sinch_api: respx.Router
) -> None:
    bot = await make_bot(allowed_user_ids="U1", access_contact="<@UADMIN>")
    response = await bot.post_signed(submission(values("US"), user_id="U666"))
    assert response.status_code == 200
    answer = response.json()
    assert answer["response_action"] == "update"
    assert_valid_view(answer["view"])
    assert "not permitted" in json.dumps(answer["view"])
    assert await bot.app.inflight.drain(5) == 0
    assert not any(sinch_api[name].called for name in SINCH_ROUTES)
    assert "chat.postEphemeral" not in slack.api_calls


async def test_a_submission_from_a_channel_outside_the_allowlist_is_refused(
    make_bot: MakeBot, sinch_api: respx.Router
) -> None:
    bot = await make_bot(allowed_channel_ids="C1")
    answer = (await bot.post_signed(submission(values("US"), channel="C2"))).json()
    assert answer["response_action"] == "update"
    assert not sinch_api["available"].called


async def test_submissions_count_against_the_rate_limit(
    make_bot: MakeBot, sinch_api: respx.Router
) -> None:
    bot = await make_bot(user_rate_limit_per_minute=1)
    assert (await bot.post_signed(submission(values("US")))).text == ""
    answer = (await bot.post_signed(submission(values("US")))).json()
    assert answer["response_action"] == "update"
    assert "too fast" in json.dumps(answer["view"])
    assert await bot.app.inflight.drain(5) == 0
    assert sinch_api["available"].call_count == 1


# --- the form itself ----------------------------------------------------------------------


def test_the_form_is_a_valid_modal_with_every_field() -> None:
    view = form.render_form("C1")
    assert_valid_view(view)
    blocks = {b.get("block_id") for b in view["blocks"]}
    assert {
        form.REGION_BLOCK,
        form.TYPE_BLOCK,
        form.PLACE_BLOCK,
        form.CAPABILITIES_BLOCK,
        form.PATTERN_BLOCK,
        form.MATCH_BLOCK,
        form.OPTIONS_BLOCK,
        form.MAX_PRICE_BLOCK,
        form.LIMIT_BLOCK,
    } <= blocks
    region = next(b for b in view["blocks"] if b.get("block_id") == form.REGION_BLOCK)
    assert region["element"]["type"] == "external_select"
    assert "optional" not in region  # the one required field


@pytest.mark.parametrize(
    "state",
    [
        values("SE", type_="MOBILE", pattern="00", match="ends"),
        values("US", place="seattle", capabilities=("sms", "voice"), options=("nodocs",)),
        values("US", place="texas", max_price="1.5"),
        values("US", place="near:+12065550123", limit="30"),
        values("US", pattern="PIZZA"),
        values("GB", type_="TOLL_FREE", place="020"),
    ],
)
def test_the_next_time_command_parses_back_to_the_same_search(state: dict[str, Any]) -> None:
    query, errors = form.read_form(state)
    assert errors == {}
    assert query is not None
    message = form.with_next_time({"text": "x", "blocks": []}, query)
    line = message["blocks"][-1]["elements"][0]["text"]
    command = line.removeprefix("Next time: `/numbers ").removesuffix("`")
    assert parse_command(command) == query
