"""Guards at their edges: the allowlists with IDs missing, Bolt's body-carrying log line.

Each test here pins one check that a looser version would pass every flow test with.
"""

from __future__ import annotations

import logging
from typing import Any, cast

import pytest
from pydantic import SecretStr
from slack_bolt.async_app import AsyncApp

from bot.ops.ratelimit import UserRateLimiter
from bot.slack.access import AccessPolicy
from bot.slack.gate import Gate
from bot.slack.inbound import BOLT_VERIFICATION_LOGGER, SlackEvents
from tests.fakes import FakeClock

POLICY = AccessPolicy.from_strings("T1", "C1", "U1")


@pytest.mark.parametrize("missing", [None, ""])
@pytest.mark.parametrize("which", ["team", "channel", "user"])
def test_an_allowlist_refuses_a_payload_without_that_id(which: str, missing: str | None) -> None:
    ids: dict[str, str | None] = {"team_id": "T1", "channel_id": "C1", "user_id": "U1"}
    assert POLICY.denial(**ids) is None
    ids[f"{which}_id"] = missing
    assert POLICY.denial(**ids) == which


@pytest.mark.parametrize("drop", ["team", "channel", "user"])
def test_a_click_payload_without_a_team_channel_or_user_is_refused(drop: str) -> None:
    gate = Gate(
        access=POLICY,
        limiter=UserRateLimiter(per_minute=0, clock=FakeClock()),
        contact="#ops",
    )
    body: dict[str, Any] = {
        "team": {"id": "T1"},
        "channel": {"id": "C1"},
        "user": {"id": "U1", "team_id": "T1"},
    }
    assert gate.click_refusal(body) is None
    if drop == "team":
        body["team"] = None
        body["user"] = {"id": "U1"}  # nor the user's team_id
    else:
        del body[drop]
    refusal = gate.click_refusal(body)
    assert refusal is not None
    assert refusal.outcome == f"denied_{drop}"


def test_bolt_s_body_carrying_log_line_stays_filtered(caplog: pytest.LogCaptureFixture) -> None:
    SlackEvents(cast(AsyncApp, object()), SecretStr("signing-secret"))
    caplog.set_level(logging.DEBUG)
    bolt_log = logging.getLogger(BOLT_VERIFICATION_LOGGER)
    bolt_log.info(
        "Invalid request signature detected (signature: v0=x, timestamp: 1, body: "
        "response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1%2F1%2Fsecret)"
    )
    assert [r for r in caplog.get_records("call") if r.name == BOLT_VERIFICATION_LOGGER] == []
