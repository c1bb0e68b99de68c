"""Start-up and shutdown around the token core: failed start-ups clean up, late work is cancelled
before the sessions close, a refused Socket Mode token neither blocks start-up nor floods logs."""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any

import httpx
import pytest
import respx

from bot.app import asgi
from bot.app.asgi import create_app
from bot.app.runtime import build_runtime
from bot.core.errors import TokenUnavailableError
from bot.ops import scheduler as scheduler_module
from bot.slack.socket_mode import RECONNECT_BASE, RECONNECT_CAP, SocketModeRunner
from tests.fakes import FakeClock, hanging_handler
from tests.scenarios.conftest import MakeBot, make_settings, offline_authorize
from tests.slack_stub import SlackStub, command_body, signed_headers

APP_TOKEN = "xapp-1-refused-app-token-0123456789"


def build(sinch_api: respx.Router, slack: SlackStub, **overrides: Any) -> asgi.BotApp:
    settings = make_settings(slack, **overrides)
    runtime = build_runtime(settings, sinch_transport=httpx.MockTransport(sinch_api.async_handler))
    return create_app(settings, runtime=runtime, authorize=offline_authorize)


async def test_commands_running_after_the_drain_are_cancelled_before_the_sender_closes(
    sinch_api: respx.Router, slack: SlackStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    entered, hang = hanging_handler()  # Sinch never answers this one
    sinch_api["available"].mock(side_effect=hang)
    monkeypatch.setattr(asgi, "DRAIN_SECONDS", 0.0)  # the drain is over at once
    app = build(sinch_api, slack)
    transport = httpx.ASGITransport(app=app.asgi)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://bot.test") as http,
        app.asgi.router.lifespan_context(app.asgi),
    ):
        body = command_body("US LOCAL", slack.response_url("slow"))
        ack = await http.post("/slack/events", content=body, headers=signed_headers(body))
        assert ack.status_code == 200
        await asyncio.wait_for(entered.wait(), 5)
        assert len(app.inflight) == 1

    # The lifespan has ended: the command was cancelled and awaited, not left behind.
    assert len(app.inflight) == 0
    # A reply attempted after shutdown opens no new session and does not raise.
    assert await app.sender.send(slack.response_url("late"), {"text": "late"}) is False
    assert slack.messages == []


async def test_failed_start_up_stops_the_scheduler_and_closes_every_session(
    sinch_api: respx.Router,
    slack: SlackStub,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    started: list[Any] = []
    real_build_scheduler = scheduler_module.build_scheduler

    def recording_build_scheduler(provider: Any) -> Any:
        scheduler = real_build_scheduler(provider)
        started.append(scheduler)
        return scheduler

    def refuse_to_start(self: SocketModeRunner) -> None:
        raise RuntimeError("start-up failed after the scheduler started")

    monkeypatch.setattr(asgi, "build_scheduler", recording_build_scheduler)
    monkeypatch.setattr(SocketModeRunner, "start", refuse_to_start)
    app = build(sinch_api, slack, slack_app_token=APP_TOKEN, slack_signing_secret=None)

    with pytest.raises(RuntimeError, match="start-up failed"):
        async with app.asgi.router.lifespan_context(app.asgi):
            pytest.fail("the lifespan must not start")

    (scheduler,) = started
    assert not scheduler.running
    # The start-up tick it had submitted ended quietly.
    loud = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in loud] == []
    with pytest.raises(TokenUnavailableError, match="closed"):
        await app.runtime.provider.token()
    assert await app.sender.send(slack.response_url("late"), {"text": "late"}) is False


async def test_refused_app_token_backs_off_with_jitter_and_logs_once(
    sinch_api: respx.Router,
    slack: SlackStub,
    fake_clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    slack.refuse_app_token = True
    app = build(sinch_api, slack, slack_app_token=APP_TOKEN, slack_signing_secret=None)
    runner = SocketModeRunner(app.bolt, APP_TOKEN, clock=fake_clock, rng=random.Random(7))

    runner.start()
    try:
        await slack.wait_for_api_calls("apps.connections.open", 9)
    finally:
        await runner.aclose()
        await app.runtime.aclose()

    sleeps = fake_clock.sleeps[:8]
    for attempt, slept in enumerate(sleeps, start=1):
        step = min(RECONNECT_CAP, RECONNECT_BASE * 2 ** (attempt - 1))
        assert step / 2 <= slept <= step  # equal jitter
    assert RECONNECT_CAP >= 60
    assert max(sleeps) > 60  # the backoff reaches well past Slack's own 10 s
    assert len(set(sleeps)) == len(sleeps)
    reason = runner.not_ready_reason()
    assert reason == "Socket Mode not connected: SLACK_APP_TOKEN refused by Slack (invalid_auth)"
    loud = [r for r in caplog.get_records("call") if r.levelno >= logging.WARNING]
    assert [(r.name, r.levelno) for r in loud] == [("bot.slack.socket_mode", logging.ERROR)]
    assert APP_TOKEN not in caplog.text


async def test_readyz_names_every_reason(
    make_bot: MakeBot, slack: SlackStub, sinch_api: respx.Router
) -> None:
    slack.refuse_app_token = True
    sinch_api["token"].mock(return_value=httpx.Response(503))
    bot = await make_bot(
        held_token=False,
        clock=FakeClock(),  # the reconnect backoff passes at once
        slack_app_token=APP_TOKEN,
        slack_signing_secret=None,
    )
    # A second attempt means the first answer was taken in.
    await slack.wait_for_api_calls("apps.connections.open", 2)
    await bot.provider.refresh_if_due()

    healthz = await bot.http.get("/healthz")
    readyz = await bot.http.get("/readyz")

    assert healthz.status_code == 200
    assert readyz.status_code == 503
    assert readyz.text == (
        "not ready: no Sinch token yet: Sinch token endpoint answered HTTP 503; "
        "Socket Mode not connected: SLACK_APP_TOKEN refused by Slack (invalid_auth)"
    )
