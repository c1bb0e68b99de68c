"""Process logging: JSON lines when not on a TTY, secrets redacted, noisy libraries quietened."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from bot.ops.config import Settings

# httpcore logs headers at DEBUG; httpx logs full URLs at INFO; APScheduler logs every run;
# slack_sdk logs every response_url (a bearer capability) and request body at DEBUG; Alembic
# names each of its plugins at INFO whenever a migration runs (its "Running upgrade" stays).
_QUIET = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "apscheduler": logging.WARNING,
    "slack_sdk": logging.INFO,
    "alembic.runtime.plugins": logging.WARNING,
}
REDACTED = "[redacted]"
# Credentials recognisable by their shape, for those not known up front (access tokens are
# issued at run time): Authorization header values and OAuth token fields. Group 1 is kept.
# Slack's response_url and incoming-webhook URLs are bearer capabilities: everything after
# hooks.slack.com/commands|actions|services/ goes, plain, percent-encoded (a form body) or with
# JSON's escaped slashes (an interactivity payload), or both.
_SEP = r"(?:\\?/|(?:%5C)?%2F)"
_CREDENTIAL_PATTERNS = (
    re.compile(r"\b((?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]{12,}"),
    re.compile(r"(?i)(\b(?:access|refresh)_token[\"']?\s*[:=]\s*[\"']?)[^\"'\s,&}]{6,}"),
    re.compile(
        rf"(?i)(hooks\.slack(?:-gov)?\.com{_SEP}(?:commands|actions|services){_SEP})"
        r"[^\s\"'&<>,;)\]}]+"
    ),
)


class RedactingFilter(logging.Filter):
    """Replaces secrets in a record's message, exception text and stack with [redacted].

    Known secret values (the configured keys and tokens) are replaced wherever they appear;
    bearer/basic credentials and ``access_token`` fields are replaced by their shape. The code
    never logs secrets on purpose; this is the safety net for third-party log lines.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets: tuple[str, ...] = ()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str) -> None:
        if len(secret) >= 6 and secret not in self._secrets:
            # Longest first, so a secret containing another is replaced whole.
            self._secrets = tuple(sorted((*self._secrets, secret), key=len, reverse=True))

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        for pattern in _CREDENTIAL_PATTERNS:
            text = pattern.sub(rf"\g<1>{REDACTED}", text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True  # a malformed call: let the handler report it as usual
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            # Format now, chained causes included, so the traceback can be checked as text.
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            redacted = self.redact(record.exc_text)
            if redacted != record.exc_text:
                # Formatters print exc_text when set; dropping exc_info stops a re-format.
                record.exc_info, record.exc_text = None, redacted
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


_FORMATTER = logging.Formatter()


class JsonFormatter(logging.Formatter):
    """One JSON object per line; an audit record's fields are top-level keys."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        audit = getattr(record, "audit", None)
        if isinstance(audit, dict):
            payload.update(audit)
        else:
            payload["time"] = self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z")
        # exc_text first: it may be the redacted version of exc_info.
        if record.exc_text:
            payload["exception"] = record.exc_text
        elif record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        audit = getattr(record, "audit", None)
        if isinstance(audit, dict):
            line += " " + " ".join(f"{key}={value}" for key, value in audit.items())
        return line


def configure_logging(
    level: str, *, secrets: Iterable[str] = (), json_lines: bool | None = None
) -> None:
    """Set up the root logger once for the process (called from __main__ and the CLI)."""
    handler = logging.StreamHandler(sys.stderr)
    if json_lines is None:
        json_lines = not sys.stderr.isatty()
    handler.setFormatter(
        JsonFormatter()
        if json_lines
        else TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name, quiet in _QUIET.items():
        logging.getLogger(name).setLevel(max(quiet, logging.getLevelName(level)))


def secret_values(settings: Settings) -> list[str]:
    """The configured secrets, for the redacting filter."""
    values = (
        settings.sinch_key_secret,
        settings.slack_bot_token,
        settings.slack_signing_secret,
        settings.slack_app_token,
        settings.metrics_token,
    )
    found = [v.get_secret_value() for v in values if v is not None]
    if settings.database_url is not None:
        # The whole URL and its password: a driver may name either in a message.
        url = settings.database_url.get_secret_value()
        password = urlsplit(url).password if "://" in url else None
        found += [url, *([password] if password else [])]
    return found
