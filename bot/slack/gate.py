"""The one gate every command and click passes: the allowlists, then the per-user rate limit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.ops.ratelimit import UserRateLimiter
from bot.slack import error_blocks
from bot.slack.access import AccessPolicy

Message = dict[str, Any]


@dataclass(frozen=True)
class Refusal:
    message: Message
    # For the audit line and metrics: denied_team, denied_channel, denied_user, rate_limited.
    outcome: str


@dataclass(frozen=True)
class Gate:
    access: AccessPolicy
    limiter: UserRateLimiter
    # Who a refused user is told to ask (ACCESS_CONTACT).
    contact: str

    def refusal(
        self, *, team_id: str | None, channel_id: str | None, user_id: str | None
    ) -> Refusal | None:
        """None when the interaction may go on. A click counts against the limit like a
        command: each one costs a Sinch call."""
        denied = self.access.denial(team_id=team_id, channel_id=channel_id, user_id=user_id)
        if denied is not None:
            return Refusal(error_blocks.render_not_permitted(self.contact), f"denied_{denied}")
        wait = self.limiter.check(str(user_id))
        if wait is not None:
            return Refusal(error_blocks.render_rate_limited(wait), "rate_limited")
        return None

    def click_refusal(self, body: Mapping[str, Any]) -> Refusal | None:
        """The same, for a block_actions payload (its IDs sit in nested objects)."""
        return self.refusal(
            team_id=_id_of(body.get("team")) or _id_of(body.get("user"), "team_id"),
            channel_id=_id_of(body.get("channel")),
            user_id=_id_of(body.get("user")),
        )


def _id_of(value: object, key: str = "id") -> str | None:
    """``value[key]`` of an interaction payload's team/channel/user object, if there."""
    if isinstance(value, dict) and value.get(key):
        return str(value[key])
    return None
