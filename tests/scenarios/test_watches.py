"""Watches end to end: signed commands, the real app, a fake wall clock, Slack's DMs on a stub.

The tick runs when a test calls ``bot.app.watches.tick()`` after moving the clock, as the
scheduler would every WATCH_INTERVAL; databases are real (SQLite files, a real PostgreSQL).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx
import pytest
import respx

from bot.slack import watch_blocks as wb
from bot.watch.model import WatchStatus
from bot.watch.policy import DM_RETRY_DELAYS, MAX_DM_ATTEMPTS
from tests.blockkit import assert_valid_message
from tests.conftest import fresh_store
from tests.fakes import FakeClock
from tests.pg_server import PgServer
from tests.scenarios.conftest import US_NUMBERS, BotHarness, MakeBot
from tests.scenarios.test_home import home_opened
from tests.slack_stub import SlackStub, action_body, button_in, form_of

INTERVAL = 60.0
T0 = 1_800_000_000.0
NEW = "+12065550142"


class Stock:
    """What Sinch has for rent right now; numbers can appear while a test runs."""

    def __init__(self, router: respx.Router) -> None:
        self.numbers: list[dict[str, Any]] = [dict(n) for n in US_NUMBERS["availableNumbers"]]
        self.route = router["available"]
        self.route.mock(side_effect=self._answer)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"availableNumbers": self.numbers})

    def add(self, number: str) -> None:
        self.numbers.insert(0, {**self.numbers[0], "phoneNumber": number})


@pytest.fixture
def stock(sinch_api: respx.Router) -> Stock:
    return Stock(sinch_api)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(now=T0)


def dms(slack: SlackStub) -> list[dict[str, Any]]:
    return [
        b for m, b in zip(slack.api_calls, slack.api_bodies, strict=True) if m == "chat.postMessage"
    ]


def dm_text(body: dict[str, Any]) -> str:
    blocks = body.get("blocks")
    return json.dumps(json.loads(blocks) if isinstance(blocks, str) else blocks) + str(body["text"])


async def later(bot: BotHarness, clock: FakeClock, seconds: float = INTERVAL) -> None:
    clock.advance(seconds)
    await bot.app.watches.tick()


async def start(bot: BotHarness, text: str = "watch US LOCAL 206", **fields: str) -> dict[str, Any]:
    reply = await bot.answer(text, **fields)
    assert await bot.app.inflight.drain(5) == 0
    return reply


async def test_existing_stock_is_not_dmed_and_a_new_number_is_dmed_once(
    make_bot: MakeBot, slack: SlackStub, stock: Stock, clock: FakeClock
) -> None:
    bot = await make_bot(watch_clock=clock, watch_interval=INTERVAL)

    reply = await start(bot)

    assert_valid_message(reply)
    text = form_of(reply)
    assert "Watching `/numbers US LOCAL 206`" in text
    assert "every 60 s" in text
    assert "+1 206-555-0100" in text  # what is there now is shown, not DMed later
    await later(bot, clock)
    assert dms(slack) == []

    stock.add(NEW)
    await later(bot, clock)
    await later(bot, clock)

    sent = dms(slack)
    assert len(sent) == 1
    assert sent[0]["channel"] == "U1"
    assert "+1 206-555-0142" in dm_text(sent[0])
    assert_valid_message({"text": sent[0]["text"], "blocks": sent[0]["blocks"]})


async def test_a_dm_is_sent_once_even_when_ticks_overlap(
    make_bot: MakeBot, slack: SlackStub, stock: Stock, clock: FakeClock
) -> None:
    bot = await make_bot(watch_clock=clock, watch_interval=INTERVAL)
    await start(bot)
    stock.add(NEW)
    clock.advance(INTERVAL)

    await asyncio.gather(bot.app.watches.tick(), bot.app.watches.tick())

    assert len(dms(slack)) == 1


async def test_identical_watches_cost_one_sinch_call_per_interval(
    make_bot: MakeBot, slack: SlackStub, stock: Stock, clock: FakeClock
) -> None:
    bot = await make_bot(watch_clock=clock, watch_interval=INTERVAL)
    await start(bot, "watch US LOCAL 206")
    await start(bot, "watch 206 us limit:3", user_id="U2")  # the same search, written otherwise
    calls = stock.route.call_count
    stock.add(NEW)

    await later(bot, clock)

    assert stock.route.call_count == calls + 1
    assert sorted(b["channel"] for b in dms(slack)) == ["U1", "U2"]


async def test_unwatch_and_the_stop_button_stop_the_dms(
    make_bot: MakeBot, slack: SlackStub, stock: Stock, clock: FakeClock
) -> None:
    bot = await make_bot(watch_clock=clock, watch_interval=INTERVAL)
    await start(bot, "watch US LOCAL 206")
    await start(bot, "watch US LOCAL sms 206")
    listing = await start(bot, "watches")
    assert_valid_message(listing)
    ids = [b["accessory"]["value"] for b in listing["blocks"] if "accessory" in b]
    assert len(ids) == 2

    someone_else = await start(bot, f"unwatch {ids[0]}", user_id="U2")
    assert "no running watch" in form_of(someone_else)
    stopped = await start(bot, f"unwatch {ids[0]}")
    assert f"Stopped watch *{ids[0]}*" in form_of(stopped)
    stock.add(NEW)
    await later(bot, clock)
    (dm,) = dms(slack)
    stop = button_in({"blocks": dm["blocks"]}, wb.STOP_ACTION)
    assert stop["value"] == ids[1]

    before = len(slack.messages)
    other = action_body(wb.STOP_ACTION, stop["value"], slack.response_url("x"), user_id="U2")
    assert (await bot.post_signed(other)).status_code == 200
    assert await bot.app.inflight.drain(5) == 0
    assert "no running watch" in form_of((await slack.wait_for(before + 1))[before])
    before = len(slack.messages)
    click = action_body(wb.STOP_ACTION, stop["value"], slack.response_url("dm"), channel_id="D1")
    assert (await bot.post_signed(click)).status_code == 200
    assert await bot.app.inflight.drain(5) == 0
    assert "Stopped watch" in form_of((await slack.wait_for(before + 1))[before])
    stock.add("+12065550143")
    await later(bot, clock)
    assert len(dms(slack)) == 1
    assert "no watches" in form_of(await start(bot, "watches"))


async def test_a_watch_ends_after_watch_days_with_a_dm_saying_so(
    make_bot: MakeBot, slack: SlackStub, stock: Stock, clock: FakeClock
) -> None:
    bot = await make_bot(watch_clock=clock, watch_interval=INTERVAL, watch_days=1)
    reply = await start(bot)
    assert f"<!date^{int(T0 + 86_400)}^" in form_of(reply)
    await later(bot, clock, 86_399)
    assert dms(slack) == []

    stock.add(NEW)
    await later(bot, clock, 1)

    (goodbye,) = dms(slack)
    assert "ended" in goodbye["text"]
    assert "/numbers watch US LOCAL 206" in dm_text(goodbye)
    await later(bot, clock)
    assert len(dms(slack)) == 1  # the new number is not sent: the watch is over


async def test_the_per_user_limit(
    make_bot: MakeBot, slack: SlackStub, stock: Stock, clock: FakeClock
) -> None:
    bot = await make_bot(watch_clock=clock, watch_max_per_user=2)
    await start(bot, "watch US LOCAL 206")
    await start(bot, "watch US LOCAL 212")

    refused = await start(bot, "watch US LOCAL 312")

    assert "You already have 2 watches" in form_of(refused)
    assert "Watching" in form_of(await start(bot, "watch US LOCAL 312", user_id="U2"))


async def test_an_outsider_cannot_create_a_watch(
    make_bot: MakeBot, slack: SlackStub, stock: Stock, clock: FakeClock
) -> None:
    bot = await make_bot(watch_clock=clock, allowed_user_ids="U2")

    response = await bot.command("watch US LOCAL 206")

    assert response.status_code == 200
    assert "not permitted to use /numbers" in response.text
    assert not stock.route.called
    assert await bot.app.watches.store.list_watches() == []


async def test_bad_watch_commands_get_a_hint_and_nothing_is_stored(
    make_bot: MakeBot, stock: Stock, clock: FakeClock
) -> None:
    bot = await make_bot(watch_clock=clock)
    response = await bot.command("watch Swedn")
    assert response.status_code == 200
    assert "Did you mean" in response.text
    assert "/numbers watch SEARCH" in response.text
    assert not stock.route.called


async def test_a_refused_dm_is_retried_then_the_watch_pauses_and_home_says_why(
    make_bot: MakeBot, slack: SlackStub, stock: Stock, clock: FakeClock
) -> None:
    bot = await make_bot(watch_clock=clock, watch_interval=INTERVAL)
    await start(bot)
    slack.api_errors["chat.postMessage"] = [("user_not_found", 200, None)] * MAX_DM_ATTEMPTS
    stock.add(NEW)
    await later(bot, clock)
    for delay in DM_RETRY_DELAYS:
        assert len(dms(slack)) == DM_RETRY_DELAYS.index(delay) + 1
        await later(bot, clock, delay - 1)  # not yet
        assert len(dms(slack)) == DM_RETRY_DELAYS.index(delay) + 1
        await later(bot, clock, 1)

    assert len(dms(slack)) == MAX_DM_ATTEMPTS
    await later(bot, clock, 3600)
    assert len(dms(slack)) == MAX_DM_ATTEMPTS  # paused: no more attempts, no more searches
    listing = form_of(await start(bot, "watches"))
    assert "Paused: Slack refused a DM 5 times (user_not_found)" in listing
    assert (await bot.post_signed(home_opened())).status_code == 200
    body = await slack.wait_for_api_call("views.publish")
    view = body["view"] if isinstance(body["view"], dict) else json.loads(body["view"])
    home = json.dumps(view)
    assert "Slack refused a DM 5 times (user_not_found)" in home
    assert "1 watch DM(s) may not have arrived" in home
    assert_valid_message({"text": "home", "blocks": view["blocks"]})


async def test_a_rate_limited_dm_waits_for_retry_after_and_is_sent_once(
    make_bot: MakeBot, slack: SlackStub, stock: Stock, clock: FakeClock
) -> None:
    bot = await make_bot(watch_clock=clock, watch_interval=INTERVAL)
    await start(bot)
    slack.api_errors["chat.postMessage"] = [("ratelimited", 429, "300")]
    stock.add(NEW)
    await later(bot, clock)
    assert len(dms(slack)) == 1  # refused

    await later(bot, clock, 299)
    assert len(dms(slack)) == 1
    await later(bot, clock, 1)
    await later(bot, clock)

    assert len(dms(slack)) == 2  # the refused one, then the delivered one; nothing more


async def test_a_watch_whose_owner_left_the_allowlist_stops(
    make_bot: MakeBot, slack: SlackStub, stock: Stock, clock: FakeClock, tmp_path: Any
) -> None:
    url = f"sqlite:///{tmp_path}/shared.db"
    settings = {"watch_interval": INTERVAL, "database_url": url}
    before = await make_bot(watch_clock=clock, allowed_user_ids="U1,U2", **settings)
    await start(before)
    # Redeployed with U1 removed from ALLOWED_USER_IDS: the watch stops, nothing is sent.
    after = await make_bot(watch_clock=clock, allowed_user_ids="U2", **settings)
    stock.add(NEW)

    await later(after, clock)

    assert dms(slack) == []
    (watch,) = await after.app.watches.store.list_watches()
    assert watch.status is WatchStatus.STOPPED
    assert watch.reason == "its owner is no longer in ALLOWED_USER_IDS"


async def test_after_a_restart_nothing_is_sent_twice_and_later_numbers_are_sent(
    make_bot: MakeBot, slack: SlackStub, stock: Stock, clock: FakeClock, tmp_path: Any
) -> None:
    url = f"sqlite:///{tmp_path}/bot.db"
    first = await make_bot(watch_clock=clock, watch_interval=INTERVAL, database_url=url)
    await start(first)
    stock.add(NEW)
    await later(first, clock)
    assert len(dms(slack)) == 1

    # A new process: new caches, a new lease holder, the same database.
    restarted = await make_bot(watch_clock=clock, watch_interval=INTERVAL, database_url=url)
    await later(restarted, clock)
    assert len(dms(slack)) == 1
    stock.add("+12065550143")
    await later(restarted, clock)

    sent = dms(slack)
    assert len(sent) == 2
    assert "+1 206-555-0143" in dm_text(sent[1])


@pytest.fixture
async def pg_database(pg_url: str) -> str:
    """The module's PostgreSQL database, migrated and emptied for this test."""
    await (await fresh_store(pg_url)).aclose()
    return pg_url


