"""Socket Mode: with SLACK_APP_TOKEN the same app answers over a WebSocket; health stays on HTTP."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import respx

from tests.scenarios.conftest import MakeBot
from tests.slack_stub import SlackStub, command_body


async def test_slash_command_over_socket_mode(
    make_bot: MakeBot, slack: SlackStub, sinch_api: respx.Router
) -> None:
    payload = dict(parse_qsl(command_body("US LOCAL", slack.response_url("sock"))))
    slack.socket_envelopes.append(
        {
            "envelope_id": "env-1",
            "type": "slash_commands",
            "accepts_response_payload": True,
            "payload": payload,
        }
    )
    # No signing secret: Socket Mode requests are not signed, and /slack/events is not served.
    bot = await make_bot(slack_app_token="xapp-test-app-token", slack_signing_secret=None)
    ack = await slack.wait_for_socket_ack()
    assert ack["envelope_id"] == "env-1"
    message = (await slack.wait_for(1))[0]
    assert "+1 206-555-0100" in json.dumps(message)
    assert sinch_api["available"].call_count == 1
    assert "apps.connections.open" in slack.api_calls
    assert (await bot.http.get("/healthz")).status_code == 200
    assert (await bot.http.get("/readyz")).status_code == 200
    assert (await bot.http.post("/slack/events", content="x")).status_code in (404, 405)
