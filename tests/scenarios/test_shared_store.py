"""Several instances, restarts and a database outage, against a real PostgreSQL.

Each instance is a whole ASGI app with its own caches, single-flights and rate limits; they
share only DATABASE_URL (a database of the suite's own PostgreSQL server), as dynos would.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from bot.slack.number_change_blocks import ChangeRequest
from bot.store.ledger import STALE_AFTER, NewRequest, utc_now
from tests.pg_server import PgServer
from tests.scenarios.conftest import BotHarness, MakeBot
from tests.scenarios.number_fakes import NUMBER, SHOWN, FakeNumbers, button, buttons
from tests.scenarios.test_number_changes import (
    APPROVALS,
    ENABLED,
    REQUESTER,
    ask,
    click,
    decide,
    next_message,
    request_approval,
    sinch,
    text_of,
)

__all__ = ["sinch"]  # the stateful Sinch fixture, shared with the single-instance tests
HELD = "+12065550188"
UNAVAILABLE = "The bot's database is unavailable: nothing was changed. Try again shortly."


async def settle(*bots: BotHarness) -> None:
    for bot in bots:
        await asyncio.wait_for(bot.app.inflight.drain(5), 6)


async def test_one_rent_button_clicked_on_three_instances_rents_once(
    make_bot: MakeBot, sinch: FakeNumbers, pg_url: str
) -> None:
    bots = [await make_bot(**ENABLED, database_url=pg_url) for _ in range(3)]
    results = await ask(bots[0], "US LOCAL")
    rent = button(results, "numbers_rent", number=NUMBER)
    # Sinch holds the first :rent, so the other clicks arrive while it is in flight.
    reached, held = asyncio.Event(), asyncio.Event()
    commit = sinch.rent.side_effect
    assert callable(commit)

    async def slow_rent(request: Any, number: str) -> Any:
        reached.set()
        await held.wait()
        return commit(request, number)

    sinch.rent.side_effect = slow_rent
    await click(bots[0], "numbers_rent", rent["value"], "r0")
    await reached.wait()
    await asyncio.gather(
        click(bots[1], "numbers_rent", rent["value"], "r1"),
        click(bots[2], "numbers_rent", rent["value"], "r2"),
    )
    others = [text_of(m) for m in (await bots[0].slack.wait_for(3))[1:]]
    assert all(
        f"<@{REQUESTER}> already handled this request (renting {SHOWN} now)" in o for o in others
    )
    held.set()
    await settle(*bots)
    assert f"Rented {SHOWN}" in text_of(await next_message(bots[0], 3))
    assert sinch.rent.call_count == 1


async def test_approve_and_deny_on_two_instances_at_once_make_one_decision(
    make_bot: MakeBot, sinch: FakeNumbers, pg_url: str
) -> None:
    one = await make_bot(**APPROVALS, database_url=pg_url)
    two = await make_bot(**APPROVALS, database_url=pg_url)
    posted = await request_approval(one, sinch)
    await asyncio.gather(
        decide(one, posted, "numbers_change_approve", "U0APPR8", "yes"),
        decide(two, posted, "numbers_change_deny", "U0APPR9", "no"),
    )
    await settle(one, two)
    slack = one.slack
    updates = [
        text_of(b)
        for m, b in zip(slack.api_calls, slack.api_bodies, strict=True)
        if m == "chat.update"
    ]
    dms = [
        text_of(b)
        for m, b in zip(slack.api_calls, slack.api_bodies, strict=True)
        if m == "chat.postMessage" and b["channel"] == REQUESTER
    ]
    notice = text_of(await next_message(one, 2))  # the losing click's own answer
    approved = any("Approved by <@U0APPR8>" in u for u in updates)
    denied = any("Denied by <@U0APPR9>" in u for u in updates)
    assert approved != denied
    assert len(dms) == 1
    if approved:
        assert f"Rented {SHOWN}" in dms[0]
        assert "Already approved by <@U0APPR8>" in notice
        assert sinch.rent.call_count == 1
    else:
        assert "Denied" in dms[0]
        assert "Already denied by <@U0APPR9>" in notice
        assert not sinch.rent.called


async def test_an_approval_survives_restarts_and_is_acted_on_once(
    make_bot: MakeBot, sinch: FakeNumbers, pg_url: str
) -> None:
    before = await make_bot(**APPROVALS, database_url=pg_url)
    posted = await request_approval(before, sinch)
    await before.close()  # the dyno restarts

    after = await make_bot(**APPROVALS, database_url=pg_url)
    await decide(after, posted, "numbers_change_approve", "U0APPR8", "approve")
    await settle(after)
    final = (await after.slack.wait_for_api_calls("chat.update", 2))[-1]
    assert f"Rented {SHOWN}" in text_of(final)
    assert sinch.rent.call_count == 1
    shown = text_of(await after.answer(f"show {NUMBER}", url_name="show"))
    today = utc_now().date().isoformat()
    assert f"Rented by <@{REQUESTER}> on {today}, approved by <@U0APPR8>" in shown
    await after.close()  # and again

    later = await make_bot(**APPROVALS, database_url=pg_url)
    await decide(later, posted, "numbers_change_approve", "U0APPR9", "again")
    notice = text_of(await next_message(later, 3))
    assert f"Already approved by <@U0APPR8>: rented {SHOWN}" in notice
    await settle(later)
    assert sinch.rent.call_count == 1
    assert later.slack.api_calls.count("chat.update") == 2


class Wall:
    def __init__(self) -> None:
        self.at = utc_now()

    def __call__(self) -> Any:
        return self.at


async def test_an_expired_approval_says_so_removes_its_buttons_and_rents_nothing(
    make_bot: MakeBot, sinch: FakeNumbers
) -> None:
    wall = Wall()
    bot = await make_bot(**APPROVALS, wall_clock=wall)  # APPROVAL_TTL's default: 24 h
    posted = await request_approval(bot, sinch)
    wall.at += timedelta(hours=24, seconds=1)
    quotes = sinch.get_available.call_count
    await decide(bot, posted, "numbers_change_approve", "U0APPR8", "late")
    notice = text_of(await next_message(bot, 2))
    assert "expired" in notice
    assert "APPROVAL_TTL" in notice
    update = (await bot.slack.wait_for_api_calls("chat.update"))[0]
    assert "expired" in text_of(update)
    assert buttons(update) == []
    await settle(bot)
    assert not sinch.rent.called
    assert sinch.get_available.call_count == quotes


async def test_a_database_outage_refuses_changes_without_calling_sinch_and_recovers(
    make_bot: MakeBot,
    sinch: FakeNumbers,
    pg_server: PgServer,
    pg_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = await make_bot(**ENABLED, database_url=pg_url)
    results = await ask(bot, "US LOCAL")
    rent = button(results, "numbers_rent", number=NUMBER)
    assert (await bot.http.get("/readyz")).status_code == 200

    pg_server.stop()
    try:
        during = await bot.answer("US LOCAL", url_name="search-during", user_id=REQUESTER)
        assert SHOWN in text_of(during)  # searches never wait on the database
        sinch.hold(HELD)
        shown = text_of(await bot.answer(f"show {HELD}", url_name="show-during"))
        assert "Support line" in shown  # show's Sinch part, without the ledger's line
        assert "Rented by" not in shown
        for n in range(2):
            await click(bot, "numbers_rent", rent["value"], f"refused-{n}")
            assert UNAVAILABLE in text_of(await next_message(bot, 3 + n))
        await settle(bot)
        assert not sinch.rent.called
        assert not sinch.get_available.called
        ready = await bot.http.get("/readyz")
        assert ready.status_code == 503
        assert "database unavailable" in ready.text
        assert pg_url.split("@")[0] not in ready.text
        warned = [r for r in caplog.get_records("call") if r.levelno >= logging.WARNING]
        assert [(r.name, r.levelname) for r in warned] == [("bot.store.engine", "WARNING")]
        assert warned[0].exc_info is None
    finally:
        pg_server.start()

    assert (await bot.http.get("/readyz")).status_code == 200  # no restart needed
    await click(bot, "numbers_rent", rent["value"], "after")
    assert f"Rented {SHOWN}" in text_of(await next_message(bot, 5))
    assert sinch.rent.call_count == 1


async def test_a_click_on_a_request_left_executing_reads_the_number_back(
    make_bot: MakeBot, sinch: FakeNumbers, pg_url: str
) -> None:
    """An instance died after claiming and after Sinch committed the rent. The next click, a
    minute later, reads the number back instead of renting again."""
    wall = Wall()
    bot = await make_bot(**ENABLED, database_url=pg_url, wall_clock=wall)
    await bot.app.runtime.store_opened.wait()  # the start-up sweep is behind us
    question = await ask(bot, f"rent {NUMBER}")
    value = button(question, "numbers_change_confirm")["value"]
    request = ChangeRequest.from_value(value)
    crashed = NewRequest(request.id, "rent", NUMBER, REQUESTER, request.price)
    assert await bot.app.runtime.ledger.claim(crashed, pending=False) is None
    sinch.hold(NUMBER)  # Sinch committed; the answer died with the instance

    await click(bot, "numbers_change_confirm", value, "soon")
    assert f"(renting {SHOWN} now)" in text_of(await next_message(bot, 1))
    wall.at += STALE_AFTER + timedelta(seconds=1)
    await click(bot, "numbers_change_confirm", value, "later")
    assert f"already handled this request (rented {SHOWN})" in text_of(await next_message(bot, 2))
    await settle(bot)
    assert not sinch.rent.called
    entry = await bot.app.runtime.ledger.get(request.id)
    assert entry is not None
    assert (entry.state, entry.outcome) == ("done", "rented")


async def test_a_search_never_touches_the_database(
    make_bot: MakeBot, sinch: FakeNumbers, pg_url: str
) -> None:
    """The hot path: nothing is read or written in the store before (or after) a search's
    ack, so the database's speed or absence cannot slow one."""
    bot = await make_bot(**ENABLED, database_url=pg_url)
    await bot.app.runtime.store_opened.wait()  # start-up's migration and sweep are done
    statements: list[str] = []
    engine = bot.app.runtime.database.engine.sync_engine

    def seen(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        for n in range(3):
            results = await bot.answer("US LOCAL", url_name=f"s{n}", user_id=REQUESTER)
            assert SHOWN in text_of(results)
        await settle(bot)
        assert statements == []
        # The same listener does see the store when a change is asked for.
        await click(
            bot, "numbers_rent", button(results, "numbers_rent", number=NUMBER)["value"], "r"
        )
        await settle(bot)
        assert statements
    finally:
        event.remove(engine, "before_cursor_execute", seen)
