"""Signed end to end (issue 11): a place search, and the Show-more button of a search."""

from __future__ import annotations

import json
from typing import ClassVar

import httpx
import pytest
import respx

from bot.app.asgi import create_app
from bot.app.runtime import build_runtime
from bot.commands import place_build
from tests.scenarios.conftest import MakeBot, make_settings, offline_authorize
from tests.slack_stub import SlackStub, action_body, button_in


async def test_place_search_sends_one_start_search_per_area_and_says_where(
    make_bot: MakeBot, sinch_api: respx.Router
) -> None:
    bot = await make_bot()
    message = await bot.answer("seattle sms")
    params = sinch_api["available"].calls.last.request.url.params
    assert params["regionCode"] == "US"
    assert params["numberPattern.pattern"] == "+1206"
    assert params["numberPattern.searchPattern"] == "START"
    assert params.get_list("capabilities") == ["SMS"]
    text = json.dumps(message, ensure_ascii=False)
    assert "Available local numbers in Seattle, WA, United States" in text
    assert "Searched Seattle, WA: area code 206" in text
    assert "+1 206-555-0100" in text
    # Share re-runs the same place search.
    assert button_in(message, "numbers_share")["value"] == "US LOCAL sms in:seattle,wa"


async def test_show_more_replaces_the_message_with_the_next_numbers(
    make_bot: MakeBot, sinch_api: respx.Router
) -> None:
    bot = await make_bot()
    first = await bot.answer("US LOCAL limit:2")
    assert "+1 206-555-0101" in json.dumps(first)
    assert "+1 206-555-0102" not in json.dumps(first)
    more = button_in(first, "numbers_search_more")
    assert more["text"]["text"] == "Show 2 more"
    response = await bot.post_signed(
        action_body("numbers_search_more", more["value"], bot.slack.response_url("more"))
    )
    assert response.status_code == 200
    second = (await bot.slack.wait_for(2))[1]
    assert second["replace_original"] is True
    text = json.dumps(second, ensure_ascii=False)
    assert "+1 206-555-0102" in text and "+1 206-555-0103" in text  # noqa: PT018
    assert "+1 206-555-0101" not in text
    assert "3–4 of 5 shown" in text
    # The last page offers one more number, then none.
    last_value = button_in(second, "numbers_search_more")["value"]
    assert json.loads(last_value)["o"] == 4


async def test_a_tampered_show_more_button_gets_a_hint_not_a_search(
    make_bot: MakeBot, sinch_api: respx.Router
) -> None:
    bot = await make_bot()
    calls = sinch_api["available"].call_count
    await bot.post_signed(
        action_body("numbers_search_more", '{"q":"US LOCAL","o":-5}', bot.slack.response_url("x"))
    )
    reply = (await bot.slack.wait_for(1))[0]
    assert "expired" in json.dumps(reply)
    assert sinch_api["available"].call_count == calls


class RecordingWarmup:
    """Stands in for place_build.Warmup: the real one spends seconds of CPU in a child."""

    made: ClassVar[list[RecordingWarmup]] = []

    def __init__(self) -> None:
        self.calls: list[str] = []
        RecordingWarmup.made.append(self)

    def start(self) -> None:
        self.calls.append("start")

    def close(self) -> None:
        self.calls.append("close")


@pytest.mark.parametrize(
    ("warmup", "during", "after"),
    [(True, [["start"]], [["start", "close"]]), (False, [], [])],
)
async def test_the_lifespan_starts_the_place_index_build_and_stops_it(
    sinch_api: respx.Router,
    slack: SlackStub,
    monkeypatch: pytest.MonkeyPatch,
    warmup: bool,
    during: list[list[str]],
    after: list[list[str]],
) -> None:
    monkeypatch.setattr(place_build, "Warmup", RecordingWarmup)
    RecordingWarmup.made.clear()
    settings = make_settings(slack, place_index_warmup=warmup)
    runtime = build_runtime(settings, sinch_transport=httpx.MockTransport(sinch_api.async_handler))
    app = create_app(settings, runtime=runtime, authorize=offline_authorize)
    async with app.asgi.router.lifespan_context(app.asgi):
        assert [w.calls for w in RecordingWarmup.made] == during
    assert [w.calls for w in RecordingWarmup.made] == after
