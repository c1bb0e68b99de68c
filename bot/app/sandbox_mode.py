"""Pointing settings at a running built-in Sinch sandbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import SecretStr

from bot.ops.config import Settings
from bot.sandbox import SANDBOX_KEY_ID, SANDBOX_KEY_SECRET, SANDBOX_PROJECT_ID

if TYPE_CHECKING:
    from bot.sandbox import SandboxServer


def sandbox_settings(settings: Settings, server: SandboxServer) -> Settings:
    """The same settings, with Sinch replaced by the sandbox and its public fictional key."""
    return settings.model_copy(
        update={
            "sinch_sandbox": True,
            "sinch_auth_url": server.auth_url,
            "sinch_numbers_url": server.numbers_url,
            "sinch_project_id": SANDBOX_PROJECT_ID,
            "sinch_key_id": SANDBOX_KEY_ID,
            "sinch_key_secret": SecretStr(SANDBOX_KEY_SECRET),
        }
    )


def answers_from_sandbox(settings: Settings) -> bool:
    """Whether results come from a sandbox, built-in or standalone, and must say so.

    A standalone sandbox (``numbers-bot sandbox``) is reached through SINCH_* like Sinch itself;
    what gives it away is the key: the sandbox accepts only its public fictional key, which Sinch
    would refuse, so results fetched with that key can only have come from a sandbox.
    """
    return settings.sinch_sandbox or (
        settings.sinch_project_id == SANDBOX_PROJECT_ID and settings.sinch_key_id == SANDBOX_KEY_ID
    )
