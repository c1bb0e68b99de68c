"""Fixtures for end-to-end tests through the real ASGI app with really signed Slack requests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any

import httpx
import pytest
import respx
from slack_bolt.authorization import AuthorizeResult

from bot.app.asgi import BotApp, create_app
from bot.app.runtime import build_runtime
from bot.ops.config import Settings
from bot.store.ledger import utc_now
from tests.fakes import FakeClock
from tests.slack_stub import BOT_TOKEN, SIGNING_SECRET, SlackStub, command_body, signed_headers

AUTH_URL = "https://auth.sinch.test/oauth2/token"
NUMBERS_URL = "https://numbers.sinch.test"
PROJECT = "proj-1"
KEY_ID = "key-id-1"
KEY_SECRET = "key-secret-do-not-leak-123"
ACCESS_TOKEN = "access-token-do-not-leak-456"
PREFIX = f"{NUMBERS_URL}/v1/projects/{PROJECT}"

US_NUMBERS = {
    "availableNumbers": [
        {
            "phoneNumber": f"+1206555010{i}",
            "regionCode": "US",
            "type": "LOCAL",
            "capability": ["SMS", "VOICE"] if i % 2 == 0 else ["VOICE"],
            "setupPrice": {"currencyCode": "USD", "amount": "1.50"},
            "monthlyPrice": {"currencyCode": "USD", "amount": "0.8"},
            "paymentIntervalMonths": 1,
            "supportingDocumentationRequired": i == 3,
        }
        for i in range(5)
    ]
}
REGIONS = {
    "availableRegions": [
        {"regionCode": "US", "regionName": "United States", "types": ["LOCAL", "TOLL_FREE"]},
        {"regionCode": "SE", "regionName": "Sweden", "types": ["MOBILE"]},
    ]
}
ACTIVE = {
    "activeNumbers": [
        {
            "phoneNumber": "+12065550199",
            "regionCode": "US",
            "type": "LOCAL",
            "capability": ["SMS"],
            "money": {"currencyCode": "USD", "amount": "2.00"},
            "paymentIntervalMonths": 1,
            "displayName": "Support line",
        }
    ],
    "nextPageToken": "",
    "totalSize": 1,
}


@pytest.fixture
def sinch_api() -> respx.Router:
    """A respx router playing Sinch; unrouted requests fail the test."""
    router = respx.Router(assert_all_called=False, assert_all_mocked=True)
    router.post(AUTH_URL, name="token").respond(
        json={"access_token": ACCESS_TOKEN, "expires_in": 3599, "scope": "", "token_type": "bearer"}
    )
    router.get(f"{PREFIX}/availableNumbers", name="available").respond(json=US_NUMBERS)
    router.get(f"{PREFIX}/availableRegions", name="regions").respond(json=REGIONS)
    router.get(f"{PREFIX}/activeNumbers", name="active").respond(json=ACTIVE)
    return router


@pytest.fixture
async def slack() -> AsyncIterator[SlackStub]:
    async with SlackStub() as stub:
        yield stub


async def offline_authorize(**_: Any) -> AuthorizeResult:
    # No auth.test call: tests have no Slack to ask.
    return AuthorizeResult(
        enterprise_id=None, team_id="T1", bot_token=BOT_TOKEN, bot_user_id="U0", bot_id="B0"
    )


def make_settings(slack: SlackStub, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "sinch_project_id": PROJECT,
        "sinch_key_id": KEY_ID,
        "sinch_key_secret": KEY_SECRET,
        "sinch_auth_url": AUTH_URL,
        "sinch_numbers_url": NUMBERS_URL,
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": slack.api_url,
        "search_cache_ttl": 0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


class BotHarness:
    """The real ASGI app, an HTTP client to it, and helpers to send signed commands."""

    def __init__(self, app: BotApp, slack: SlackStub) -> None:
        self.app = app
        self.slack = slack
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app.asgi), base_url="http://bot.test"
        )
        self._lifespan: Any = None

    async def close(self) -> None:
        """Shut the instance down as a restart would (its lifespan ends); idempotent."""
        if self._lifespan is not None:
            lifespan, self._lifespan = self._lifespan, None
            await self.http.aclose()
            await lifespan.__aexit__(None, None, None)

    @property
    def provider(self) -> Any:
        return self.app.runtime.provider

    async def command(self, text: str, *, url_name: str = "1", **fields: str) -> httpx.Response:
        body = command_body(text, self.slack.response_url(url_name), **fields)
        return await self.post_signed(body)

    async def post_signed(self, body: str, **sign: Any) -> httpx.Response:
        return await self.http.post(
            "/slack/events", content=body, headers=signed_headers(body, **sign)
        )

    async def answer(self, text: str, **fields: str) -> dict[str, Any]:
        """Send a command and wait for the message delivered to its response_url."""
        before = len(self.slack.messages)
        response = await self.command(text, **fields)
        assert response.status_code == 200, response.text
        messages = await self.slack.wait_for(before + 1)
        return messages[before]


MakeBot = Callable[..., Awaitable[BotHarness]]


@pytest.fixture
async def make_bot(sinch_api: respx.Router, slack: SlackStub) -> AsyncIterator[MakeBot]:
    """Build the app (lifespan running); `held_token=True` fetches the token before returning."""
    stack: list[BotHarness] = []

    async def build(
        *,
        held_token: bool = True,
        clock: FakeClock | None = None,
        slack_auth: bool = False,
        watch_clock: FakeClock | None = None,
        wall_clock: Callable[[], datetime] = utc_now,
        **overrides: Any,
    ) -> BotHarness:
        """``slack_auth=True``: the production authorization (auth.test against the stub);
        ``watch_clock``: the wall clock of watches (bot.app.watches.tick runs them)."""
        settings = make_settings(slack, **overrides)
        runtime = build_runtime(
            settings,
            clock=clock,
            sinch_transport=httpx.MockTransport(sinch_api.async_handler),
            wall_clock=wall_clock,
        )
        authorize = None if slack_auth else offline_authorize
        app = create_app(settings, runtime=runtime, authorize=authorize, watch_clock=watch_clock)
        harness = BotHarness(app, slack)
        lifespan = app.asgi.router.lifespan_context(app.asgi)
        await lifespan.__aenter__()
        harness._lifespan = lifespan
        stack.append(harness)
        if held_token:
            await runtime.provider.token()
        return harness

    yield build
    for harness in reversed(stack):
        await harness.close()
