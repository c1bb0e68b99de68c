"""numbers-bot CLI: sandbox lookups, output forms and exit codes (0 ok, 2 bad input, 1 upstream)."""

from __future__ import annotations

import argparse
import json
import os
import re
import select
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.cli.app import main

REPO = Path(__file__).resolve().parents[1]


def test_search_sandbox_prints_sandbox_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "US", "LOCAL", "--sandbox"]) == 0
    out = capsys.readouterr().out
    assert "SANDBOX" in out
    assert "+1 206-555-01" in out
    assert "more" in out


def test_search_filters_reach_the_sandbox(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "US", "LOCAL", "415", "sms", "limit:3", "--json", "--sandbox"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["sandbox"] is True
    numbers = data["numbers"]
    assert len(numbers) == 3
    for number in numbers:
        assert number["phone_number"].startswith("+1415")
        assert "SMS" in number["capability"]
        assert number["monthly_price"]["amount"]  # Decimal serialised as a string


def test_regions_and_active_in_sandbox(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["regions", "--sandbox", "--json"]) == 0
    regions = {r["region_code"] for r in json.loads(capsys.readouterr().out)["regions"]}
    assert {"US", "GB", "SE", "DE"} <= regions
    assert main(["active", "--sandbox", "--json"]) == 0
    active = json.loads(capsys.readouterr().out)
    # every page followed: more numbers than one page holds
    assert len(active["numbers"]) == active["total_size"] > 20


def test_missing_credentials_exit_2_naming_the_variables(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["search", "US", "LOCAL"]) == 2
    err = capsys.readouterr().err
    assert "SINCH_PROJECT_ID" in err and "SINCH_KEY_SECRET" in err  # noqa: PT018
    assert "Traceback" not in err


@pytest.mark.parametrize("words", [["XX"], ["US", "LANDLINE"], ["US", "limit:0"], []])
def test_bad_input_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], words: list[str]
) -> None:
    assert main(["search", *words, "--sandbox"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("numbers-bot:")
    assert "\n" not in err
    # What was wrong, then where the grammar is: not the whole usage appended.
    assert err.endswith(" See `numbers-bot search help`.")
    assert "Usage:" not in err
    assert len(err) < 160


def test_hints_speak_the_cli_grammar(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "Swedn", "--sandbox"]) == 2
    err = capsys.readouterr().err
    assert "Did you mean `SE`" in err
    assert main(["search", "sms", "--sandbox"]) == 2  # "Which region? … e.g. `/numbers US…`"
    err = capsys.readouterr().err
    assert "numbers-bot search US LOCAL" in err
    assert "/numbers" not in err


def test_upstream_error_exits_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing listens on port 9 of 127.0.0.1: the token fetch fails fast.
    monkeypatch.setenv("SINCH_PROJECT_ID", "p")
    monkeypatch.setenv("SINCH_KEY_ID", "k")
    monkeypatch.setenv("SINCH_KEY_SECRET", "cli-secret-value")
    monkeypatch.setenv("SINCH_AUTH_URL", "http://127.0.0.1:9/oauth2/token")
    monkeypatch.setenv("SINCH_NUMBERS_URL", "http://127.0.0.1:9")
    assert main(["search", "US"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("numbers-bot: Sinch error")
    assert "cli-secret-value" not in err


def test_console_script_runs_from_a_subprocess_without_traceback(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "search", "US", "LOCAL"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "SINCH_KEY_ID" in result.stderr
    assert "Traceback" not in result.stderr


def test_python_m_bot_without_settings_exits_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name", ["SINCH_AUTH_URL", "SINCH_NUMBERS_URL"])
def test_a_malformed_sinch_url_exits_2_naming_it_not_its_value(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv("SINCH_PROJECT_ID", "p")
    monkeypatch.setenv("SINCH_KEY_ID", "k")
    monkeypatch.setenv("SINCH_KEY_SECRET", "cli-secret-value")
    monkeypatch.setenv(name, "not a url at-host-7c1d")
    assert main(["search", "US"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("numbers-bot: malformed settings:")
    assert name in err
    assert "at-host-7c1d" not in err
    assert "\n" not in err


def test_python_m_bot_with_a_malformed_slack_api_url_exits_2_before_serving(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot import __main__ as entry

    def no_serving(*_: object) -> None:
        raise AssertionError("the process must not start serving")

    monkeypatch.setattr(entry, "serve", no_serving)
    monkeypatch.setenv("SINCH_SANDBOX", "true")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "signing-1")
    monkeypatch.setenv("SLACK_API_URL", "not a url at-host-7c1d")
    assert entry.main([]) == 2
    err = capsys.readouterr().err.strip()
    assert "SLACK_API_URL" in err
    assert "at-host-7c1d" not in err
    assert "\n" not in err


def test_sandbox_on_a_taken_port_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["sandbox", "--port", str(port)]) == 2
    err = capsys.readouterr().err.strip()
    assert (
        err == f"numbers-bot: cannot serve the sandbox on 127.0.0.1:{port}: address already in use"
    )


@pytest.mark.parametrize("port", ["70000", "-1"])
def test_sandbox_port_out_of_range_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], port: str
) -> None:
    assert main(["sandbox", "--port", port]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"numbers-bot: --port must be 0-65535 (0: any free port), not {port}"


def read_banner(proc: subprocess.Popen[bytes], timeout: float = 30.0) -> list[str]:
    """The standalone sandbox's banner lines, up to the last setting (bounded wait).

    Raw reads after select(): a buffered readline() could hold lines select() cannot see.
    """
    assert proc.stderr is not None
    fd = proc.stderr.fileno()
    received = b""
    deadline = time.monotonic() + timeout
    while b"SINCH_KEY_SECRET=" not in received or not received.endswith(b"\n"):
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, f"no banner within {timeout} s: {received!r}"
        chunk = os.read(fd, 4096)
        assert chunk, f"the sandbox exited: {received!r}"
        received += chunk
    return received.decode().splitlines()


def test_a_standalone_sandbox_prints_what_to_set_and_its_results_say_sandbox(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "sandbox", "--port", "0"],
        stderr=subprocess.PIPE,
        bufsize=0,
        cwd=REPO,
    )
    try:
        banner = read_banner(proc)
        settings = dict(line.strip().split("=", 1) for line in banner if "=" in line)
        assert set(settings) == {
            "SINCH_AUTH_URL",
            "SINCH_NUMBERS_URL",
            "SINCH_PROJECT_ID",
            "SINCH_KEY_ID",
            "SINCH_KEY_SECRET",
        }
        assert ":0" not in settings["SINCH_NUMBERS_URL"]  # the port it really listens on
        for name, value in settings.items():
            monkeypatch.setenv(name, value)
        # No --sandbox: the bot reaches the standalone sandbox through SINCH_* alone.
        assert main(["search", "US", "LOCAL"]) == 0
        out = capsys.readouterr().out
        assert out.startswith("SANDBOX DATA")
        assert main(["search", "US", "LOCAL", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["sandbox"] is True
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=30)
        assert proc.stderr is not None
        proc.stderr.close()
    assert code == 0


def test_an_empty_search_says_when_the_region_has_no_such_type(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["search", "us", "mobile", "--sandbox"]) == 0
    out = capsys.readouterr().out
    assert (
        "Sinch offers no MOBILE numbers in United States (US)."
        " Try numbers-bot search US LOCAL or numbers-bot search US TOLL_FREE."
    ) in out
    assert "none matched" not in out
    assert main(["search", "georgia", "--sandbox"]) == 0
    out = capsys.readouterr().out
    assert "Sinch offers no numbers in Georgia (GE); `numbers-bot regions` lists where" in out
    assert main(["search", "US", "LOCAL", "999", "--sandbox"]) == 0  # offered: filters advice
    assert "none matched. Try fewer filters" in capsys.readouterr().out


def test_namesakes_are_listed_apart_not_with_commas(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "austin", "--sandbox"]) == 0
    out = capsys.readouterr().out
    # A ", " between them would read like the `,ST` of `in:austin,mn`.
    assert "Not this one? numbers-bot search US in:austin,mn · numbers-bot search US in:" in out


def test_search_help_describes_the_cli_and_every_example_in_it_runs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot.cli.app import _parser, _query

    assert main(["search", "help"]) == 0
    text = capsys.readouterr().out
    assert "this message" not in text
    assert "`--summary` counts them" in text  # `active` lists; --summary summarises
    # Every subcommand the CLI has is in its help (history and the watch commands came later).
    for command in ("history", "watches", "unwatch", "serve", "sandbox", "show", "rent"):
        assert f"`numbers-bot {command}" in text, command
    examples = re.findall(r"`(numbers-bot [^`]*)`", text)
    assert len(examples) > 15
    checked = 0
    for example in examples:
        words = shlex.split(example)[1:]
        placeholders = {"REGION", "PLACE", "COMMAND"}
        if words == ["--help"] or any(w in placeholders or "[" in w for w in words):
            continue  # `--help` exits; REGION, PLACE, [TYPE] are placeholders
        args = _parser().parse_args(words)  # a real subcommand with valid options
        if args.command in ("search", "regions", "active"):
            _query(args.command, args.words)  # and words its grammar takes
        checked += 1
    assert checked >= 12


def test_help_and_subcommand_help_describe_every_option() -> None:
    from bot.cli.app import _parser

    parser = _parser()
    assert "numbers-bot search help" in (parser.epilog or "")
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in subparsers.choices.items():
        assert sub.description, name
        for action in sub._actions:
            assert action.help, (name, action.dest)


def test_an_empty_search_is_not_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "", "--sandbox"]) == 2
    assert main(["search", "--sandbox"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == err[1]
    assert err[0].startswith("numbers-bot: Give a region or a place")
