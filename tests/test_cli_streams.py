"""numbers-bot as a shell sees it: real processes, pipes, a pseudo-terminal and Ctrl-C.

Results go to stdout and everything else to stderr; a reader that leaves early (`| head`) is
not an error (exit 0, nothing on stderr); Ctrl-C exits 130, and an interrupted export says
how many rows it wrote; progress shows on a terminal only.
"""

from __future__ import annotations

import asyncio
import csv
import fcntl
import io
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
from collections.abc import Mapping
from pathlib import Path

from bot.sandbox import (
    SANDBOX_KEY_ID,
    SANDBOX_KEY_SECRET,
    SANDBOX_PROJECT_ID,
    SandboxConfig,
    SandboxServer,
)
from bot.sandbox.catalog import CATALOG

FOR_RENT = next(o for o in CATALOG.offers if o.phone_number.startswith("+12065550"))


def _env(tmp_path: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), **(extra or {})}


def _start(args: list[str], tmp_path: Path, **popen: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "bot.cli", *args], env=_env(tmp_path), cwd=tmp_path, **popen
    )


def _sandbox_env(sandbox: SandboxServer) -> dict[str, str]:
    """SINCH_* pointing at a sandbox the test runs, as a standalone one would be reached."""
    return {
        "SINCH_AUTH_URL": sandbox.auth_url,
        "SINCH_NUMBERS_URL": sandbox.numbers_url,
        "SINCH_PROJECT_ID": SANDBOX_PROJECT_ID,
        "SINCH_KEY_ID": SANDBOX_KEY_ID,
        "SINCH_KEY_SECRET": SANDBOX_KEY_SECRET,
    }


FORMS = [
    ["active", "--sandbox"],
    ["active", "--summary", "--sandbox"],
    ["active", "--json", "--sandbox"],
    ["active", "--csv", "--sandbox"],
    ["search", "US", "limit:30", "--sandbox"],
    ["regions", "--sandbox"],
    ["show", "+12065550102", "--sandbox", "--json"],
    ["search", "help"],
    ["--help"],
]


