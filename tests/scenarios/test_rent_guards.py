"""The rent flow's money guards in Slack: the setup price, Cancel's gate, the wording.

Built on the helpers of test_number_changes (a stateful Sinch fake, really signed clicks).
"""

from __future__ import annotations

import asyncio
import logging

import pytest
import respx

from tests.fakes import FakeClock
from tests.scenarios.conftest import MakeBot
from tests.scenarios.number_fakes import NUMBER, SHOWN, FakeNumbers, button
from tests.scenarios.test_number_changes import (
    APPROVALS,
    ENABLED,
    REQUESTER,
    ask,
    audit_lines,
    click,
    decide,
    next_message,
    request_approval,
    text_of,
)


@pytest.fixture
def sinch(sinch_api: respx.Router) -> FakeNumbers:
    return FakeNumbers(sinch_api)


# --- the setup price (RENT_MAX_SETUP_PRICE, and the price the approver saw) ----------------


async def test_a_setup_price_that_soars_after_the_request_is_not_rented(
    make_bot: MakeBot, sinch: FakeNumbers
) -> None:
    bot = await make_bot(**APPROVALS)
    posted = await request_approval(bot, sinch)
    assert "Setup: USD 1.50" in text_of(posted)
    sinch.set_setup_price(NUMBER, "5000.00")
    await decide(bot, posted, "numbers_change_approve", "U0APPR9", "a")
    final = (await bot.slack.wait_for_api_calls("chat.update", 2))[-1]
    assert (
        "setup price of USD 5000.00, above the limit of USD 50.00 (RENT_MAX_SETUP_PRICE)"
        in text_of(final)
    )
    assert not sinch.rent.called


async def test_a_setup_price_above_what_the_approver_saw_is_not_rented(
    make_bot: MakeBot, sinch: FakeNumbers
) -> None:
    bot = await make_bot(**APPROVALS)
    posted = await request_approval(bot, sinch)
    sinch.set_setup_price(NUMBER, "2.00")  # under the ceiling, above the USD 1.50 shown
    await decide(bot, posted, "numbers_change_approve", "U0APPR9", "a")
    final = (await bot.slack.wait_for_api_calls("chat.update", 2))[-1]
    assert f"setup price of {SHOWN} rose to USD 2.00 since it was approved" in text_of(final)
    assert not sinch.rent.called


async def test_a_setup_price_rise_before_confirm_is_not_rented(
    make_bot: MakeBot, sinch: FakeNumbers
) -> None:
    bot = await make_bot(**ENABLED)
    question = await ask(bot, f"rent {NUMBER}")
    sinch.set_setup_price(NUMBER, "2.00")
    await click(
        bot, "numbers_change_confirm", button(question, "numbers_change_confirm")["value"], "q"
    )
    outcome = text_of(await next_message(bot, 1))
    assert f"setup price of {SHOWN} rose to USD 2.00 since it was shown" in outcome
    assert not sinch.rent.called


async def test_the_setup_ceiling_hides_the_button_and_refuses_the_rent(
    make_bot: MakeBot, sinch: FakeNumbers
) -> None:
    bot = await make_bot(**ENABLED, rent_max_setup_price="1.49")
    assert "numbers_rent" not in text_of(await ask(bot, "US LOCAL"))
    refusal = text_of(await ask(bot, f"rent {NUMBER}"))
    assert "above the limit of USD 1.49 (RENT_MAX_SETUP_PRICE)" in refusal
    assert not sinch.rent.called


async def test_a_setup_price_exactly_at_the_ceiling_is_rented(
    make_bot: MakeBot, sinch: FakeNumbers
) -> None:
    bot = await make_bot(**ENABLED, rent_max_setup_price="1.50")
    rent = button(await ask(bot, "US LOCAL"), "numbers_rent", number=NUMBER)
    await click(bot, "numbers_rent", rent["value"], "r")
    assert f"Rented {SHOWN}" in text_of(await next_message(bot, 1))
    assert sinch.rent.call_count == 1


# --- point 9: the price-changed sentence without an approver -------------------------------


async def test_a_price_rise_without_approval_does_not_claim_an_approval(
    make_bot: MakeBot, sinch: FakeNumbers
) -> None:
    bot = await make_bot(**ENABLED)
    rent = button(await ask(bot, "US LOCAL"), "numbers_rent", number=NUMBER)
    sinch.set_price(NUMBER, "2.00")
    await click(bot, "numbers_rent", rent["value"], "r")
    outcome = text_of(await next_message(bot, 1))
    assert "rose to USD 2.00 since it was shown" in outcome
    assert "approved" not in outcome
    assert not sinch.rent.called


# --- Cancel: the same gate as every click, and only the requester or an approver -----------

LISTED = {**ENABLED, "allowed_user_ids": f"{REQUESTER},U0BOB2"}


