"""Share posts a search publicly once per search message, however often the click arrives."""

from __future__ import annotations

import respx

from tests.scenarios.conftest import US_NUMBERS, MakeBot
from tests.scenarios.number_fakes import button
from tests.slack_stub import action_body


async def test_one_share_click_delivered_three_times_posts_once(
    make_bot: MakeBot, sinch_api: respx.Router
) -> None:
    bot = await make_bot()
    share = button(await bot.answer("US LOCAL"), "numbers_share")
    body = action_body("numbers_share", share["value"], bot.slack.response_url("share"))
    for _ in range(3):
        assert (await bot.post_signed(body)).status_code == 200
    assert await bot.app.inflight.drain(5) == 0
    shared = [m for m in bot.slack.messages if m["_path"] == "share"]
    assert [m.get("response_type") for m in shared] == ["in_channel", None]
    # Another search message may still be shared.
    again = action_body("numbers_share", share["value"], bot.slack.response_url("other"))
    assert (await bot.post_signed(again)).status_code == 200
    assert await bot.app.inflight.drain(5) == 0
    assert sum(m["_path"] == "other" for m in bot.slack.messages) == 2


async def test_a_share_that_failed_may_be_clicked_again(
    make_bot: MakeBot, sinch_api: respx.Router
) -> None:
    bot = await make_bot()
    share = button(await bot.answer("US LOCAL"), "numbers_share")
    sinch_api["available"].respond(
        400, json={"error": {"code": 400, "message": "bad", "status": "INVALID_ARGUMENT"}}
    )
    body = action_body("numbers_share", share["value"], bot.slack.response_url("share"))
    assert (await bot.post_signed(body)).status_code == 200
    assert await bot.app.inflight.drain(5) == 0
    sinch_api["available"].respond(json=US_NUMBERS)
    assert (await bot.post_signed(body)).status_code == 200
    assert await bot.app.inflight.drain(5) == 0
    shared = [m for m in bot.slack.messages if m["_path"] == "share"]
    assert [m.get("response_type") for m in shared] == [None, "in_channel", None]
