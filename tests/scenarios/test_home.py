"""App Home: opening the Home tab publishes usage, examples and the bot's health."""

from __future__ import annotations

import json

from tests.blockkit import assert_valid_message
from tests.scenarios.conftest import MakeBot
from tests.slack_stub import SlackStub


def home_opened(tab: str = "home", user: str = "U1") -> str:
    return json.dumps(
        {
            "type": "event_callback",
            "team_id": "T1",
            "api_app_id": "A1",
            "event": {
                "type": "app_home_opened",
                "user": user,
                "channel": "D1",
                "tab": tab,
                "event_ts": "1700000000.1",
            },
            "event_id": "Ev1",
            "event_time": 1700000000,
            "authorizations": [{"team_id": "T1", "user_id": "U0", "is_bot": True}],
        }
    )


async def test_home_tab_shows_health_and_examples(make_bot: MakeBot, slack: SlackStub) -> None:
    bot = await make_bot()
    await bot.answer("US LOCAL")
    # The command's bookkeeping runs after its reply is sent.
    assert await bot.app.inflight.drain(5) == 0
    response = await bot.post_signed(home_opened())
    assert response.status_code == 200
    body = await slack.wait_for_api_call("views.publish")
    assert body["user_id"] == "U1"
    view = body["view"] if isinstance(body["view"], dict) else json.loads(body["view"])
    text = json.dumps(view)
    assert "Connected to Sinch" in text
    assert "Commands answered since start: 1" in text
    assert "/numbers US LOCAL" in text
    assert_valid_message({"text": "home", "blocks": view["blocks"]})


async def test_home_tab_says_when_sinch_is_not_connected(
    make_bot: MakeBot, slack: SlackStub, sinch_api: object
) -> None:
    sinch_api["token"].respond(401, json={"error": "invalid_client"})  # type: ignore[index]
    bot = await make_bot(held_token=False)
    await bot.provider.refresh_if_due()
    assert (await bot.post_signed(home_opened())).status_code == 200
    body = await slack.wait_for_api_call("views.publish")
    view = body["view"] if isinstance(body["view"], dict) else json.loads(body["view"])
    assert "Not connected to Sinch" in json.dumps(view)


async def test_opening_the_messages_tab_publishes_nothing(
    make_bot: MakeBot, slack: SlackStub
) -> None:
    bot = await make_bot()
    assert (await bot.post_signed(home_opened("messages", user="U2"))).status_code == 200
    assert (await bot.post_signed(home_opened("home", user="U1"))).status_code == 200
    body = await slack.wait_for_api_call("views.publish")
    assert body["user_id"] == "U1"  # the first publish is the Home tab's
    assert slack.api_calls.count("views.publish") == 1
