"""The App Home tab: how to use the bot, and whether it is healthy right now."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.help_blocks import search_form_button

log = logging.getLogger(__name__)

EXAMPLES = (
    "`/numbers US LOCAL` — local US numbers you can rent",
    "`/numbers US LOCAL sms 206` — Seattle numbers that can send SMS",
    "`/numbers austin` · `/numbers US texas` · `/numbers near:+12065550123` — by place",
    "`/numbers sweden mobile ends:00` — Swedish mobiles ending in 00",
    "`/numbers regions` — where Sinch offers numbers",
    "`/numbers active` — how many numbers this project rents, where, and what they cost",
)


@dataclass(frozen=True)
class HomeStatus:
    """A snapshot of the bot's health for the Home tab."""

    token_ready: bool
    readiness: str
    token_expires_in: float | None
    last_refresh_ago: float | None
    commands_served: int
    sandbox: bool


def _ago(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    return f"{seconds / 60:.0f} min ago"


# The viewer's own part of the Home tab (their watches), given their user ID.
ViewerBlocks = Callable[[str], Awaitable[list[dict[str, Any]]]]


def render_home(status: HomeStatus, viewer: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """The Home view (pure): header, health, the viewer's part, usage, examples. Well under
    the 100-block limit."""
    if status.token_ready:
        left = status.token_expires_in or 0.0
        health = (
            f":large_green_circle: Connected to Sinch (token valid for {left / 60:.0f} more min)"
        )
    else:
        health = f":red_circle: Not connected to Sinch: {status.readiness[:300]}"
    facts = [
        health,
        f"Last token refresh: {_ago(status.last_refresh_ago)}",
        f"Commands answered since start: {status.commands_served}",
    ]
    if status.sandbox:
        facts.append(":test_tube: Running on the built-in sandbox: numbers are fictional.")
    return {
        "type": "home",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Numbers Bot"}},
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "Find rentable Sinch phone numbers without leaving Slack.",
                },
            },
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(facts)}},
            search_form_button(),
            *viewer,
            {"type": "divider"},
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "*Try*\n" + "\n".join(EXAMPLES)},
            },
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": "Results are visible only to you until you *Share to channel*.",
                    }
                ],
            },
        ],
    }


def register_home(
    app: AsyncApp, status: Callable[[], HomeStatus], viewer: ViewerBlocks | None = None
) -> None:
    """Publish the Home view whenever a user opens the bot's Home tab."""

    async def on_home_opened(event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab") != "home":
            return
        user = str(event.get("user"))
        own = await viewer(user) if viewer is not None else []
        try:
            await client.views_publish(user_id=user, view=render_home(status(), own))
        except SlackApiError as err:
            log.warning("views.publish failed: %s", err.response.get("error"))

    app.event("app_home_opened")(on_home_opened)
