"""SinchClient's one-number reads and its rent/release POSTs: sent once, whatever happens."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
import respx

from bot.changes.text import active_lines
from bot.core.errors import (
    SinchNotFoundError,
    SinchPermissionError,
    SinchTimeoutError,
    SinchUnavailableError,
)
from bot.sinch.client import SinchClient
from bot.sinch.models import ActiveNumber, RentRequest, SmsConfiguration, VoiceConfiguration
from tests.fakes import FakeClock

BASE_URL = "https://numbers.test"
PREFIX = "/v1/projects/proj-123"
NUMBER = "+12065550100"
ACTIVE = {
    "phoneNumber": NUMBER,
    "projectId": "proj-123",
    "regionCode": "US",
    "type": "LOCAL",
    "capability": ["SMS", "VOICE"],
    "money": {"currencyCode": "EUR", "amount": "0.8"},
    "paymentIntervalMonths": 1,
    "nextChargeDate": "2024-06-06T14:42:42.677575Z",
    "expireAt": None,
    "smsConfiguration": {
        "servicePlanId": "",
        "campaignId": "",
        "scheduledProvisioning": {
            "servicePlanId": "SpaceMonkeySquadron",
            "status": "WAITING",
            "lastUpdatedTime": "2024-06-06T14:42:42.677575Z",
        },
    },
    "voiceConfiguration": {
        "type": "RTC",
        "appId": "",
        "lastUpdatedTime": None,
        "scheduledVoiceProvisioning": {
            "appId": "app-1",
            "status": "WAITING",
            "lastUpdatedTime": "2024-06-06T14:42:42.677575Z",
        },
    },
    "callbackUrl": "https://hooks.example.test/n",
}


@pytest.fixture
def router() -> respx.Router:
    return respx.Router(base_url=BASE_URL, assert_all_called=False)


@pytest.fixture
async def client(router: respx.Router, fake_clock: FakeClock) -> AsyncIterator[SinchClient]:
    async with httpx.AsyncClient(
        base_url=BASE_URL, transport=httpx.MockTransport(router.async_handler)
    ) as http:
        yield SinchClient(http=http, project_id="proj-123", clock=fake_clock, rng=random.Random(1))


async def test_rent_posts_the_configuration_once_and_parses_the_active_number(
    client: SinchClient, router: respx.Router
) -> None:
    route = router.post(f"{PREFIX}/availableNumbers/{NUMBER}:rent").respond(json=ACTIVE)
    request = RentRequest(
        sms_configuration=SmsConfiguration(service_plan_id="SpaceMonkeySquadron"),
        voice_configuration=VoiceConfiguration(type="RTC", app_id="app-1"),
    )
    active = await client.rent_number(NUMBER, request)
    assert route.call_count == 1
    assert json.loads(route.calls.last.request.content) == {
        "smsConfiguration": {"servicePlanId": "SpaceMonkeySquadron"},
        "voiceConfiguration": {"type": "RTC", "appId": "app-1"},
    }
    assert active.money is not None
    assert active.money.amount == Decimal("0.8")
    assert active.sms_configuration is not None
    assert active.sms_configuration.scheduled_provisioning is not None
    assert active.sms_configuration.scheduled_provisioning.status == "WAITING"
    assert active.callback_url == "https://hooks.example.test/n"
    # Right after a rent the requested configuration waits in scheduled*Provisioning.
    lines = "\n".join(active_lines(active))
    assert "SMS service plan: none (pending: SpaceMonkeySquadron, WAITING)" in lines
    assert "Voice: RTC, app none (pending: app app-1, WAITING)" in lines


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (
            httpx.Response(503, json={"error": {"code": 503, "status": "UNAVAILABLE"}}),
            SinchUnavailableError,
        ),
        (httpx.ReadTimeout("slow"), SinchTimeoutError),
        (
            httpx.Response(
                403,
                json={
                    "error": {
                        "code": 403,
                        "message": "Trial account is not enabled to rent number",
                        "status": "PERMISSION_DENIED",
                    }
                },
            ),
            SinchPermissionError,
        ),
    ],
    ids=["503", "timeout", "403"],
)
async def test_rent_and_release_are_never_retried(
    client: SinchClient,
    router: respx.Router,
    answer: httpx.Response | Exception,
    error: type[Exception],
) -> None:
    rent = router.post(f"{PREFIX}/availableNumbers/{NUMBER}:rent").mock(side_effect=[answer])
    release = router.post(f"{PREFIX}/activeNumbers/{NUMBER}:release").mock(side_effect=[answer])
    with pytest.raises(error):
        await client.rent_number(NUMBER, RentRequest())
    with pytest.raises(error):
        await client.release_number(NUMBER)
    assert rent.call_count == 1
    assert release.call_count == 1


async def test_reads_of_one_number_are_retried_like_other_reads(
    client: SinchClient, router: respx.Router
) -> None:
    route = router.get(f"{PREFIX}/activeNumbers/{NUMBER}").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json=ACTIVE)]
    )
    assert (await client.active_number(NUMBER)).phone_number == NUMBER
    assert route.call_count == 2


async def test_404_is_not_found_and_an_invalid_number_never_reaches_sinch(
    client: SinchClient, router: respx.Router
) -> None:
    router.get(f"{PREFIX}/availableNumbers/{NUMBER}").respond(
        404, json={"error": {"code": 404, "message": "not found", "status": "NOT_FOUND"}}
    )
    with pytest.raises(SinchNotFoundError):
        await client.available_number(NUMBER)
    for bad in ("12065550100", "+1/../x", "+1206555010a", ""):
        with pytest.raises(ValueError, match=r"E\.164"):
            await client.rent_number(bad, RentRequest())


@pytest.mark.parametrize(
    ("voice", "shown"),
    [
        ({"type": "EST", "trunkId": "trunk-7"}, "Voice: EST, trunk trunk-7"),
        ({"type": "FAX", "serviceId": "fax-3"}, "Voice: FAX, service fax-3"),
        ({"type": "EST"}, "Voice: EST, trunk none"),
        (
            {
                "type": "RTC",
                "appId": "app-1",
                "scheduledVoiceProvisioning": {
                    "type": "EST",
                    "trunkId": "trunk-9",
                    "status": "WAITING",
                },
            },
            "Voice: RTC, app app-1 (pending: EST trunk trunk-9, WAITING)",
        ),
    ],
)
def test_show_names_the_trunk_or_fax_service_and_a_pending_switch(
    voice: dict[str, object], shown: str
) -> None:
    active = ActiveNumber.model_validate(
        {"phoneNumber": NUMBER, "type": "LOCAL", "voiceConfiguration": voice}
    )
    assert shown in active_lines(active)
