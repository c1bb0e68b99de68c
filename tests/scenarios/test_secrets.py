"""No secret reaches a log record, an exception, a Slack reply or a repr, whatever fault occurs.

Every scenario of the fault matrix (test_faults.py) is replayed with DEBUG logging captured on
the root logger and on the chatty libraries (httpx, httpcore, APScheduler, Bolt, slack_sdk,
aiohttp, uvicorn). The captured records are checked raw, before any redacting filter, so what
is proven is that nothing logs a secret, not that the filter catches it. The filter and the
JSON formatter are unit-tested below as the safety net they are.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import logging
import sys
import time
import traceback
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr

from bot.ops.audit import audit_command
from bot.ops.config import Settings
from bot.ops.logging_setup import (
    REDACTED,
    JsonFormatter,
    RedactingFilter,
    TextFormatter,
    configure_logging,
    secret_values,
)
from bot.sandbox import SANDBOX_KEY_ID
from bot.sinch.auth import Token
from tests.scenarios.conftest import MakeBot
from tests.scenarios.test_faults import SCENARIOS, FaultEnv, Scenario, text_of
from tests.scenarios.test_faults import env as env  # the fault matrix's fixture, reused
from tests.slack_stub import BOT_TOKEN, SIGNING_SECRET, action_body, command_body, signed_headers

APP_TOKEN = "xapp-1-A1-test-app-token-0123456789"
# Captured at DEBUG; "bot.slack.bolt" is the logger the app hands to Bolt.
DEBUG_LOGGERS = (
    "httpx",
    "httpcore",
    "apscheduler",
    "slack_bolt",
    "slack_sdk",
    "bot",
    "bot.slack.bolt",
    "aiohttp",
    "uvicorn",
    "asyncio",
)
AUDIT_FIELDS = {
    "time",
    "team",
    "channel",
    "user",
    "text",
    "outcome",
    "result_count",
    "upstream_calls",
    "latency_ms",
}


def forbidden_values(env: FaultEnv) -> dict[str, str]:
    """Every secret the scenario could have leaked, by a name for the failure message."""
    values = {"signing secret": SIGNING_SECRET, "bot token": BOT_TOKEN, "app token": APP_TOKEN}
    for key_id, key_secret in env.keys:
        values[f"key secret {key_secret[:6]}…"] = key_secret
        basic = base64.b64encode(f"{key_id}:{key_secret}".encode()).decode()
        values[f"basic credentials of {key_id}"] = basic
    for number, token in enumerate(env.token.issued, start=1):
        values[f"access token #{number}"] = token
    return values


def record_text(record: logging.LogRecord) -> str:
    """Everything a handler could print from ``record``, chained exceptions included."""
    parts = [str(record.msg), repr(record.args), repr(record.__dict__)]
    with contextlib.suppress(TypeError, ValueError):
        parts.append(record.getMessage())
    if record.exc_info and record.exc_info[1] is not None:
        parts.append("".join(traceback.format_exception(record.exc_info[1])))
    parts += [record.exc_text or "", record.stack_info or ""]
    return "\n".join(parts)


async def exposed_surfaces(env: FaultEnv) -> dict[str, str]:
    """Slack-visible text, health endpoints, error texts and reprs of every bot built."""
    places = {"response_url messages": text_of(env.slack.messages), "acks": text_of(env.acks)}
    for number, bot in enumerate(env.bots, start=1):
        runtime = bot.app.runtime
        provider = runtime.provider
        places[f"bot {number} reprs"] = "\n".join(
            [repr(bot.app), repr(runtime), repr(runtime.settings), str(runtime.settings)]
        )
        places[f"bot {number} provider"] = "\n".join(
            [repr(provider), str(provider.last_error), provider.readiness_reason()]
        )
        # Whatever token is held, usable or not: its repr and str must hide the value too.
        held = provider._token
        places[f"bot {number} token"] = f"{held!r} {held}"
        readyz = await bot.http.get("/readyz")
        metrics = await bot.http.get("/metrics")
        places[f"bot {number} endpoints"] = readyz.text + metrics.text
    return places


@pytest.mark.parametrize("scenario", list(SCENARIOS.values()), ids=list(SCENARIOS))
async def test_no_secret_leaks_during_the_fault_matrix(
    env: FaultEnv, caplog: pytest.LogCaptureFixture, scenario: Scenario
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in DEBUG_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    # build_scheduler() quietens APScheduler when the lifespan starts; listen to it anyway.
    env.after_build.append(lambda _: logging.getLogger("apscheduler").setLevel(logging.DEBUG))

    await scenario(env)

    assert env.keys, "no Sinch key was configured: the check below would prove little"
    if any(key_id == SANDBOX_KEY_ID for key_id, _ in env.keys):
        # Real HTTP to the sandbox, through the aiohttp transport: httpx's request lines
        # were captured (aiohttp itself logs no headers).
        assert any(r.name == "httpx" and "127.0.0.1" in r.getMessage() for r in caplog.records)
    places = {
        f"log record {n} ({record.name})": record_text(record)
        for n, record in enumerate(caplog.records)
    }
    places |= await exposed_surfaces(env)
    secrets = forbidden_values(env)
    leaks = [
        f"{name} in {place}"
        for place, text in places.items()
        for name, value in secrets.items()
        if value in text
    ]
    assert leaks == []


# A real-looking response_url: what Slack puts in every command and button payload.
HOOK_CAPABILITY = "T0001/1234567890/k3pT0nlyByTh1sUs3r"
HOOK_URL = f"https://hooks.slack.com/commands/{HOOK_CAPABILITY}"


@pytest.mark.parametrize(
    "forged",
    [
        pytest.param({"secret": "not-the-signing-secret"}, id="bad-signature"),
        pytest.param({"timestamp_offset": -301}, id="stale"),
        pytest.param({"timestamp_offset": +301}, id="future-dated"),
        pytest.param({"secret": "not-the-signing-secret", "button": True}, id="bad-button"),
    ],
)
async def test_a_refused_signature_logs_one_warning_without_the_body(
    make_bot: MakeBot, caplog: pytest.LogCaptureFixture, forged: dict[str, Any]
) -> None:
    bot = await make_bot()
    caplog.set_level(logging.DEBUG)
    for name in DEBUG_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    if forged.get("button"):
        body = action_body("share_search", "US LOCAL", HOOK_URL)
    else:
        body = command_body("US LOCAL", HOOK_URL)
    timestamp = int(time.time()) + forged.get("timestamp_offset", 0)
    headers = signed_headers(body, secret=forged.get("secret", SIGNING_SECRET), timestamp=timestamp)

    response = await bot.http.post("/slack/events", content=body, headers=headers)

    assert response.status_code == 401
    records = caplog.get_records("call")
    leaked = [
        record.name
        for record in records
        if HOOK_CAPABILITY in record_text(record)
        or "hooks.slack.com" in record_text(record)
        or "US+LOCAL" in record_text(record)
    ]
    assert leaked == []
    refusals = [r for r in records if r.levelno >= logging.WARNING]
    assert [(r.name, r.levelname) for r in refusals] == [("bot.slack.inbound", "WARNING")]
    assert "refused a request to /slack/events" in refusals[0].getMessage()
    assert bot.slack.messages == []


DATABASE_URL = "postgres://bot:db-password-in-settings-77@db.example.com:5432/numbers"


def test_settings_and_token_reprs_hide_every_secret() -> None:
    settings = Settings(
        _env_file=None,
        sinch_project_id="p",
        sinch_key_id="k",
        sinch_key_secret=SecretStr("key-secret-in-settings-1234"),
        slack_bot_token=SecretStr(BOT_TOKEN),
        slack_signing_secret=SecretStr(SIGNING_SECRET),
        slack_app_token=SecretStr(APP_TOKEN),
        database_url=SecretStr(DATABASE_URL),
        metrics_token=SecretStr("metrics-token-in-settings-9012"),
    )
    token = Token(
        value="access-token-in-repr-5678",
        t0=0.0,
        lifetime=3600.0,
        expires_at=3600.0,
        refresh_at=2800.0,
        generation=1,
        fetched_at=0.0,
    )
    shown = "\n".join(
        [repr(settings), str(settings), settings.model_dump_json(), repr(token), str(token)]
    )
    for value in (*secret_values(settings), token.value):
        assert value not in shown
    assert sorted(secret_values(settings)) == sorted(
        [
            "key-secret-in-settings-1234",
            BOT_TOKEN,
            SIGNING_SECRET,
            APP_TOKEN,
            DATABASE_URL,
            "db-password-in-settings-77",
            "metrics-token-in-settings-9012",
        ]
    )


# --- RedactingFilter and the formatters -----------------------------------------------------


def make_record(
    msg: str, *args: object, exc: BaseException | None = None, level: int = logging.INFO
) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord("third.party", level, __file__, 1, msg, args or None, exc_info)


def raised(exc: BaseException) -> BaseException:
    """``exc`` with a traceback, as a logger would see it."""
    try:
        raise exc
    except BaseException as caught:
        return caught


def formatted(record: logging.LogRecord) -> dict[str, str]:
    return {
        "text": TextFormatter("%(levelname)s %(name)s: %(message)s").format(record),
        "json": JsonFormatter().format(record),
    }


def test_filter_replaces_known_secrets_in_message_and_args() -> None:
    record = make_record("key %s and %s, again key-secret-1234", "key-secret-1234", BOT_TOKEN)
    assert RedactingFilter(["key-secret-1234", BOT_TOKEN]).filter(record) is True
    assert record.getMessage() == f"key {REDACTED} and {REDACTED}, again {REDACTED}"
    for output in formatted(record).values():
        assert "key-secret-1234" not in output
        assert BOT_TOKEN not in output


def test_filter_replaces_a_secret_containing_another_whole() -> None:
    record = make_record("token xoxb-abcdef-ghijkl")
    RedactingFilter(["xoxb-abcdef", "xoxb-abcdef-ghijkl"]).filter(record)
    assert record.getMessage() == f"token {REDACTED}"


def test_filter_leaves_clean_records_and_short_values_alone() -> None:
    record = make_record("fetched token generation %d (fp=%s)", 3, "5d2858a7")
    RedactingFilter(["abc", "another-secret-value"]).filter(record)
    assert record.args == (3, "5d2858a7")
    assert record.getMessage() == "fetched token generation 3 (fp=5d2858a7)"
    short = make_record("abc is not a secret worth the name")
    RedactingFilter(["abc"]).filter(short)
    assert short.getMessage() == "abc is not a secret worth the name"


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        (
            "send_request headers=[('Authorization', 'Bearer issued-at-runtime-0123456789')]",
            "Bearer ",
        ),
        ("Authorization: Basic a2V5LWlkLTE6a2V5LXNlY3JldA==", "Basic "),
        ('body={"access_token": "issued-at-runtime-0123456789", "expires_in": 3599}', "expires_in"),
        ("grant_type=client_credentials&access_token=issued-at-runtime-0123456789", "grant_type"),
    ],
)
def test_filter_redacts_credentials_it_was_not_told_about(line: str, kept: str) -> None:
    # Access tokens are issued at run time: the filter recognises them by their shape.
    record = make_record(line)
    RedactingFilter([]).filter(record)
    message = record.getMessage()
    assert "issued-at-runtime-0123456789" not in message
    assert "a2V5LWlkLTE6a2V5LXNlY3JldA==" not in message
    assert REDACTED in message
    assert kept in message


@pytest.mark.parametrize(
    "line",
    [
        f"posting to {HOOK_URL} now",
        "body: token=x&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F"
        + HOOK_CAPABILITY.replace("/", "%2F")
        + "&trigger_id=1",
        '{"response_url":"https:\\/\\/hooks.slack.com\\/actions\\/'
        + HOOK_CAPABILITY.replace("/", "\\/")
        + '"}',
        "payload=%7B%22response_url%22%3A%22https%3A%5C%2F%5C%2Fhooks.slack.com%5C%2Factions%5C%2F"
        + HOOK_CAPABILITY.replace("/", "%5C%2F")
        + "%22%7D",
        f"webhook https://hooks.slack.com/services/{HOOK_CAPABILITY} failed",
        f"GovSlack https://hooks.slack-gov.com/commands/{HOOK_CAPABILITY}",
        f"upper-case escapes HTTPS%3A%2f%2fHOOKS.SLACK.COM%2fcommands%2f{HOOK_CAPABILITY}",
    ],
)
def test_filter_redacts_slack_response_and_webhook_urls(line: str) -> None:
    record = make_record(line)
    RedactingFilter([]).filter(record)
    message = record.getMessage()
    for part in HOOK_CAPABILITY.split("/"):
        assert part not in message
    assert REDACTED in message


def test_filter_does_not_mangle_prose_about_tokens() -> None:
    line = 'Sinch answered 401: access token 5d2858a7 rejected; Bearer realm="sinch"'
    record = make_record(line)
    RedactingFilter([]).filter(record)
    assert record.getMessage() == line


def test_filter_redacts_secrets_in_chained_exceptions() -> None:
    # The logged exception's own message is clean; its cause (printed in the traceback) is not.
    cause = raised(RuntimeError("upstream said key-secret-1234"))
    try:
        raise ValueError("lookup failed") from cause
    except ValueError as exc:
        record = make_record("lookup failed", exc=exc, level=logging.ERROR)
    RedactingFilter(["key-secret-1234"]).filter(record)
    for output in formatted(record).values():
        assert "key-secret-1234" not in output
        assert "upstream said" in output
        assert "ValueError: lookup failed" in output


def test_filter_keeps_clean_exceptions_for_the_formatter() -> None:
    record = make_record("boom", exc=raised(KeyError("missing")), level=logging.ERROR)
    RedactingFilter(["key-secret-1234"]).filter(record)
    assert record.exc_info is not None
    assert "KeyError: 'missing'" in formatted(record)["json"]


def test_filter_survives_a_malformed_logging_call() -> None:
    record = make_record("%s and %s", "only one")
    assert RedactingFilter(["key-secret-1234"]).filter(record) is True


def test_audit_line_is_one_json_object_with_the_audit_fields(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="bot.audit"):
        audit_command(
            team_id="T1",
            channel_id="C1",
            user_id="U1",
            text="US LOCAL\nsms\x07",
            kind="search",
            outcome="ok",
            result_count=5,
            upstream_calls=2,
            latency_ms=123.456,
        )
    (record,) = [r for r in caplog.records if r.name == "bot.audit"]
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry.keys() >= AUDIT_FIELDS
    assert {key: entry[key] for key in AUDIT_FIELDS - {"time"}} == {
        "team": "T1",
        "channel": "C1",
        "user": "U1",
        "text": "US LOCAL sms",
        "outcome": "ok",
        "result_count": 5,
        "upstream_calls": 2,
        "latency_ms": 123.5,
    }
    assert entry["time"].endswith("+00:00")
    assert entry["level"] == "info"
    assert entry["logger"] == "bot.audit"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    names = ("httpx", "httpcore", "apscheduler", "slack_sdk")
    levels = {name: logging.getLogger(name).level for name in names}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, saved in levels.items():
        logging.getLogger(name).setLevel(saved)


@pytest.mark.usefixtures("restore_logging")
def test_configure_logging_redacts_and_quietens_chatty_libraries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    configure_logging("DEBUG", secrets=["key-secret-1234", BOT_TOKEN], json_lines=True)

    logging.getLogger("third.party").debug("token %s", BOT_TOKEN)
    logging.getLogger("httpcore.http11").debug("send_request_headers.started")
    logging.getLogger("slack_sdk.webhook").debug("Sending a request - url: https://hooks…")
    logging.getLogger("httpx").warning("still shown")

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [entry["message"] for entry in lines] == [f"token {REDACTED}", "still shown"]
    assert logging.getLogger("httpcore").getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("apscheduler").getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("slack_sdk").getEffectiveLevel() == logging.INFO
    assert logging.getLogger("alembic.runtime.plugins").getEffectiveLevel() == logging.WARNING


def test_exception_text_is_one_json_field(caplog: pytest.LogCaptureFixture) -> None:
    record = make_record("failed", exc=raised(OSError("disk")), level=logging.ERROR)
    entry: dict[str, Any] = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "failed"
    assert "OSError: disk" in entry["exception"]
