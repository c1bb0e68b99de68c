"""Block Kit for refusals and failures: a command the grammar refused, Sinch's
errors in words, not permitted, rate limited, misconfigured, internal errors.
"""

from __future__ import annotations

import math

from bot.commands.usage import COMMAND
from bot.core.errors import (
    CommandError,
    SinchApiError,
    SinchAuthError,
    SinchBadRequestError,
    SinchConnectionError,
    SinchError,
    SinchNotFoundError,
    SinchPermissionError,
    SinchRateLimitedError,
    SinchTimeoutError,
    SinchUnavailableError,
    TokenUnavailableError,
)
from bot.slack.blocks import (
    _SLACK_REFERENCE,
    Message,
    _context,
    _message,
    _section,
    _sections,
    _user,
    escape,
)


def render_command_error(err: CommandError) -> Message:
    """What was wrong with the command, and the nearest valid usage."""
    hint = escape(err.hint)
    blocks = [_section(f":warning: {hint}")]
    if err.usage:
        blocks.append(_section(f"Try: {escape(err.usage)}"))
    blocks.append(_context(f"`{COMMAND} help` shows every option."))
    return _message(hint, blocks)


def render_sinch_error(exc: SinchError) -> Message:
    """A specific, actionable message for each kind of Sinch failure."""
    text, details = _sinch_problem(exc)
    blocks = [_section(text)]
    if details:
        blocks += _sections(details, 2)
    return _message(text, blocks)


def _sinch_problem(exc: SinchError) -> tuple[str, list[str]]:
    if isinstance(exc, TokenUnavailableError):
        # Sinch's sign-in is down, not the key's fault: nobody should be sent to check it.
        wait = _seconds(exc.retry_after)
        return (
            ":lock: The bot can't authenticate with Sinch right now: Sinch's sign-in service is"
            f" unavailable. Try again in {wait or 'a minute'}.",
            [],
        )
    if isinstance(exc, SinchTimeoutError):
        return ":hourglass: Sinch is slow to answer, try again in a minute.", []
    if isinstance(exc, SinchConnectionError):
        return (
            ":electric_plug: Can't reach Sinch right now (network problem); try again in a minute.",
            [],
        )
    if isinstance(exc, SinchAuthError):
        return (
            ":lock: The bot can't authenticate with Sinch — tell the bot's admins"
            " (check SINCH_KEY_ID/SECRET).",
            [],
        )
    if not isinstance(exc, SinchApiError):
        return ":x: Sinch failed to answer; try again in a minute.", []
    said = f"Sinch said: {_user(exc.message, 300)}" if exc.message.strip() else ""
    if isinstance(exc, SinchUnavailableError):
        return (
            f":construction: Sinch is unavailable right now (HTTP {exc.status_code});"
            " try again in a few minutes.",
            [],
        )
    if isinstance(exc, SinchRateLimitedError):
        wait = _seconds(exc.retry_after)
        when = f"in {wait}" if wait else "in a minute"
        return f":snail: Sinch is rate limiting the bot; try again {when}.", []
    if isinstance(exc, SinchBadRequestError):
        lines = [f"• `{_user(v.field, 60)}`: {_user(v.description, 200)}" for v in exc.violations]
        return (
            f":x: Sinch rejected the request. {said}",
            lines[:10] + ([f"…and {len(lines) - 10} more."] if len(lines) > 10 else []),
        )
    if isinstance(exc, SinchPermissionError):
        return (
            ":no_entry: Sinch refused: the bot's key may not do this for its project —"
            f" tell the bot's admins. {said}",
            [],
        )
    if isinstance(exc, SinchNotFoundError):
        return (
            ":mag: Sinch doesn't know the bot's project — tell the bot's admins"
            f" (check SINCH_PROJECT_ID). {said}",
            [],
        )
    return f":x: Sinch answered HTTP {exc.status_code}. {said}", []


def _seconds(value: float | None) -> str | None:
    if value is None or not math.isfinite(value) or value <= 0:
        return None
    seconds = min(math.ceil(value), 24 * 3600)
    return f"{seconds} s" if seconds < 120 else f"{math.ceil(seconds / 60)} min"


def render_internal_error() -> Message:
    text = ":boom: Something went wrong on our side. It has been logged; please try again."
    return _message(text, [_section(text)])


def render_not_permitted(contact: str) -> Message:
    """Access denied; ``contact`` (from config) may be a Slack mention such as <@U123>."""
    who = contact if _SLACK_REFERENCE.fullmatch(contact) else _user(contact or "an admin", 200)
    text = f":no_entry: You're not permitted to use {COMMAND} here. Ask {who} for access."
    return _message(text, [_section(text)])


def render_bot_misconfigured() -> Message:
    """Slack refused the bot's own token: nothing the user can do but tell someone."""
    text = (
        ":warning: The bot is misconfigured (Slack refused its token), so it can't answer."
        " Please tell the bot's admins."
    )
    return _message(text, [_section(text)])


def render_rate_limited(retry_in_seconds: float) -> Message:
    wait = _seconds(retry_in_seconds) or "1 s"
    text = f":snail: You're sending commands too fast; try again in {wait}."
    return _message(text, [_section(text)])
