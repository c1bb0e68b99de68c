"""Settings: one field per environment variable (or `.env` line); secrets are SecretStr."""

from __future__ import annotations

import ipaddress
from decimal import Decimal
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.core.errors import ConfigError

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
    # When set, /metrics answers only `Authorization: Bearer <token>` (401 otherwise).
    metrics_token: SecretStr | None = None

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
    # Build every country's place index at start-up, in a child process (docs/performance.md).
    place_index_warmup: bool = True

    # Renting and releasing numbers (off by default; README "Renting and releasing").
    rent_enabled: bool = False
    # Comma-separated Slack user IDs who may request a rent or release; empty = nobody.
    rent_allowed_user_ids: str = ""
    # When set, every rent/release needs one of them (never the requester) to approve.
    rent_approver_ids: str = ""
    rent_approval_channel: str | None = None
    # A rent whose monthly price (account currency) is higher is refused.
    rent_max_monthly_price: Decimal = Field(default=Decimal("10"), ge=0, allow_inf_nan=False)
    # A rent whose one-off setup price (account currency) is higher is refused.
    rent_max_setup_price: Decimal = Field(default=Decimal("50"), ge=0, allow_inf_nan=False)
    # Sent with each rent when set.
    sms_service_plan_id: str | None = None
    voice_app_id: str | None = None
    number_callback_url: str | None = None

    # Shared state (README "Running several instances"): postgres://… or sqlite:///path;
    # unset = numbers-bot.db in the working directory. Secret: it carries the password.
    database_url: SecretStr | None = None
    # Seconds a rent/release request waits for an approver before it expires.
    approval_ttl: float = Field(default=24 * 3600.0, gt=0, allow_inf_nan=False)

    # Watches (README "Watching a search"): seconds between runs of a watched search, how many
    # live watches one user may have, and how many days a watch lasts.
    watch_interval: float = Field(default=900.0, ge=1, allow_inf_nan=False)
    watch_max_per_user: int = Field(default=5, ge=1)
    watch_days: float = Field(default=7.0, gt=0, le=3650, allow_inf_nan=False)

    log_level: str = "INFO"

    @field_validator("sinch_auth_url", "sinch_numbers_url", "slack_api_url")
    @classmethod
    def _absolute_https_url(cls, value: str) -> str:
        # A malformed URL would otherwise surface much later, as a transport error on every
        # request or a 500 per command. The message never echoes the value.
        value = value.strip()
        check_service_url(value)
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _slack_api_url_ends_with_slash(cls, value: str) -> str:
        # slack_sdk joins method names with urljoin: without the slash the last segment is lost.
        return value if value.endswith("/") else value + "/"

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            # Imported here: SQLAlchemy costs a search from the CLI nothing when unset.
            from bot.store.url import database_target

            try:
                database_target(value.get_secret_value())
            except ConfigError as err:
                raise ValueError(str(err).removeprefix("DATABASE_URL ")) from None
        return value

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
        if mode == "serve":
            _check_approvals(self)
        if missing:
            hint = (
                "set them in the environment or in .env"
                if mode == "serve" or self.sinch_sandbox
                else "set them in the environment or in .env, or add --sandbox to use "
                "the built-in Sinch sandbox"
            )
            raise ConfigError(f"missing settings: {', '.join(missing)} ({hint})", names=missing)


def check_service_url(value: str) -> None:
    """Raise ValueError unless ``value`` is an absolute https URL (http only to loopback).

    Plain http is allowed for loopback hosts only: the built-in sandbox and test stubs listen on
    127.0.0.1; anything else would carry credentials in clear text.
    """
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number or too big
    except ValueError:
        raise ValueError("must be an absolute https:// URL") from None
    if parts.scheme not in ("http", "https") or not host or any(c.isspace() for c in value):
        raise ValueError("must be an absolute https:// URL")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not carry a user name or password")
    if parts.scheme == "http" and not is_loopback(host):
        raise ValueError("must use https:// (plain http:// only for a loopback host)")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_approvals(settings: Settings) -> None:
    """Approvers without a channel to ask them in would leave every request stuck."""
    approvers = [p for p in settings.rent_approver_ids.split(",") if p.strip()]
    channel = (settings.rent_approval_channel or "").strip()
    if approvers and not channel:
        raise ConfigError(
            "RENT_APPROVER_IDS is set but RENT_APPROVAL_CHANNEL is not: approval requests are"
            " posted to that channel (set it to a channel ID such as C0123ABCD, and invite the"
            " bot there)",
            names=["RENT_APPROVAL_CHANNEL"],
        )
    users = {p.strip() for p in settings.allowed_user_ids.split(",") if p.strip()}
    outside = sorted({p.strip() for p in approvers} - users) if users else []
    if outside:
        raise ConfigError(
            "every RENT_APPROVER_IDS user must also be in ALLOWED_USER_IDS (when that is set),"
            f" or they could not click Approve: add {', '.join(outside)}",
            names=["RENT_APPROVER_IDS", "ALLOWED_USER_IDS"],
        )
    allowed = {p.strip() for p in settings.allowed_channel_ids.split(",") if p.strip()}
    if approvers and allowed and channel not in allowed:
        raise ConfigError(
            "RENT_APPROVAL_CHANNEL is not in ALLOWED_CHANNEL_IDS, so approvers could not click"
            " Approve there: add it to ALLOWED_CHANNEL_IDS",
            names=["RENT_APPROVAL_CHANNEL", "ALLOWED_CHANNEL_IDS"],
        )


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
            # pydantic prefixes a validator's own message with "Value error, ".
            problems.append(f"{name}: {error['msg'].removeprefix('Value error, ')}")
        raise ConfigError(
            "malformed settings: " + "; ".join(problems) + " (fix them in the environment or .env)",
            names=names,
        ) from None
