"""Allowlists, the per-user rate limit and the audit line, through the real app."""

from __future__ import annotations

import json
import logging

import pytest
import respx

from bot.slack import active_blocks, search_blocks, summary_blocks
from tests.fakes import FakeClock
from tests.scenarios.conftest import ACTIVE, MakeBot
from tests.slack_stub import action_body

BUTTONS = {
    "share": (search_blocks.SHARE_ACTION, "US LOCAL", "available"),
    "next-page": (
        active_blocks.NEXT_PAGE_ACTION,
        json.dumps({"region": "US", "type": "LOCAL", "page_token": "tok-2", "page": 2}),
        "active",
    ),
    "show-more": (
        search_blocks.SHOW_MORE_ACTION,
        json.dumps({"q": "US LOCAL", "o": 10}),
        "available",
    ),
    "region": (
        f"{summary_blocks.REGION_ACTION}:US",
        json.dumps({"region": "US", "type": "LOCAL"}),
        "active",
    ),
}


@pytest.mark.parametrize(
    ("settings", "fields"),
    [
        ({"allowed_team_ids": "T9"}, {}),
        ({"allowed_channel_ids": "C7, C8"}, {}),
        ({"allowed_user_ids": "U2,U3"}, {}),
        ({"allowed_user_ids": "U2"}, {"user_id": "U1"}),
    ],
)
async def test_outsiders_get_not_permitted_and_no_sinch_call(
    make_bot: MakeBot, sinch_api: respx.Router, settings: dict[str, str], fields: dict[str, str]
) -> None:
    bot = await make_bot(access_contact="#ops-tools", **settings)
    response = await bot.command("US LOCAL", **fields)
    assert response.status_code == 200
    body = json.dumps(response.json())
    assert "not permitted" in body.lower()
    assert "#ops-tools" in body
    assert not sinch_api["available"].called
    assert bot.slack.messages == []


async def test_listed_ids_are_let_in(make_bot: MakeBot, sinch_api: respx.Router) -> None:
    bot = await make_bot(allowed_team_ids="T1", allowed_channel_ids="C1", allowed_user_ids="U1,U2")
    message = await bot.answer("US LOCAL")
    assert "+1 206-555-0100" in json.dumps(message)
    assert sinch_api["available"].called


async def test_per_user_rate_limit_answers_politely(
    make_bot: MakeBot, sinch_api: respx.Router
) -> None:
    clock = FakeClock()
    bot = await make_bot(clock=clock, user_rate_limit_per_minute=3)
    for _ in range(3):
        assert (await bot.command("help")).status_code == 200
    limited = await bot.command("US LOCAL")
    assert limited.status_code == 200
    assert "too fast" in json.dumps(limited.json()).lower()
    assert not sinch_api["available"].called
    # Another user is not affected, and the first one may go on after the window.
    other = await bot.command("help", user_id="U2")
    assert "too fast" not in json.dumps(other.json()).lower()
    clock.advance(60)
    again = await bot.command("help")
    assert "too fast" not in json.dumps(again.json()).lower()


async def test_one_audit_line_per_command_with_the_outcome(
    make_bot: MakeBot, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await make_bot()
    with caplog.at_level(logging.INFO, logger="bot.audit"):
        await bot.answer("US LOCAL sms\x07")
        await bot.command("XX")
        # The audit line is written after the reply is sent.
        assert await bot.app.inflight.drain(5) == 0
    audits = [r.audit for r in caplog.records if r.name == "bot.audit"]  # type: ignore[attr-defined]
    assert len(audits) == 2
    ok, bad = sorted(audits, key=lambda a: a["outcome"] != "ok")
    assert ok["outcome"] == "ok"
    assert ok["kind"] == "search"
    assert ok["result_count"] == 5
    assert ok["upstream_calls"] == 1
    assert (ok["team"], ok["channel"], ok["user"]) == ("T1", "C1", "U1")
    assert ok["text"] == "US LOCAL sms"  # control characters removed
    assert ok["latency_ms"] >= 0
    assert ok["time"]
    assert bad["outcome"] == "bad_input"
    assert bad["upstream_calls"] == 0
    assert "response" not in json.dumps(audits)  # never the response_url


@pytest.mark.parametrize("button", list(BUTTONS))
@pytest.mark.parametrize(
    ("settings", "ids"),
    [
        ({"allowed_team_ids": "T9"}, {}),
        ({"allowed_channel_ids": "C7"}, {}),
        ({"allowed_user_ids": "U2"}, {"user_id": "U1"}),
    ],
)
async def test_buttons_go_through_the_allowlists_with_the_same_message(
    make_bot: MakeBot,
    sinch_api: respx.Router,
    button: str,
    settings: dict[str, str],
    ids: dict[str, str],
) -> None:
    action_id, value, route = BUTTONS[button]
    bot = await make_bot(access_contact="#ops-tools", **settings)
    refused = await bot.command("US LOCAL", **ids)  # what a command gets, for comparison
    body = action_body(action_id, value, bot.slack.response_url("click"), **ids)
    assert (await bot.post_signed(body)).status_code == 200
    assert await bot.app.inflight.drain(5) == 0
    (reply,) = await bot.slack.wait_for(1)
    assert reply["text"] == refused.json()["text"]
    assert "not permitted" in reply["text"] and "#ops-tools" in reply["text"]  # noqa: PT018
    assert reply["replace_original"] is False  # the results under the button stay
    assert not sinch_api[route].called


@pytest.mark.parametrize("button", list(BUTTONS))
async def test_buttons_count_against_the_per_user_rate_limit(
    make_bot: MakeBot, sinch_api: respx.Router, button: str
) -> None:
    action_id, value, route = BUTTONS[button]
    sinch_api["active"].respond(json=dict(ACTIVE, nextPageToken=""))
    clock = FakeClock()
    bot = await make_bot(clock=clock, user_rate_limit_per_minute=2)
    for n in range(3):
        body = action_body(action_id, value, bot.slack.response_url(f"click-{n}"))
        assert (await bot.post_signed(body)).status_code == 200
        assert await bot.app.inflight.drain(5) == 0
    assert sinch_api[route].call_count == 2
    limited = [m for m in bot.slack.messages if m["_path"] == "click-2"]
    assert len(limited) == 1
    assert "too fast" in limited[0]["text"]
    # Clicks and commands share one budget: the user's next command is refused too.
    command = await bot.command("US LOCAL")
    assert "too fast" in json.dumps(command.json())
    clock.advance(60)
    body = action_body(action_id, value, bot.slack.response_url("after"))
    assert (await bot.post_signed(body)).status_code == 200
    assert await bot.app.inflight.drain(5) == 0
    assert sinch_api[route].call_count == 3
