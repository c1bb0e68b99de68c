"""The watch messages: valid Block Kit, and what each must say."""

from __future__ import annotations

from decimal import Decimal

from bot.core.domain import SearchQuery
from bot.core.money import Money
from bot.search.results import SearchResult
from bot.sinch.models import AvailableNumber
from bot.slack import watch_blocks as wb
from bot.slack.search_blocks import SHARE_ACTION
from bot.watch.model import Watch, WatchStatus
from tests.blockkit import assert_valid_message
from tests.slack_stub import button_in, form_of

NOW = 1_800_000_000.0
WATCH = Watch(
    id=7,
    owner="U1",
    team="T1",
    search="US LOCAL sms 206 max:2",
    created_at=NOW - 3600,
    expires_at=NOW + 6 * 86400,
    status=WatchStatus.ACTIVE,
    last_run_at=NOW - 300,
    found=2,
)
OFFER = AvailableNumber(
    phone_number="+12065550142",
    region_code="US",
    type="LOCAL",
    capability=("SMS", "VOICE"),
    setup_price=Money(currency_code="USD", amount=Decimal("1.00")),
    monthly_price=Money(currency_code="USD", amount=Decimal("1.50")),
)


def test_the_number_dm_has_number_place_capabilities_prices_rent_and_stop() -> None:
    rent = {"type": "button", "text": {"type": "plain_text", "text": "Rent"}, "action_id": "r"}
    message = wb.render_number_dm(WATCH, OFFER, accessory=rent)
    assert_valid_message(message)
    text = form_of(message)
    for part in (
        "+1 206-555-0142",
        "Washington State",
        "SMS + voice",
        "USD 1.50/month",
        "setup USD 1.00",
    ):
        assert part in text, part
    assert message["blocks"][1]["accessory"] == rent
    assert button_in(message, wb.STOP_ACTION)["value"] == "7"
    assert "accessory" not in wb.render_number_dm(WATCH, OFFER, accessory=None)["blocks"][1]


def test_the_confirmation_says_what_how_often_until_when_and_shows_the_stock() -> None:
    result = SearchResult(query=SearchQuery("US"), numbers=(OFFER,), fetch_size=30)
    message = wb.render_watch_started(WATCH, result, interval=900)
    assert_valid_message(message)
    text = form_of(message)
    assert "/numbers US LOCAL sms 206 max:2" in text
    assert "every 15 min" in text
    assert f"<!date^{int(WATCH.expires_at)}^" in text
    assert "+1 206-555-0142" in text
    assert "1 number matches right now (below): they are not news, so they are not DMed" in text
    # The confirmation is private: no Share button on it.
    assert SHARE_ACTION not in text


def test_a_long_confirmation_stays_within_slacks_block_limit() -> None:
    offers = tuple(
        OFFER.model_copy(update={"phone_number": f"+120655501{i:02d}"}) for i in range(30)
    )
    result = SearchResult(query=SearchQuery("US", limit=30), numbers=offers, fetch_size=30)
    assert_valid_message(wb.render_watch_started(WATCH, result, interval=1))


def test_the_list_has_a_stop_button_per_watch_and_says_why_one_paused() -> None:
    paused = Watch(
        **{
            **WATCH.__dict__,
            "id": 8,
            "status": WatchStatus.PAUSED,
            "reason": "Slack refused its DMs 5 times (user_not_found)",
        }
    )
    message = wb.render_watch_list([WATCH, paused], now=NOW, limit=5)
    assert_valid_message(message)
    text = form_of(message)
    assert "Your watches (2 of 5)" in text
    assert "5 min ago" in text
    assert "2 found" in text
    assert "Paused: Slack refused its DMs 5 times (user_not_found)" in text
    assert [b["accessory"]["value"] for b in message["blocks"] if "accessory" in b] == ["7", "8"]
    assert_valid_message(wb.render_watch_list([], now=NOW, limit=5))


def test_the_expiry_dm_says_it_ended_and_how_to_start_again() -> None:
    message = wb.render_expired_dm(WATCH)
    assert_valid_message(message)
    assert "ended" in message["text"]
    assert "/numbers watch US LOCAL sms 206 max:2" in form_of(message)


def test_user_text_in_a_search_is_escaped() -> None:
    odd = Watch(**{**WATCH.__dict__, "search": "US <!channel> `x`"})
    text = form_of(wb.render_watch_list([odd], now=NOW, limit=5))
    assert "<!channel>" not in text
    assert "&lt;!channel&gt;" in text


def test_the_home_tab_part_lists_each_watch_and_counts_undelivered_dms() -> None:
    long = Watch(**{**WATCH.__dict__, "search": "US LOCAL " + "x" * 590})
    blocks = wb.home_blocks([long] * 10, now=NOW, undelivered=2)
    assert_valid_message({"text": "home", "blocks": blocks})
    assert len([b for b in blocks if b["type"] == "section"]) == 11
    assert "2 watch DM(s) may not have arrived" in form_of({"blocks": blocks})
    assert wb.home_blocks([], now=NOW) == []
