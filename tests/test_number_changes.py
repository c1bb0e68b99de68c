"""NumberChanges and its single-flight: one Sinch operation per number in a process."""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal
from typing import cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.changes.service import NumberChanges, RentConfig, RentPolicy, SingleFlight
from bot.commands.number_change import NumberCommand, parse_number_command
from bot.core.errors import CommandError, ConfigError, SinchNotFoundError
from bot.core.money import Money
from bot.ops.config import Settings
from bot.sinch.client import SinchClient
from bot.sinch.models import ActiveNumber, AvailableNumber, RentRequest


async def test_single_flight_shares_one_run_between_concurrent_callers() -> None:
    flights = SingleFlight()
    release = asyncio.Event()
    runs = 0

    async def work() -> str:
        nonlocal runs
        runs += 1
        await release.wait()
        return "rented"

    first = asyncio.create_task(flights.run("+1", "rent", work))
    second = asyncio.create_task(flights.run("+1", "rent", work))
    other = asyncio.create_task(flights.run("+2", "rent", work))
    await asyncio.sleep(0)
    release.set()
    assert list(await asyncio.gather(first, second, other)) == ["rented"] * 3
    assert runs == 2  # one for +1 (shared), one for +2
    assert flights.joined == 1


async def test_single_flight_runs_a_different_action_after_the_first_ends() -> None:
    flights = SingleFlight()
    order: list[str] = []
    gate = asyncio.Event()

    async def rent() -> str:
        order.append("rent start")
        await gate.wait()
        order.append("rent end")
        return "rent"

    async def release() -> str:
        order.append("release")
        return "release"

    first = asyncio.create_task(flights.run("+1", "rent", rent))
    await asyncio.sleep(0)
    second = asyncio.create_task(flights.run("+1", "release", release))
    await asyncio.sleep(0)
    gate.set()
    assert list(await asyncio.gather(first, second)) == ["rent", "release"]
    assert order == ["rent start", "rent end", "release"]


async def test_single_flight_shares_a_failure_and_then_forgets_it() -> None:
    flights = SingleFlight()

    async def boom() -> str:
        await asyncio.sleep(0)
        raise RuntimeError("boom")

    results = await asyncio.gather(
        flights.run("+1", "rent", boom), flights.run("+1", "rent", boom), return_exceptions=True
    )
    assert all(isinstance(r, RuntimeError) for r in results)

    async def fine() -> str:
        return "ok"

    assert await flights.run("+1", "rent", fine) == "ok"


def test_rent_config_sends_each_configuration_only_to_a_capable_number() -> None:
    config = RentConfig(
        sms_service_plan_id="plan", voice_app_id="app", callback_url="https://x.test"
    )
    sms_only = config.request_for(("SMS",)).model_dump(by_alias=True, exclude_none=True)
    assert sms_only == {
        "smsConfiguration": {"servicePlanId": "plan"},
        "callbackUrl": "https://x.test",
    }
    voice = config.request_for(("VOICE",)).model_dump(by_alias=True, exclude_none=True)
    assert voice["voiceConfiguration"] == {"type": "RTC", "appId": "app"}
    assert RentConfig().request_for(("SMS", "VOICE")).model_dump(exclude_none=True) == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rent +12065550100", NumberCommand("rent", "+12065550100")),
        ("RELEASE +1 (206) 555-0100", NumberCommand("release", "+12065550100")),
        ("show <tel:+12065550100|+1 206-555-0100>", NumberCommand("show", "+12065550100")),
        ("/numbers show +46 8 465 004 00", NumberCommand("show", "+46846500400")),
        ("US LOCAL", None),
        ("rental", None),
    ],
)
def test_number_commands_parse_to_e164(text: str, expected: NumberCommand | None) -> None:
    assert parse_number_command(text) == expected


@pytest.mark.parametrize(
    "text", ["rent", "rent 2065550100", "show +1", "release +1206abc", "rent " + "9" * 200]
)
def test_bad_numbers_are_command_errors_with_usage(text: str) -> None:
    with pytest.raises(CommandError) as caught:
        parse_number_command(text)
    assert caught.value.usage is not None


