"""/numbers end to end: signed requests into the real ASGI app, Sinch mocked with respx."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest
import respx

from bot.app.asgi import create_app
from bot.sandbox import SANDBOX_KEY_ID, SANDBOX_KEY_SECRET, SANDBOX_PROJECT_ID, SandboxServer
from bot.slack import active_blocks, search_blocks
from tests.blockkit import assert_valid_message
from tests.scenarios.conftest import ACTIVE as ACTIVE_PAGE
from tests.scenarios.conftest import BotHarness, MakeBot, make_settings, offline_authorize
from tests.slack_stub import SlackStub, action_body, button_in, command_body, signed_headers


def text_of(message: dict[str, object]) -> str:
    return json.dumps(message, ensure_ascii=False)


async def test_search_acks_then_delivers_blocks_with_prices(
    make_bot: MakeBot, sinch_api: respx.Router
) -> None:
    bot = await make_bot()
    response = await bot.command("US LOCAL")
    assert response.status_code == 200
    # An empty ack shows nothing: Slack can't replace an ack message later, so the answer
    # delivered to the response_url is the only message the user sees.
    assert response.content == b""
    message = (await bot.slack.wait_for(1))[0]
    assert "replace_original" not in message
    assert message.get("response_type", "ephemeral") == "ephemeral"
    assert_valid_message({k: v for k, v in message.items() if k in ("text", "blocks")})
    shown = text_of(message)
    assert "+1 206-555-0100" in shown
    for price in ("1.50", "0.80", "USD"):
        assert price in shown
    params = sinch_api["available"].calls.last.request.url.params
    assert (params["regionCode"], params["type"]) == ("US", "LOCAL")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("US LOCAL", {"regionCode": ["US"], "type": ["LOCAL"]}),
        ("us", {"regionCode": ["US"], "type": ["LOCAL"]}),
        ("LOCAL US", {"regionCode": ["US"], "type": ["LOCAL"]}),
        ("SE mobile", {"regionCode": ["SE"], "type": ["MOBILE"]}),
        ("US toll-free", {"regionCode": ["US"], "type": ["TOLL_FREE"]}),
        ("US tollfree", {"regionCode": ["US"], "type": ["TOLL_FREE"]}),
        ("US LOCAL sms voice", {"capabilities": ["SMS", "VOICE"]}),
        (
            "US LOCAL 206",
            {"numberPattern.pattern": ["+1206"], "numberPattern.searchPattern": ["START"]},
        ),
        (
            "GB LOCAL contains:555",
            {"numberPattern.pattern": ["555"], "numberPattern.searchPattern": ["CONTAINS"]},
        ),
        (
            "US LOCAL ends:00",
            {"numberPattern.pattern": ["00"], "numberPattern.searchPattern": ["END"]},
        ),
        ("UK LOCAL", {"regionCode": ["GB"]}),
    ],
)
async def test_search_grammar_reaches_sinch_as_expected(
    make_bot: MakeBot, sinch_api: respx.Router, text: str, expected: dict[str, list[str]]
) -> None:
    bot = await make_bot()
    await bot.answer(text)
    params = sinch_api["available"].calls.last.request.url.params
    for key, values in expected.items():
        assert params.get_list(key) == values
    assert params["size"].isdigit()


async def test_limit_bounds_what_is_shown(make_bot: MakeBot) -> None:
    bot = await make_bot()
    message = await bot.answer("US LOCAL limit:2")
    shown = text_of(message)
    assert "+1 206-555-0101" in shown
    assert "+1 206-555-0102" not in shown
    assert "3 more" in shown


async def test_regions_and_active_reach_their_endpoints(
    make_bot: MakeBot, sinch_api: respx.Router
) -> None:
    bot = await make_bot()
    regions = await bot.answer("regions mobile")
    assert sinch_api["regions"].calls.last.request.url.params.get_list("types") == ["MOBILE"]
    assert "Sweden" in text_of(regions)
    active = await bot.answer("active US LOCAL")
    params = sinch_api["active"].calls.last.request.url.params
    assert (params["regionCode"], params["type"]) == ("US", "LOCAL")
    assert "Support line" in text_of(active)
    assert not sinch_api["available"].called


@pytest.mark.parametrize("text", ["help", "?", "HELP"])
async def test_help_answers_in_the_ack_without_sinch(
    make_bot: MakeBot, sinch_api: respx.Router, text: str
) -> None:
    bot = await make_bot()
    response = await bot.command(text)
    assert response.status_code == 200
    body = response.json()
    assert_valid_message(body)
    assert "/numbers US LOCAL" in text_of(body)
    assert not any(sinch_api[name].called for name in ("available", "regions", "active"))


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("XX LOCAL", "XX"),
        ("US LANDLINE", "LANDLINE"),
        ("US LOCAL limit:999", "limit"),
        ("US LOCAL contains:a-b", "contains"),
        ("frobnicate", "frobnicate"),
    ],
)
async def test_bad_input_gets_an_ephemeral_hint_and_no_sinch_call(
    make_bot: MakeBot, sinch_api: respx.Router, text: str, hint: str
) -> None:
    bot = await make_bot()
    response = await bot.command(text)
    assert response.status_code == 200
    body = response.json()
    assert body.get("response_type", "ephemeral") == "ephemeral"
    assert_valid_message(body)
    assert hint.lower() in text_of(body).lower()
    assert not sinch_api["available"].called
    assert bot.slack.messages == []


async def test_ack_never_waits_on_a_token_fetch(make_bot: MakeBot, sinch_api: respx.Router) -> None:
    # The token endpoint answers only when the test says so: the ack must come back while the
    # fetch is still hanging, and the answer follow once it is released.
    fetch_started = asyncio.Event()
    release = asyncio.Event()

    async def gated_token(request: httpx.Request) -> httpx.Response:
        fetch_started.set()
        await release.wait()
        return httpx.Response(
            200, json={"access_token": "tok-gated-abc", "expires_in": 3599, "token_type": "bearer"}
        )

    sinch_api["token"].side_effect = gated_token
    bot = await make_bot(held_token=False)
    async with asyncio.timeout(5):
        response = await bot.command("US LOCAL")
    assert response.status_code == 200
    assert response.text == ""  # the empty ack, not an answer
    async with asyncio.timeout(5):
        await fetch_started.wait()
    assert not release.is_set()  # the ack came back while the token fetch was still hanging
    assert not sinch_api["available"].called
    assert bot.slack.messages == []
    release.set()
    message = (await bot.slack.wait_for(1))[0]
    assert "+1 206-555-0100" in text_of(message)


@pytest.mark.parametrize(
    ("route_response", "phrase"),
    [
        (
            httpx.Response(
                503, json={"error": {"code": 503, "message": "down", "status": "UNAVAILABLE"}}
            ),
            "unavailable",
        ),
        (
            httpx.Response(
                400,
                json={
                    "error": {"code": 400, "message": "parsing field", "status": "INVALID_ARGUMENT"}
                },
            ),
            "rejected",
        ),
        (
            httpx.Response(
                403,
                json={
                    "error": {
                        "code": 403,
                        "message": "Trial account",
                        "status": "PERMISSION_DENIED",
                    }
                },
            ),
            "may not do this",
        ),
    ],
)
async def test_sinch_failures_get_a_specific_reply(
    make_bot: MakeBot, sinch_api: respx.Router, route_response: httpx.Response, phrase: str
) -> None:
    sinch_api["available"].mock(return_value=route_response)
    bot = await make_bot(clock=None)
    message = await bot.answer("US LOCAL")
    assert phrase in text_of(message).lower()
    assert_valid_message({k: v for k, v in message.items() if k in ("text", "blocks")})


async def test_sinch_timeout_gets_a_slow_to_answer_reply(
    make_bot: MakeBot, sinch_api: respx.Router
) -> None:
    sinch_api["available"].side_effect = httpx.ReadTimeout("slow")
    bot = await make_bot()
    message = await bot.answer("US LOCAL")
    assert "slow" in text_of(message).lower()


@pytest.mark.parametrize(
    "fields",
    [{"text": "payload"}, {"channel_name": "payload-ops"}],
    ids=["text-payload", "channel-payload-ops"],
)
async def test_payload_word_does_not_drop_the_command(
    make_bot: MakeBot, fields: dict[str, str]
) -> None:
    bot = await make_bot()
    text = fields.pop("text", "US LOCAL")
    response = await bot.command(text, **fields)
    assert response.status_code == 200
    if text == "payload":  # not a region: the hint comes in the ack
        assert "payload" in response.text
    else:  # the lookup is answered through the response_url
        message = (await bot.slack.wait_for(1))[0]
        assert "+1 206-555-0100" in text_of(message)


async def test_payload_body_with_bad_signature_is_still_rejected(make_bot: MakeBot) -> None:
    bot = await make_bot()
    body = command_body("payload", bot.slack.response_url())
    response = await bot.http.post(
        "/slack/events", content=body, headers=signed_headers(body, secret="wrong-secret")
    )
    assert response.status_code == 401


async def test_bad_stale_and_missing_signatures_are_rejected_without_sinch(
    make_bot: MakeBot, sinch_api: respx.Router
) -> None:
    bot = await make_bot()
    body = command_body("US LOCAL", bot.slack.response_url())
    bad = await bot.http.post(
        "/slack/events", content=body, headers=signed_headers(body, secret="nope")
    )
    stale = await bot.post_signed(body, timestamp=int(time.time()) - 301)
    missing = await bot.http.post(
        "/slack/events", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert [bad.status_code, stale.status_code, missing.status_code] == [401, 401, 401]
    assert not sinch_api["available"].called
    assert bot.slack.messages == []


async def test_healthz_and_readyz_follow_the_token(
    make_bot: MakeBot, sinch_api: respx.Router
) -> None:
    # The start-up fetch hangs until released, so "no token yet" is a state the test holds.
    release = asyncio.Event()

    async def gated_token(request: httpx.Request) -> httpx.Response:
        await release.wait()
        return httpx.Response(
            200, json={"access_token": "tok-ready-abc", "expires_in": 3599, "token_type": "bearer"}
        )

    sinch_api["token"].side_effect = gated_token
    bot = await make_bot(held_token=False)
    assert (await bot.http.get("/healthz")).status_code == 200
    not_ready = await bot.http.get("/readyz")
    assert not_ready.status_code == 503
    assert "token" in not_ready.text.lower()
    release.set()
    await bot.provider.token()
    assert (await bot.http.get("/readyz")).status_code == 200


async def test_readyz_is_503_until_a_token_is_held(
    make_bot: MakeBot, sinch_api: respx.Router
) -> None:
    sinch_api["token"].respond(503)
    bot = await make_bot(held_token=False)
    await bot.provider.refresh_if_due()
    response = await bot.http.get("/readyz")
    assert response.status_code == 503
    assert "token" in response.text.lower()


async def test_lifespan_fetches_the_first_token_before_any_command(
    make_bot: MakeBot, sinch_api: respx.Router
) -> None:
    bot = await make_bot(held_token=False)
    # The scheduler's first tick runs at start-up; wait for it, bounded, without sending a command.
    async with asyncio.timeout(5):
        while (await bot.http.get("/readyz")).status_code != 200:
            await asyncio.sleep(0.01)
    assert sinch_api["token"].call_count == 1
    assert not sinch_api["available"].called


async def test_share_button_reposts_publicly_and_marks_the_copy(
    make_bot: MakeBot, sinch_api: respx.Router
) -> None:
    bot = await make_bot()
    first = await bot.answer("US LOCAL sms")
    share = button_in(first, "numbers_share")
    body = action_body(
        "numbers_share", share["value"], bot.slack.response_url("share"), user_id="U777"
    )
    response = await bot.post_signed(body)
    assert response.status_code == 200
    messages = await bot.slack.wait_for(3)
    public, notice = messages[1], messages[2]
    assert public["response_type"] == "in_channel"
    assert "<@U777>" in text_of(public)
    assert "+1 206-555-0100" in text_of(public)
    assert notice["replace_original"] is True
    assert "shared" in text_of(notice).lower()
    assert sinch_api["available"].calls.last.request.url.params.get_list("capabilities") == ["SMS"]


async def test_next_page_button_sends_the_page_token(
    make_bot: MakeBot, sinch_api: respx.Router
) -> None:
    page1 = dict(ACTIVE_PAGE, nextPageToken="tok-page-2", totalSize=2)
    page2 = dict(ACTIVE_PAGE, nextPageToken="", totalSize=2)
    sinch_api["active"].side_effect = [
        httpx.Response(200, json=page1),
        httpx.Response(200, json=page2),
    ]
    bot = await make_bot()
    first = await bot.answer("active US")
    button = button_in(first, "numbers_active_next")
    header = first["blocks"][0]["text"]["text"]
    assert header.endswith("Active numbers in United States (2 in total)")
    response = await bot.post_signed(
        action_body("numbers_active_next", button["value"], bot.slack.response_url("p2"))
    )
    assert response.status_code == 200
    second = (await bot.slack.wait_for(2))[1]
    assert sinch_api["active"].calls.last.request.url.params["pageToken"] == "tok-page-2"
    assert second["replace_original"] is True
    assert "numbers_active_next" not in text_of(second)


async def test_results_from_a_standalone_sandbox_are_labelled_sandbox(slack: SlackStub) -> None:
    # SINCH_* point at a sandbox with its fictional key, as `numbers-bot sandbox` prints them;
    # SINCH_SANDBOX stays false (no built-in sandbox is started).
    async with SandboxServer() as server:
        settings = make_settings(
            slack,
            sinch_auth_url=server.auth_url,
            sinch_numbers_url=server.numbers_url,
            sinch_project_id=SANDBOX_PROJECT_ID,
            sinch_key_id=SANDBOX_KEY_ID,
            sinch_key_secret=SANDBOX_KEY_SECRET,
        )
        assert settings.sinch_sandbox is False
        app = create_app(settings, authorize=offline_authorize)
        bot = BotHarness(app, slack)
        async with app.asgi.router.lifespan_context(app.asgi):
            await app.runtime.provider.token()
            message = await bot.answer("US LOCAL")
            assert await app.inflight.drain(5) == 0
        await bot.http.aclose()
    assert "Sandbox data" in text_of(message)
    assert server.state.token_fetches == 1


async def click(bot: BotHarness, action_id: str, value: str, url_name: str) -> dict[str, Any]:
    """Click a button and return the one message its work sent to the response_url."""
    before = len(bot.slack.messages)
    body = action_body(action_id, value, bot.slack.response_url(url_name))
    assert (await bot.post_signed(body)).status_code == 200
    assert await bot.app.inflight.drain(5) == 0
    sent = bot.slack.messages[before:]
    assert len(sent) == 1, sent
    return sent[0]


async def test_next_page_counts_pages_across_clicks(
    make_bot: MakeBot, sinch_api: respx.Router
) -> None:
    pages = [
        dict(ACTIVE_PAGE, nextPageToken=token, totalSize=3)
        for token in ("tok-page-2", "tok-page-3", "")
    ]
    sinch_api["active"].side_effect = [httpx.Response(200, json=page) for page in pages]
    bot = await make_bot()
    message = await bot.answer("active US")
    assert "Page 1 ·" in text_of(message)
    for page in (2, 3):
        button = button_in(message, active_blocks.NEXT_PAGE_ACTION)
        message = await click(bot, active_blocks.NEXT_PAGE_ACTION, button["value"], f"p{page}")
        assert f"Page {page} ·" in text_of(message)
    assert sinch_api["active"].calls.last.request.url.params["pageToken"] == "tok-page-3"
    assert active_blocks.NEXT_PAGE_ACTION not in text_of(message)  # the last page has no button


@pytest.mark.parametrize(
    ("value", "phrase"),
    [
        ("not json at all", "expired"),
        ('{"page": 2}', "expired"),  # no page token
        ('{"region": "ZZ", "page_token": "tok-2", "page": 2}', "ZZ"),
        ('{"region": "US", "type": "LANDLINE", "page_token": "tok-2"}', "expired"),
    ],
)
async def test_a_broken_next_page_value_is_answered_and_never_reaches_sinch(
    make_bot: MakeBot, sinch_api: respx.Router, value: str, phrase: str
) -> None:
    bot = await make_bot()
    message = await click(bot, active_blocks.NEXT_PAGE_ACTION, value, "broken")
    assert phrase in text_of(message)
    assert not sinch_api["active"].called


async def test_share_while_sinch_fails_posts_nothing_to_the_channel(
    make_bot: MakeBot, sinch_api: respx.Router
) -> None:
    bot = await make_bot()
    sinch_api["available"].respond(
        400, json={"error": {"code": 400, "message": "bad", "status": "INVALID_ARGUMENT"}}
    )
    message = await click(bot, search_blocks.SHARE_ACTION, "US LOCAL", "share")
    assert message.get("response_type", "ephemeral") == "ephemeral"
    assert message["replace_original"] is False  # the user's results stay; nothing says shared
    assert "Sinch" in text_of(message)
    assert "shared" not in text_of(message).lower()
