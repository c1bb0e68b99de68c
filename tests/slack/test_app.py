"""build_bolt_app(): Bolt starts quietly and talks to SLACK_API_URL."""

from __future__ import annotations

import logging

import pytest
from pydantic import SecretStr

from bot.app.asgi import create_app
from bot.ops.config import Settings

BOT_TOKEN = "xoxb-app-test-token"
API_URL = "http://127.0.0.1:9/api/"


def settings() -> Settings:
    return Settings(
        _env_file=None,
        sinch_project_id="project",
        sinch_key_id="key",
        sinch_key_secret=SecretStr("secret"),
        slack_bot_token=SecretStr(BOT_TOKEN),
        slack_signing_secret=SecretStr("signing"),
        slack_api_url=API_URL,
    )


def test_building_the_app_logs_no_warning_when_the_token_is_in_the_environment(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # As deployed: the settings come from the environment, where Bolt looks for the token too.
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    caplog.set_level(logging.DEBUG)

    create_app(settings())

    warnings = [r for r in caplog.get_records("call") if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in warnings] == []


def test_the_web_api_client_uses_slack_api_url() -> None:
    app = create_app(settings())

    assert app.bolt.client.base_url == API_URL
