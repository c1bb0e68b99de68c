"""The audit trail: one structured line per command, and the per-command upstream call counter."""

from __future__ import annotations

import contextvars
import logging
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime

log = logging.getLogger("bot.audit")

MAX_TEXT = 200


@dataclass
class CommandTrace:
    """Counts what one command cost upstream; lives in a contextvar for the command's task."""

    sinch_calls: int = 0
    endpoints: list[str] = field(default_factory=list)


_current: contextvars.ContextVar[CommandTrace | None] = contextvars.ContextVar(
    "command_trace", default=None
)


def start_trace() -> CommandTrace:
    trace = CommandTrace()
    _current.set(trace)
    return trace


def count_sinch_call(endpoint: str) -> None:
    """Called once per Numbers API request really sent (an httpx request hook), resends too."""
    trace = _current.get()
    if trace is not None:
        trace.sinch_calls += 1
        trace.endpoints.append(endpoint)


def sanitize_text(text: str) -> str:
    """Command text fit for a log line: no control characters, bounded length."""
    cleaned = "".join(
        ch if unicodedata.category(ch)[0] != "C" else " " for ch in text[: MAX_TEXT * 2]
    )
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= MAX_TEXT else cleaned[: MAX_TEXT - 1] + "…"


def audit_command(
    *,
    team_id: str | None,
    channel_id: str | None,
    user_id: str | None,
    text: str,
    kind: str,
    outcome: str,
    result_count: int | None,
    upstream_calls: int,
    latency_ms: float,
) -> None:
    """Log the audit line. IDs and sanitized text only: never tokens or the response_url."""
    if not log.isEnabledFor(logging.INFO):
        return  # LOG_LEVEL above INFO: the line's timestamp and sanitized text cost ~16 us
    log.info(
        "command",
        extra={
            "audit": {
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "team": team_id,
                "channel": channel_id,
                "user": user_id,
                "text": sanitize_text(text),
                "kind": kind,
                "outcome": outcome,
                "result_count": result_count,
                "upstream_calls": upstream_calls,
                "latency_ms": round(latency_ms, 1),
            }
        },
    )


def audit_number_change(
    *,
    event: str,
    action: str,
    number: str,
    requester: str | None,
    approver: str | None = None,
    monthly_price: str | None = None,
    outcome: str,
) -> None:
    """One line per rent/release request, approval, denial and outcome (IDs, never names)."""
    log.info(
        "number_change",
        extra={
            "audit": {
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "event": event,
                "action": action,
                "number": sanitize_text(number),
                "requester": requester,
                "approver": approver,
                "monthly_price": monthly_price,
                "outcome": outcome,
            }
        },
    )