async def cancel_value(bot: object, sinch: FakeNumbers) -> tuple[str, str]:
    question = await ask(bot, f"rent {NUMBER}")  # type: ignore[arg-type]
    return (
        button(question, "numbers_change_cancel")["value"],
        button(question, "numbers_change_confirm")["value"],
    )


async def test_an_outsider_cannot_cancel_and_the_requester_still_can_rent(
    make_bot: MakeBot, sinch: FakeNumbers
) -> None:
    bot = await make_bot(**LISTED)
    cancel, confirm = await cancel_value(bot, sinch)
    await click(bot, "numbers_change_cancel", cancel, "eve", user_id="U0EVE5")
    assert "not permitted" in text_of(await next_message(bot, 1))
    await click(bot, "numbers_change_confirm", confirm, "q")
    assert "Rented" in text_of(await next_message(bot, 2))


async def test_a_listed_user_cannot_cancel_someone_elses_request(
    make_bot: MakeBot, sinch: FakeNumbers, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.audit")
    bot = await make_bot(**LISTED)
    cancel, confirm = await cancel_value(bot, sinch)
    await click(bot, "numbers_change_cancel", cancel, "bob", user_id="U0BOB2")
    assert "Only the person who asked" in text_of(await next_message(bot, 1))
    refused = [a for a in audit_lines(caplog) if a["outcome"] == "not_permitted"]
    assert [(a["requester"], a["approver"]) for a in refused] == [(REQUESTER, "U0BOB2")]
    await click(bot, "numbers_change_confirm", confirm, "q")
    assert "Rented" in text_of(await next_message(bot, 2))


async def test_the_requester_and_an_approver_may_cancel(
    make_bot: MakeBot, sinch: FakeNumbers
) -> None:
    bot = await make_bot(**APPROVALS)
    cancel, _ = await cancel_value(bot, sinch)
    await click(bot, "numbers_change_cancel", cancel, "appr", user_id="U0APPR8")
    assert "Cancelled" in text_of(await next_message(bot, 1))
    cancel, _ = await cancel_value(bot, sinch)
    await click(bot, "numbers_change_cancel", cancel, "own")
    assert "Cancelled" in text_of(await next_message(bot, 3))


async def test_cancel_clicks_count_against_the_rate_limit(
    make_bot: MakeBot, sinch: FakeNumbers
) -> None:
    bot = await make_bot(**LISTED, clock=FakeClock(), user_rate_limit_per_minute=2)
    cancel, _ = await cancel_value(bot, sinch)  # the command is the first of two
    await click(bot, "numbers_change_cancel", cancel, "c1", user_id="U0BOB2")
    await click(bot, "numbers_change_cancel", cancel, "c2", user_id="U0BOB2")
    await click(bot, "numbers_change_cancel", cancel, "c3", user_id="U0BOB2")
    assert await bot.app.inflight.drain(5) == 0
    answers = {m["_path"]: text_of(m) for m in bot.slack.messages}
    assert "Only the person who asked" in answers["c2"]
    assert "too fast" in answers["c3"]


# --- who may ask and decide, checked at the edges --------------------------------------------


async def test_rent_disabled_with_a_listed_user_shows_no_rent_button(
    make_bot: MakeBot, sinch: FakeNumbers
) -> None:
    bot = await make_bot(rent_enabled=False, rent_allowed_user_ids=REQUESTER)
    assert "numbers_rent" not in text_of(await ask(bot, "US LOCAL"))
    enabled = await make_bot(**ENABLED)
    assert "numbers_rent" in text_of(await ask(enabled, "US LOCAL"))  # the same user, enabled


async def test_a_requester_removed_from_the_list_before_the_approval_gets_nothing_rented(
    make_bot: MakeBot, sinch: FakeNumbers
) -> None:
    asked = await make_bot(**APPROVALS)
    posted = await request_approval(asked, sinch)
    # The instance the approver's click reaches was restarted without the requester.
    now = await make_bot(**{**APPROVALS, "rent_allowed_user_ids": "U0BOB2"})
    await decide(now, posted, "numbers_change_approve", "U0APPR9", "a")
    await asyncio.wait_for(now.app.inflight.drain(5), 6)
    final = (await now.slack.wait_for_api_calls("chat.update"))[-1]
    assert "no longer in RENT_ALLOWED_USER_IDS" in text_of(final)
    assert not sinch.rent.called


async def test_a_user_allowed_to_request_is_still_no_approver(
    make_bot: MakeBot, sinch: FakeNumbers
) -> None:
    bot = await make_bot(**{**APPROVALS, "rent_allowed_user_ids": f"{REQUESTER},U0BOB2"})
    posted = await request_approval(bot, sinch)
    await decide(bot, posted, "numbers_change_approve", "U0BOB2", "bob")
    assert "Only the approvers listed in `RENT_APPROVER_IDS`" in text_of(await next_message(bot, 2))
    assert not sinch.rent.called
    assert "chat.update" not in bot.slack.api_calls
