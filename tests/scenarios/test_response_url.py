"""Replies go only to Slack's response_url hosts (or the loopback stand-in for SLACK_API_URL)."""

from __future__ import annotations

import logging

import pytest

from bot.slack.delivery import response_url_allowed
from tests.scenarios.conftest import MakeBot
from tests.slack_stub import command_body

SLACK = "https://slack.com/api/"
STUB = "http://127.0.0.1:4567/api/"


@pytest.mark.parametrize(
    ("url", "api", "allowed"),
    [
        ("https://hooks.slack.com/commands/T1/1/abc", SLACK, True),
        ("https://hooks.slack-gov.com/commands/T1/1/abc", SLACK, True),
        ("https://hooks.slack.com:443/commands/T1/1/abc", SLACK, True),
        ("http://hooks.slack.com/commands/T1/1/abc", SLACK, False),
        ("https://hooks.slack.com:8443/commands/T1/1/abc", SLACK, False),
        ("https://hooks.slack.com.evil.test/commands", SLACK, False),
        ("https://evil.test/?u=https://hooks.slack.com/", SLACK, False),
        ("https://user@hooks.slack.com/commands", SLACK, False),
        ("https://slack.com/api/chat.postMessage", SLACK, False),
        ("ftp://hooks.slack.com/commands", SLACK, False),
        ("not a url", SLACK, False),
        ("https://hooks.slack.com:99999/x", SLACK, False),
        # The stub's host, because SLACK_API_URL names it and it is loopback.
        ("http://127.0.0.1:5555/response/1", STUB, True),
        ("http://127.0.0.1:5555/response/1", SLACK, False),
        ("http://localhost:4567/response/1", STUB, False),
        ("http://10.0.0.5/response/1", "http://10.0.0.5/api/", False),
    ],
)
def test_which_response_urls_are_allowed(url: str, api: str, allowed: bool) -> None:
    assert response_url_allowed(url, slack_api_url=api) is allowed


async def test_a_signed_command_naming_another_host_gets_no_reply_and_one_warning(
    make_bot: MakeBot, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await make_bot()
    # The stub itself, reached by another name: without the rule the reply would arrive.
    elsewhere = bot.slack.response_url("x").replace("127.0.0.1", "localhost")
    response = await bot.post_signed(command_body("US LOCAL", elsewhere))
    assert response.status_code == 200
    assert await bot.app.inflight.drain(5) == 0
    assert bot.slack.messages == []
    warnings = [r for r in caplog.get_records("call") if r.name == "bot.slack.delivery"]
    assert [(r.levelno, r.getMessage()) for r in warnings] == [
        (logging.WARNING, "refused to reply to a response_url that is not Slack's (not sent)")
    ]
    assert "localhost" not in caplog.text
