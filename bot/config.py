"""Settings: one field per environment variable (or `.env` line); secrets are SecretStr."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError

Mode = Literal["cli", "serve"]

_SINCH_KEYS = ("SINCH_PROJECT_ID", "SINCH_KEY_ID", "SINCH_KEY_SECRET")


class Settings(BaseSettings):
    """Everything the bot reads from its environment. See the README's configuration table."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    # Sinch
    sinch_project_id: str | None = None
    sinch_key_id: str | None = None
    sinch_key_secret: SecretStr | None = None
    sinch_auth_url: str = "https://auth.sinch.com/oauth2/token"
    sinch_numbers_url: str = "https://numbers.api.sinch.com"
    # Run against the built-in Sinch sandbox instead of Sinch (no credentials needed).
    sinch_sandbox: bool = False

    # Slack
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"

    # HTTP server
    port: int = Field(default=3000, ge=1, le=65535)

    # Access control: comma-separated Slack IDs; empty means no restriction.
    allowed_team_ids: str = ""
    allowed_channel_ids: str = ""
    allowed_user_ids: str = ""
    access_contact: str = "your workspace admin"
    # Per-user command rate limit (commands per minute; 0 disables).
    user_rate_limit_per_minute: int = Field(default=20, ge=0)
    # Seconds identical searches are served from cache (0 disables).
    search_cache_ttl: float = Field(default=30.0, ge=0)
    # Seconds an active-numbers summary is served from cache (0 disables).
    active_cache_ttl: float = Field(default=60.0, ge=0)

    log_level: str = "INFO"

    @field_validator("slack_api_url")
    @classmethod
    def _slack_api_url_ends_with_slash(cls, value: str) -> str:
        # slack_sdk joins method names with urljoin: without the slash the last segment is lost.
        return value if value.endswith("/") else value + "/"

    @field_validator("sinch_numbers_url", "sinch_auth_url")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    def require(self, mode: Mode) -> None:
        """Raise ConfigError naming every variable this mode needs and lacks."""
        missing: list[str] = []
        if not self.sinch_sandbox:
            values = (self.sinch_project_id, self.sinch_key_id, self.sinch_key_secret)
            missing += [
                name for name, value in zip(_SINCH_KEYS, values, strict=True) if not _filled(value)
            ]
        if mode == "serve":
            if not _filled(self.slack_bot_token):
                missing.append("SLACK_BOT_TOKEN")
            # HTTP mode verifies every request's signature; Socket Mode has none to verify.
            if not _filled(self.slack_app_token) and not _filled(self.slack_signing_secret):
                missing.append("SLACK_SIGNING_SECRET")
        if missing:
            hint = (
                "set them in the environment or in .env"
                if mode == "serve" or self.sinch_sandbox
                else "set them in the environment or in .env, or add --sandbox to use "
                "the built-in Sinch sandbox"
            )
            raise ConfigError(f"missing settings: {', '.join(missing)} ({hint})", names=missing)


def _filled(value: str | SecretStr | None) -> bool:
    if isinstance(value, SecretStr):
        return bool(value.get_secret_value().strip())
    return bool(value and value.strip())


def load_settings(**overrides: object) -> Settings:
    """Read Settings; a pydantic ValidationError becomes a ConfigError naming fields only."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        names = []
        for error in exc.errors(include_input=False, include_url=False):
            name = ".".join(str(part) for part in error["loc"]).upper()
            names.append(name)
            problems.append(f"{name}: {error['msg']}")
        raise ConfigError(
            "malformed settings: " + "; ".join(problems) + " (fix them in the environment or .env)",
            names=names,
        ) from None