async def test_two_instances_on_one_postgresql_send_one_dm(
    make_bot: MakeBot, slack: SlackStub, stock: Stock, clock: FakeClock, pg_database: str
) -> None:
    one = await make_bot(watch_clock=clock, watch_interval=INTERVAL, database_url=pg_database)
    two = await make_bot(watch_clock=clock, watch_interval=INTERVAL, database_url=pg_database)
    await start(one)
    calls = stock.route.call_count
    stock.add(NEW)
    clock.advance(INTERVAL)

    await asyncio.gather(one.app.watches.tick(), two.app.watches.tick())
    await asyncio.gather(one.app.watches.tick(), two.app.watches.tick())

    assert len(dms(slack)) == 1
    assert stock.route.call_count == calls + 1  # one instance ran the search
    clock.advance(INTERVAL)
    stock.add("+12065550143")
    await asyncio.gather(two.app.watches.tick(), one.app.watches.tick())
    assert len(dms(slack)) == 2


async def test_a_watch_keeps_one_sinch_call_in_flight(
    make_bot: MakeBot, sinch_api: respx.Router, clock: FakeClock
) -> None:
    in_flight = most = 0

    async def answer(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        for _ in range(5):  # let any other request of the same search start meanwhile
            await asyncio.sleep(0)
        in_flight -= 1
        return httpx.Response(200, json=US_NUMBERS)

    route = sinch_api["available"].mock(side_effect=answer)
    bot = await make_bot(watch_clock=clock, watch_interval=INTERVAL)
    await start(bot, "watch US texas")  # a state: one search per area code
    assert most > 1  # a person's place search runs its areas side by side
    most, calls = 0, route.call_count

    await later(bot, clock)

    assert route.call_count == calls + calls  # every area searched again...
    assert most == 1  # ...one at a time


async def test_watches_share_the_search_cache_with_commands(
    make_bot: MakeBot, stock: Stock, clock: FakeClock
) -> None:
    process_clock = FakeClock()
    bot = await make_bot(
        clock=process_clock, watch_clock=clock, watch_interval=INTERVAL, search_cache_ttl=30
    )
    await start(bot)
    process_clock.advance(31)
    await later(bot, clock)
    calls = stock.route.call_count

    reply = await bot.answer("US LOCAL 206")

    assert stock.route.call_count == calls  # the watch's fresh result answered the command
    assert "cached" in form_of(reply)


async def test_a_watch_does_not_start_from_a_partial_search(
    make_bot: MakeBot, sinch_api: respx.Router, clock: FakeClock
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("numberPattern.pattern") == "+1713":  # Houston's code
            return httpx.Response(503, json={"error": {"code": 503, "status": "UNAVAILABLE"}})
        return httpx.Response(200, json=US_NUMBERS)

    sinch_api["available"].mock(side_effect=answer)
    bot = await make_bot(watch_clock=clock, watch_interval=INTERVAL)

    reply = await start(bot, "watch US texas")

    assert "did not answer for 713" in form_of(reply)
    assert "not started" in form_of(reply)
    assert await bot.app.watches.store.list_watches() == []


async def test_the_scheduler_runs_the_watches_at_a_short_interval(
    make_bot: MakeBot, slack: SlackStub, stock: Stock
) -> None:
    # The real wall clock and the real APScheduler job (one per process), WATCH_INTERVAL=1.
    bot = await make_bot(watch_interval=1)
    await start(bot)
    stock.add(NEW)

    body = await slack.wait_for_api_call("chat.postMessage", timeout=15)

    assert body["channel"] == "U1"
    assert "+1 206-555-0142" in dm_text(body)


async def test_a_database_outage_stops_watches_cleanly_and_they_resume(
    make_bot: MakeBot,
    slack: SlackStub,
    stock: Stock,
    clock: FakeClock,
    pg_database: str,
    pg_server: PgServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = await make_bot(watch_clock=clock, watch_interval=INTERVAL, database_url=pg_database)
    await start(bot)
    stock.add(NEW)

    pg_server.stop()
    try:
        refused = await start(bot, "watch US LOCAL 212", url_name="during")
        assert "database is unavailable" in form_of(refused)
        listed = await start(bot, "watches", url_name="list-during")
        assert "database is unavailable" in form_of(listed)
        clock.advance(INTERVAL)
        await bot.app.watches.run_tick()  # the scheduler's job: its own catch boundary
        assert dms(slack) == []  # nothing is sent that the database cannot record
        warned = [r for r in caplog.get_records("call") if r.levelno >= logging.WARNING]
        assert [(r.name, r.levelname) for r in warned] == [("bot.store.engine", "WARNING")]
        assert not any(r.exc_info for r in caplog.get_records("call"))
    finally:
        pg_server.start()

    await later(bot, clock)  # no restart: the next tick finds the new number, once
    sent = dms(slack)
    assert len(sent) == 1
    assert "+1 206-555-0142" in dm_text(sent[0])