def test_a_reader_that_leaves_early_is_not_an_error(tmp_path: Path) -> None:
    # `| head` with the reader already gone: every write meets a closed pipe. All forms at
    # once (the machine has cores to spare while each process starts).
    procs = [
        _start(form, tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for form in FORMS
    ]
    for proc in procs:
        assert proc.stdout is not None
        proc.stdout.close()
    for form, proc in zip(FORMS, procs, strict=True):
        _, err = proc.communicate(timeout=60)
        stderr = err.decode()
        assert proc.returncode == 0, (form, stderr)
        assert "Traceback" not in stderr, form
        assert "BrokenPipe" not in stderr, form
        assert "Exception ignored" not in stderr, form


def test_failures_go_to_stderr_and_results_to_stdout(tmp_path: Path) -> None:
    not_rented = _start(
        ["show", FOR_RENT.phone_number, "--sandbox"],
        tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    over_ceiling = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "rent", FOR_RENT.phone_number, "--sandbox", "--yes"],
        env=_env(tmp_path, {"RENT_ENABLED": "true", "RENT_MAX_MONTHLY_PRICE": "0.50"}),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    found = _start(
        ["search", "US", "--sandbox"], tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )

    out, err = (s.decode() for s in not_rented.communicate(timeout=60))
    assert not_rented.returncode == 1
    assert out == ""
    assert err.splitlines() == [
        "SANDBOX DATA: fictional numbers from a Sinch sandbox; renting one changes only the"
        " sandbox.",
        f"This project does not rent {FOR_RENT.phone_number[:2]} "
        f"{FOR_RENT.phone_number[2:5]}-{FOR_RENT.phone_number[5:8]}-{FOR_RENT.phone_number[8:]}.",
    ]

    out, err = (s.decode() for s in over_ceiling.communicate(timeout=60))
    assert over_ceiling.returncode == 2
    assert out == ""
    assert "above the limit of USD 0.50 (RENT_MAX_MONTHLY_PRICE)" in err

    out, err = (s.decode() for s in found.communicate(timeout=60))
    assert found.returncode == 0
    assert "+1 206-555-01" in out
    assert err == ""


async def test_ctrl_c_during_an_export_says_how_many_rows_and_that_the_file_is_partial(
    tmp_path: Path,
) -> None:
    async with SandboxServer(SandboxConfig(active_count=3_000)) as sandbox:
        # The three first pages (one per type) come at once; every later page hangs, so the
        # export is certainly still running when Ctrl-C comes.
        sandbox.state.inject("numbers", delay=0.001, times=3)
        sandbox.state.inject("numbers", delay=60, times=None)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "active",
            "--csv",
            env=_env(tmp_path, _sandbox_env(sandbox)),
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert proc.stdout is not None
        async with asyncio.timeout(30):
            first = await proc.stdout.readline()  # the header: the export has begun
            rows = await proc.stdout.readuntil(b"\r\n")  # and some rows are out
            proc.send_signal(signal.SIGINT)
            rest, err = await proc.communicate()
    assert first.startswith(b"phone_number,")
    written = len(list(csv.reader(io.StringIO((rows + rest).decode(), newline=""))))
    stderr = err.decode().splitlines()
    assert proc.returncode == 130
    assert stderr[0].startswith("SANDBOX DATA")  # a standalone sandbox, found by its key
    assert stderr[1:] == [f"numbers-bot: interrupted after {written:,} rows: the CSV is partial."]
    assert written >= 1


def _on_a_terminal(args: list[str], env: Mapping[str, str], cwd: Path) -> tuple[int, str, str]:
    """Run with stderr on a pseudo-terminal and stdout in a file: (exit, stdout, terminal)."""
    out_path = cwd / f"stdout{'-'.join(args)}"
    leader, follower = pty.openpty()
    # A new pseudo-terminal is 0 columns wide; give it a terminal's size.
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    with out_path.open("wb") as stdout:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *args],
            env=dict(env),
            cwd=cwd,
            stdout=stdout,  # a file, never full: only the terminal needs reading meanwhile
            stderr=follower,
        )
    os.close(follower)
    shown = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        assert ready, "the process went quiet"
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the process closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    code = proc.wait(timeout=60)
    return code, out_path.read_bytes().decode(), shown.decode(errors="replace")


async def test_progress_shows_on_a_terminal_only(tmp_path: Path) -> None:
    async with SandboxServer(SandboxConfig(active_count=2_500)) as sandbox:
        env = _env(tmp_path, _sandbox_env(sandbox))
        summary, export, quiet, search, piped = await asyncio.gather(
            asyncio.to_thread(_on_a_terminal, ["active", "--summary"], env, tmp_path),
            asyncio.to_thread(_on_a_terminal, ["active", "--csv"], env, tmp_path),
            asyncio.to_thread(_on_a_terminal, ["active", "--summary", "--quiet"], env, tmp_path),
            asyncio.to_thread(_on_a_terminal, ["search", "US"], env, tmp_path),
            asyncio.to_thread(
                subprocess.run,
                [sys.executable, "-m", "bot.cli", "active", "--summary"],
                env=env,
                cwd=tmp_path,
                capture_output=True,
                timeout=60,
                check=False,
            ),
        )
    code, out, terminal = summary
    assert code == 0
    assert "2,500 numbers in 4 regions" in out
    assert "Rented numbers" in terminal
    # Counted against the total Sinch reported, with the pages received so far.
    assert re.search(r"\b2500/2500 \[.*\b[0-9]+ pages\]", terminal), terminal

    # The export (and the plain list) report their pages through the same line.
    code, out, terminal = export
    assert code == 0
    assert out.count("\r\n+") == 2_500
    assert re.search(r"\b2500/2500 \[.*\b[0-9]+ pages\]", terminal), terminal

    assert quiet[0] == 0
    assert "Rented numbers" not in quiet[2]
    assert search[0] == 0
    assert search[2] == ""  # one quick request: no progress line at all

    assert piped.returncode == 0
    assert piped.stderr == b""  # piped: stderr holds only what went wrong