_NUMBER_WORDS = [
    "rent", "RELEASE", "show", "/numbers", "+1", "+46", "206", "555-0100", "(206)", "<tel:",
    "|", ">", "&lt;", "`", "+", "-", "\u200b", "\x00",
]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(_NUMBER_WORDS) | st.from_regex(r"\+?[0-9]{1,17}", fullmatch=True),
        max_size=6,
    ).map(" ".join)
    | st.text(max_size=300)
)
def test_any_text_parses_to_a_valid_number_none_or_a_command_error(text: str) -> None:
    try:
        parsed = parse_number_command(text)
    except CommandError as err:
        hint = err.hint
        assert hint
        return
    if parsed is not None:
        assert parsed.action in {"rent", "release", "show"}
        assert re.fullmatch(r"\+[1-9][0-9]{1,14}", parsed.number)


def _settings(**values: object) -> Settings:
    base: dict[str, object] = {
        "sinch_sandbox": True,
        "slack_bot_token": "xoxb-1",
        "slack_signing_secret": "s",
    }
    return Settings(_env_file=None, **{**base, **values})  # type: ignore[arg-type]


def test_renting_is_off_and_open_to_nobody_by_default() -> None:
    policy = RentPolicy.from_settings(_settings())
    assert policy.enabled is False
    assert policy.allowed_user_ids == frozenset()
    assert not policy.may_request("U0ALICE1")
    assert policy.max_monthly_price == Decimal("10")
    enabled = RentPolicy.from_settings(_settings(rent_enabled=True))
    assert not enabled.may_request("U0ALICE1")  # empty list = nobody


@pytest.mark.parametrize(
    ("values", "names"),
    [
        ({"rent_approver_ids": "U9"}, ["RENT_APPROVAL_CHANNEL"]),
        ({"rent_approver_ids": "U9", "rent_approval_channel": " "}, ["RENT_APPROVAL_CHANNEL"]),
        (
            {"rent_approver_ids": "U9", "rent_approval_channel": "C9", "allowed_channel_ids": "C1"},
            ["RENT_APPROVAL_CHANNEL", "ALLOWED_CHANNEL_IDS"],
        ),
        (
            {"rent_approver_ids": "U9", "rent_approval_channel": "C9", "allowed_user_ids": "U1"},
            ["RENT_APPROVER_IDS", "ALLOWED_USER_IDS"],
        ),
    ],
)
def test_approval_settings_that_cannot_work_stop_start_up(
    values: dict[str, object], names: list[str]
) -> None:
    with pytest.raises(ConfigError) as caught:
        _settings(**values).require("serve")
    assert caught.value.names == tuple(names)


def test_working_approval_settings_start() -> None:
    _settings(
        rent_approver_ids="U9", rent_approval_channel="C9", allowed_channel_ids="C9,C1"
    ).require("serve")


class _RacingSinch:
    """Sinch's semantics for one number, with both instances' price reads let through together."""

    def __init__(self) -> None:
        self.held = False
        self.rent_calls = 0
        self._both_read = asyncio.Barrier(2)

    async def available_number(self, number: str) -> AvailableNumber:
        await self._both_read.wait()
        return AvailableNumber(
            phone_number=number,
            region_code="US",
            type="LOCAL",
            monthly_price=Money(currency_code="USD", amount=Decimal("0.80")),
            setup_price=Money(currency_code="USD", amount=Decimal("1.00")),
        )

    async def active_number(self, number: str) -> ActiveNumber:
        if not self.held:
            raise SinchNotFoundError("not rented", status_code=404)
        return ActiveNumber(phone_number=number)

    async def rent_number(self, number: str, request: RentRequest) -> ActiveNumber:
        self.rent_calls += 1
        await asyncio.sleep(0)
        if self.held:
            raise SinchNotFoundError("no longer available", status_code=404)
        self.held = True
        return ActiveNumber(phone_number=number)


async def test_two_instances_renting_at_once_end_in_one_rented_and_one_already_rented() -> None:
    """No shared memory (two NumberChanges): Sinch's 404 plus the read-back keep it truthful."""
    sinch = _RacingSinch()
    policy = RentPolicy(enabled=True)
    instances = [NumberChanges(client=cast(SinchClient, sinch), policy=policy) for _ in range(2)]
    results = await asyncio.gather(*(i.rent("+12065550100") for i in instances))
    assert sorted(r.outcome for r in results) == ["already_rented", "rented"]
    assert sinch.rent_calls == 2  # both got past the price read; Sinch accepted one
