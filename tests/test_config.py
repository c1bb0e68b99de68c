"""Settings: names of missing or malformed variables, never their values, never a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.core.errors import ConfigError
from bot.ops.config import Settings, load_settings


def test_defaults_and_slack_api_url_gets_its_trailing_slash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api")
    settings = load_settings()
    assert settings.sinch_auth_url == "https://auth.sinch.com/oauth2/token"
    assert settings.sinch_numbers_url == "https://numbers.api.sinch.com"
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
    assert settings.port == 3000


def test_missing_sinch_settings_are_named_with_what_to_do() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings().require("cli")
    message = str(info.value)
    for name in ("SINCH_PROJECT_ID", "SINCH_KEY_ID", "SINCH_KEY_SECRET"):
        assert name in message
    assert "--sandbox" in message


def test_serve_needs_slack_token_and_signing_secret_unless_socket_mode() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(sinch_sandbox=True).require("serve")
    assert info.value.names == ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
    socket = load_settings(sinch_sandbox=True, slack_bot_token="xoxb-1", slack_app_token="xapp-1")
    socket.require("serve")  # no signing secret needed: Socket Mode requests are not signed


def test_malformed_values_are_named_without_echoing_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "not-a-port-s3cr3t")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "PORT" in str(info.value)
    assert "s3cr3t" not in str(info.value)


def test_secrets_are_masked_in_repr() -> None:
    settings = Settings(
        _env_file=None,
        sinch_key_secret="key-secret-value",
        slack_bot_token="xoxb-bot-token-value",
        slack_signing_secret="signing-secret-value",
        slack_app_token="xapp-app-token-value",
    )
    text = repr(settings) + str(settings)
    for secret in ("key-secret-value", "xoxb-bot-token-value", "signing-secret-value", "xapp-app"):
        assert secret not in text


def test_dotenv_file_is_read_and_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pytest.TempPathFactory
) -> None:
    # conftest chdirs every test into a temp dir, so ./.env here is this test's own.
    with open(".env", "w", encoding="utf-8") as env:
        env.write("SINCH_PROJECT_ID=from-dotenv\nSINCH_KEY_ID=key-from-dotenv\n")
    monkeypatch.setenv("SINCH_KEY_ID", "key-from-env")
    settings = load_settings()
    assert settings.sinch_project_id == "from-dotenv"
    assert settings.sinch_key_id == "key-from-env"


URL_SETTINGS = ("SINCH_AUTH_URL", "SINCH_NUMBERS_URL", "SLACK_API_URL")


@pytest.mark.parametrize("name", URL_SETTINGS)
@pytest.mark.parametrize(
    "value",
    [
        "not a url s3cr3t",
        "auth.sinch.com/s3cr3t",
        "ftp://s3cr3t.example/",
        "http://s3cr3t.example.com/api/",  # plain http to a host that is not loopback
        "http://10.0.0.5/s3cr3t",  # private ranges are not loopback
        "http://192.168.1.10:8080/s3cr3t",
        "http://172.16.0.1/s3cr3t",
        "http://[fd00::1]/s3cr3t",
        "https://",
        "https://user:s3cr3t@example.com/",
        "https://example.com:99999/s3cr3t",
    ],
)
def test_service_urls_must_be_absolute_https_and_are_named_not_echoed(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert info.value.names == (name,)
    message = str(info.value)
    assert name in message
    assert "s3cr3t" not in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "value",
    [
        "https://numbers.api.sinch.com",
        "https://slack-gov.com/api/",
        "http://127.0.0.1:8765",
        "http://localhost:8765/oauth2/token",
        "http://[::1]:8765",
        "  https://padded.example.com  ",
    ],
)
def test_https_urls_and_plain_http_to_loopback_are_accepted(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    for name in URL_SETTINGS:
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.sinch_numbers_url == value.strip()
    assert settings.slack_api_url.rstrip("/") == value.strip().rstrip("/")


def test_every_setting_is_in_the_readme_table_and_env_example() -> None:
    # One place names a new setting (Settings); these two must follow it.
    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    example = (root / ".env.example").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        variable = name.upper()
        assert f"| `{variable}` |" in readme, variable
        assert re.search(rf"^#? ?{variable}=", example, re.M), variable


def test_env_example_loads_as_the_defaults(tmp_path: Path) -> None:
    # Its uncommented lines are the defaults, so copying it to .env changes nothing.
    root = Path(__file__).resolve().parents[1]
    env = tmp_path / ".env"
    env.write_text((root / ".env.example").read_text(encoding="utf-8"), encoding="utf-8")
    assert Settings(_env_file=env) == Settings(_env_file=None)
