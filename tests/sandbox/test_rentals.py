"""The sandbox's rent, release and one-number reads: state, Sinch's error shapes, rent faults.

The last tests drive the bot's own SinchClient and NumberChanges against the sandbox over real
HTTP, so the truthful-outcome path (a rent that commits but times out) runs end to end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest

from bot.changes.service import NumberChanges, RentPolicy
from bot.sandbox import SANDBOX_PROJECT_ID, SandboxServer
from bot.sandbox.catalog import CATALOG
from bot.sinch.client import SinchClient
from bot.sinch.models import ActiveNumber
from tests.fakes import FakeClock
from tests.sandbox.conftest import PROJECT_PATH, Api

# The first Seattle number for rent, and one the sandbox project already rents.
FOR_RENT = next(o for o in CATALOG.offers if o.phone_number.startswith("+12065550"))
RENTED = next(r for r in CATALOG.rentals if r.phone_number.startswith("+12065550"))


async def post(api: Api, path: str, json: object | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {api.token}"}
    return await api.client.post(f"{PROJECT_PATH}/{path}", json=json, headers=headers)


async def test_rent_moves_the_number_from_available_to_active(api: Api) -> None:
    number = FOR_RENT.phone_number
    assert (await api.get(f"availableNumbers/{number}")).status_code == 200
    body = {
        "smsConfiguration": {"servicePlanId": "plan-1"},
        "voiceConfiguration": {"type": "RTC", "appId": "app-1"},
        "callbackUrl": "https://hooks.example.test/n",
    }
    rented = await post(api, f"availableNumbers/{number}:rent", body)
    assert rented.status_code == 200, rented.text
    active = ActiveNumber.model_validate(rented.json())
    assert active.phone_number == number
    assert active.money is not None
    assert active.money.amount == Decimal(FOR_RENT.monthly_price)
    assert active.callback_url == "https://hooks.example.test/n"
    assert active.voice_configuration is not None
    assert active.voice_configuration.app_id == "app-1"

    gone = await api.get(f"availableNumbers/{number}")
    assert gone.status_code == 404
    assert gone.json()["error"]["status"] == "NOT_FOUND"
    assert gone.json()["error"]["details"][0]["resourceType"] == "AvailableNumber"
    search = await api.get("availableNumbers", {"regionCode": "US", "type": "LOCAL", "size": 100})
    assert number not in {n["phoneNumber"] for n in search.json()["availableNumbers"]}
    listed = await api.get("activeNumbers", {"pageSize": 100})
    assert number in {n["phoneNumber"] for n in listed.json()["activeNumbers"]}
    assert (await api.get(f"activeNumbers/{number}")).status_code == 200

    again = await post(api, f"availableNumbers/{number}:rent")
    assert again.status_code == 404
    assert again.json()["error"]["details"][0]["resourceName"] == number


async def test_release_sets_expire_at_and_the_number_stays_active(api: Api) -> None:
    number = RENTED.phone_number
    released = await post(api, f"activeNumbers/{number}:release")
    assert released.status_code == 200, released.text
    assert released.json()["expireAt"].endswith("Z")
    still = await api.get(f"activeNumbers/{number}")
    assert still.status_code == 200
    assert still.json()["expireAt"] == released.json()["expireAt"]
    missing = await post(api, f"activeNumbers/{FOR_RENT.phone_number}:release")
    assert missing.status_code == 404
    assert missing.json()["error"]["details"][0]["resourceType"] == "ActiveNumber"


async def test_rent_faults_answer_403_trial_and_400_no_credit_and_rent_nothing(
    api: Api, sandbox: SandboxServer
) -> None:
    queued = await api.client.post(
        "/_sandbox/rent_faults", json=[{"kind": "trial_account"}, {"kind": "no_credit"}]
    )
    assert queued.status_code == 201
    number = FOR_RENT.phone_number
    trial = await post(api, f"availableNumbers/{number}:rent")
    assert trial.status_code == 403
    assert trial.json()["error"]["status"] == "PERMISSION_DENIED"
    assert "Trial account" in trial.json()["error"]["message"]
    credit = await post(api, f"availableNumbers/{number}:rent")
    assert credit.status_code == 400
    assert credit.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert (await api.get(f"availableNumbers/{number}")).status_code == 200
    assert sandbox.state.rentals.rents == 0
    bad = await api.client.post("/_sandbox/rent_faults", json={"kind": "meteor"})
    assert bad.status_code == 400


@pytest.fixture
async def changes(
    sandbox: SandboxServer, api: Api, fake_clock: FakeClock
) -> AsyncIterator[NumberChanges]:
    """The bot's client and service on the sandbox. A 0.3 s read timeout stands in for the
    bot's 4 s one (the rent fault holds its answer 30 s, cut short when the server stops)."""
    async with httpx.AsyncClient(
        base_url=sandbox.numbers_url,
        timeout=httpx.Timeout(0.3, connect=2.0),
        headers={"Authorization": f"Bearer {api.token}"},
    ) as http:
        client = SinchClient(http=http, project_id=SANDBOX_PROJECT_ID, clock=fake_clock)
        yield NumberChanges(client=client, policy=RentPolicy(enabled=True))


async def test_a_rent_that_times_out_after_committing_is_reported_rented(
    api: Api, sandbox: SandboxServer, changes: NumberChanges
) -> None:
    await api.client.post("/_sandbox/rent_faults", json={"kind": "timeout_after_commit"})
    result = await changes.rent(FOR_RENT.phone_number)
    assert result.outcome == "rented"
    assert result.active is not None
    assert result.active.phone_number == FOR_RENT.phone_number
    assert sandbox.state.numbers_calls["rent"] == 1
    assert sandbox.state.rentals.rents == 1
    # A second rent finds it gone and reports the truth, without another rent call.
    again = await changes.rent(FOR_RENT.phone_number)
    assert again.outcome == "already_rented"
    assert sandbox.state.numbers_calls["rent"] == 1


async def test_release_through_the_bot_client(
    sandbox: SandboxServer, changes: NumberChanges
) -> None:
    result = await changes.release(RENTED.phone_number)
    assert result.outcome == "released"
    assert result.active is not None
    assert result.active.expire_at is not None
    # expireAt set is no reason to skip :release: Sinch is asked again and its answer reported.
    again = await changes.release(RENTED.phone_number)
    assert again.outcome == "released"
    assert again.active is not None
    assert again.active.expire_at == result.active.expire_at
    assert sandbox.state.numbers_calls["release"] == 2
