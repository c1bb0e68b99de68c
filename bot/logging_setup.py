"""Process logging: JSON lines when not on a TTY, secrets redacted, noisy libraries quietened."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from typing import Any

from bot.config import Settings

# httpcore logs headers at DEBUG; httpx logs full URLs at INFO; APScheduler logs every run.
_QUIET = {"httpx": logging.WARNING, "httpcore": logging.WARNING, "apscheduler": logging.WARNING}
REDACTED = "[redacted]"


class RedactingFilter(logging.Filter):
    """Replaces any known secret value in a record's message and arguments with [redacted].

    The code never logs secrets on purpose; this is the safety net for third-party log lines.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if len(s) >= 6)

    def add(self, secret: str) -> None:
        if len(secret) >= 6 and secret not in self._secrets:
            self._secrets = (*self._secrets, secret)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        if any(secret in message for secret in self._secrets):
            for secret in self._secrets:
                message = message.replace(secret, REDACTED)
            record.msg, record.args = message, None
        if record.exc_info and record.exc_info[1] is not None:
            text = str(record.exc_info[1])
            if any(secret in text for secret in self._secrets):
                record.exc_info = None
                record.exc_text = None
                record.msg = f"{record.msg} (exception details redacted)"
        return True


class JsonFormatter(logging.Formatter):
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
        if record.exc_info:
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
    )
    return [v.get_secret_value() for v in values if v is not None]
