"""Who may use the bot: optional allowlists of Slack team, channel and user IDs."""

from __future__ import annotations

from dataclasses import dataclass


def parse_ids(value: str) -> frozenset[str]:
    return frozenset(part.strip() for part in value.split(",") if part.strip())


@dataclass(frozen=True)
class AccessPolicy:
    """Empty sets mean "no restriction", else the ID must be listed. IDs, never names."""

    team_ids: frozenset[str] = frozenset()
    channel_ids: frozenset[str] = frozenset()
    user_ids: frozenset[str] = frozenset()

    @classmethod
    def from_strings(cls, teams: str, channels: str, users: str) -> AccessPolicy:
        return cls(parse_ids(teams), parse_ids(channels), parse_ids(users))

    def denial(
        self, *, team_id: str | None, channel_id: str | None, user_id: str | None
    ) -> str | None:
        """None when allowed, else which allowlist refused (for the audit log)."""
        for name, allowed, value in (
            ("team", self.team_ids, team_id),
            ("channel", self.channel_ids, channel_id),
            ("user", self.user_ids, user_id),
        ):
            if allowed and value not in allowed:
                return name
        return None
