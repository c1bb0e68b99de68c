"""SLACK_BOT_TOKEN is checked once with auth.test; a refused token is said once, not per command.

These bots run the production authorization (``slack_auth=True``): auth.test goes to the local
Slack stub, which refuses the token when told to.
"""

from __future__ import annotations

import json
import logging

import pytest
import respx

from bot.slack import search_blocks
from tests.scenarios.conftest import MakeBot
from tests.slack_stub import BOT_TOKEN, SlackStub, action_body, signed_headers

BOLT_REFUSAL = "no longer available"


def errors_and_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.get_records("call") if r.levelno >= logging.WARNING]


@pytest.mark.parametrize("code", ["invalid_auth", "account_inactive", "token_revoked"])
async def test_a_refused_bot_token_is_one_error_readyz_503_and_a_clear_reply(
    make_bot: MakeBot,
    slack: SlackStub,
    sinch_api: respx.Router,
    caplog: pytest.LogCaptureFixture,
    code: str,
) -> None:
    slack.auth_test_error = code
    bot = await make_bot(slack_auth=True)
    acks = [await bot.command("US LOCAL", url_name=f"cmd-{n}") for n in range(2)]
    click = action_body(search_blocks.SHARE_ACTION, "US LOCAL", slack.response_url("click"))
    acks.append(await bot.post_signed(click))
    assert await bot.app.inflight.drain(5) == 0

    # Acked empty, not with Bolt's "your installation … is no longer available".
    assert [(a.status_code, a.text) for a in acks] == [(200, "")] * 3
    messages = await slack.wait_for(3)
    assert sorted(m["_path"] for m in messages) == ["click", "cmd-0", "cmd-1"]
    for message in messages:
        shown = json.dumps(message)
        assert "misconfigured" in shown
        assert "admins" in shown
        assert BOLT_REFUSAL not in shown
    assert not sinch_api["available"].called

    not_ready = await bot.http.get("/readyz")
    assert not_ready.status_code == 503
    assert f"SLACK_BOT_TOKEN ({code})" in not_ready.text
    assert slack.api_calls.count("auth.test") == 1  # once, not once per request

    logged = errors_and_warnings(caplog)
    assert [(r.name, r.levelname) for r in logged] == [("bot.slack.token_check", "ERROR")]
    assert "SLACK_BOT_TOKEN" in logged[0].getMessage()
    assert code in logged[0].getMessage()
    assert BOT_TOKEN not in logged[0].getMessage()


async def test_a_good_bot_token_is_checked_once_and_commands_are_answered(
    make_bot: MakeBot, slack: SlackStub, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await make_bot(slack_auth=True)
    for n in range(2):
        assert "+1 206-555-0100" in json.dumps(await bot.answer("US LOCAL", url_name=f"ok-{n}"))
    assert (await bot.http.get("/readyz")).status_code == 200
    # The start-up answer stands in for Bolt's own lazy auth.test.
    assert slack.api_calls.count("auth.test") == 1
    assert slack.api_bodies[slack.api_calls.index("auth.test")] == {}
    assert errors_and_warnings(caplog) == []


async def test_slack_answering_something_else_does_not_condemn_the_token(
    make_bot: MakeBot, slack: SlackStub, caplog: pytest.LogCaptureFixture
) -> None:
    slack.auth_test_error = "ratelimited"
    bot = await make_bot(slack_auth=True)
    first = await bot.answer("US LOCAL", url_name="during")
    assert "+1 206-555-0100" in json.dumps(first)
    assert (await bot.http.get("/readyz")).status_code == 200
    logged = errors_and_warnings(caplog)
    assert [(r.name, r.levelname) for r in logged] == [("bot.slack.token_check", "WARNING")]
    assert "ratelimited" in logged[0].getMessage()

    # Asked again in the background on the next request; once Slack answers, that answer holds.
    slack.auth_test_error = None
    assert "+1 206-555-0100" in json.dumps(await bot.answer("US LOCAL", url_name="after"))
    assert await bot.app.inflight.drain(5) == 0
    assert "+1 206-555-0100" in json.dumps(await bot.answer("US LOCAL", url_name="later"))
    assert slack.api_calls.count("auth.test") == 3
    assert len(errors_and_warnings(caplog)) == 1


async def test_slacks_url_check_is_answered_even_with_a_refused_token(
    make_bot: MakeBot, slack: SlackStub
) -> None:
    slack.auth_test_error = "invalid_auth"
    bot = await make_bot(slack_auth=True)
    body = json.dumps({"type": "url_verification", "token": "legacy", "challenge": "ch-4711"})
    response = await bot.http.post(
        "/slack/events",
        content=body,
        headers={**signed_headers(body), "content-type": "application/json"},
    )
    assert response.status_code == 200
    assert "ch-4711" in response.text
