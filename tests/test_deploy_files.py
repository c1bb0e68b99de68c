"""Procfile, manifest.yml and the buildpack's requirements.txt say what the README promises."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]


def manifest() -> dict[str, Any]:
    data = yaml.safe_load((REPO / "manifest.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_procfile_runs_one_web_process_that_reads_port() -> None:
    lines = (REPO / "Procfile").read_text(encoding="utf-8").splitlines()
    assert lines == ["web: python -m bot"]


def test_buildpack_installs_the_hashed_lock_and_runs_the_bot_from_the_app_directory() -> None:
    # pip's hash-checking mode cannot install a directory ("."), and needs not: `python -m bot`
    # imports bot/ from the app directory, its working directory. tests/test_lock.py checks pins.
    requirements = (REPO / "requirements.txt").read_text(encoding="utf-8").splitlines()
    lines = [line.strip() for line in requirements if not line.lstrip().startswith("#")]
    assert not [line for line in lines if line in {".", "-e ."} or line.startswith(("-e", "./"))]
    assert any(line.startswith("--hash=sha256:") for line in lines)
    assert (REPO / "bot" / "__main__.py").is_file()


def test_manifest_declares_the_command_with_the_events_url() -> None:
    data = manifest()
    assert len(data["display_information"]["name"]) <= 35
    assert len(data["display_information"]["description"]) <= 140
    commands = data["features"]["slash_commands"]
    assert [c["command"] for c in commands] == ["/numbers"]
    command = commands[0]
    assert command["url"] == "https://YOUR-APP-HOST/slack/events"
    assert command["description"]
    assert "US LOCAL" in command["usage_hint"]
    assert data["features"]["bot_user"]["display_name"]


def test_manifest_asks_for_the_least_scope_and_enables_the_buttons() -> None:
    data = manifest()
    # chat:write for renting and releasing (approval requests, their updates and DMs) and
    # for the search form's answers (chat.postEphemeral, or a DM).
    assert data["oauth_config"]["scopes"]["bot"] == ["commands", "chat:write"]
    assert data["features"]["app_home"]["messages_tab_enabled"] is True
    interactivity = data["settings"]["interactivity"]
    assert interactivity == {
        "is_enabled": True,
        "request_url": "https://YOUR-APP-HOST/slack/events",
        # The search form's region type-ahead asks for its options here.
        "message_menu_options_url": "https://YOUR-APP-HOST/slack/events",
    }
    assert data["settings"]["socket_mode_enabled"] is False


def test_manifest_enables_the_home_tab_event() -> None:
    data = manifest()
    assert data["features"]["app_home"]["home_tab_enabled"] is True
    events = data["settings"]["event_subscriptions"]
    assert events["request_url"] == "https://YOUR-APP-HOST/slack/events"
    assert events["bot_events"] == ["app_home_opened"]


def test_the_dyno_runs_the_python_that_ci_tests() -> None:
    # The buildpack reads .python-version; CI runs the suite on this interpreter.
    pinned = (REPO / ".python-version").read_text(encoding="utf-8").strip()
    assert pinned == f"{sys.version_info.major}.{sys.version_info.minor}"
