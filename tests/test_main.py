"""`python -m bot`: serves with no arguments; --help prints usage and starts nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.__main__ import main


def test_help_prints_usage_and_exits_0_without_serving(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def must_not_serve(*_: object) -> None:
        raise AssertionError("--help started the server")

    monkeypatch.setattr("bot.__main__.serve", must_not_serve)

    with pytest.raises(SystemExit) as exited:
        main(["--help"])

    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m bot")
    assert "SLACK_BOT_TOKEN" in out
    assert "numbers-bot serve --sandbox" in out


def test_an_unknown_argument_is_refused_with_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--port", "80"])

    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "usage: python -m bot" in err
    assert "unrecognized arguments: --port 80" in err


def test_python_m_bot_help_from_a_shell(tmp_path: Path) -> None:
    # No settings at all: without --help this exits 2 naming SLACK_BOT_TOKEN (test_cli.py).
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--help"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        cwd=tmp_path,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0
    assert result.stdout.startswith("usage: python -m bot")
    assert result.stderr == ""
