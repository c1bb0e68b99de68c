"""The processes under test: the Sinch sandbox and the bot's web process, plus what watches them."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import aiohttp

# No stubs in the dev extras; types-psutil would make the ignore unused, hence unused-ignore.
import psutil  # type: ignore[import-untyped, unused-ignore]

REPO_ROOT = Path(__file__).resolve().parents[1]

# Settings the bot reads from the environment: the children get exactly what the bench sets.
_BOT_ENV_PREFIXES = (
    "SLACK_",
    "SINCH_",
    "ALLOWED_",
    "ACCESS_CONTACT",
    "PORT",
    "SEARCH_CACHE",
    "ACTIVE_CACHE",
    "USER_RATE",
    "LOG_LEVEL",
    "DATABASE_URL",
    "APPROVAL_TTL",
    "RENT_",
    "WATCH_",
    "PLACE_INDEX_WARMUP",
)
_POLL_INTERVAL = 0.005  # readiness polling: the cold start is measured to about this much
_STOP_TIMEOUT = 15.0


class ProcessFailed(RuntimeError):
    """A child process exited or never became ready; the message ends with its log's tail."""


def free_port() -> int:
    """An ephemeral port on 127.0.0.1 that was free a moment ago (the children need a number)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_env(settings: Mapping[str, str]) -> dict[str, str]:
    """This environment without any bot setting, plus ``settings`` and the repo on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_BOT_ENV_PREFIXES)}
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(REPO_ROOT) + (os.pathsep + path if path else "")
    env.update(settings)
    return env


class ManagedProcess:
    """A child Python process whose output goes to a log file; stop() always reaps it."""

    def __init__(
        self, name: str, args: Sequence[str], *, env: Mapping[str, str], workdir: Path
    ) -> None:
        self.name = name
        self.log_path = workdir / f"{name}.log"
        self._log = self.log_path.open("wb")
        try:
            # cwd is a scratch directory: a developer's .env in the repo must not leak in.
            self.popen = subprocess.Popen(
                [sys.executable, *args],
                env=dict(env),
                cwd=workdir,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
            )
        except BaseException:
            self._log.close()
            raise
        try:
            self.psutil = psutil.Process(self.popen.pid)
        except psutil.Error:  # it died at once: reap it; the caller reads its log
            self.stop()
            raise ProcessFailed(f"{name} exited at once:\n{self.log_tail()}") from None

    @property
    def pid(self) -> int:
        return self.popen.pid

    def exited(self) -> bool:
        return self.popen.poll() is not None

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text("utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def failure(self, what: str) -> ProcessFailed:
        code = self.popen.poll()
        status = f" (exit code {code})" if code is not None else ""
        return ProcessFailed(f"{self.name} {what}{status}; last log lines:\n{self.log_tail()}")

    def cpu_seconds(self) -> float:
        times = self.psutil.cpu_times()
        return float(times.user + times.system)

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        """Ask the process to stop with ``sig``; kill it if it has not within the timeout."""
        try:
            if self.popen.poll() is None:
                self.popen.send_signal(sig)
                try:
                    self.popen.wait(_STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    self.popen.kill()
                    self.popen.wait()
            return self.popen.returncode
        finally:
            self._log.close()


async def wait_until_ok(
    session: aiohttp.ClientSession, url: str, process: ManagedProcess, *, timeout: float
) -> float:
    """Poll ``url`` until it answers 200; returns ``time.perf_counter()`` of that answer."""
    deadline = time.perf_counter() + timeout
    while True:
        if process.exited():
            raise process.failure("exited before it was ready")
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=1.0)) as response:
                await response.read()
                if response.status == 200:
                    return time.perf_counter()
        if time.perf_counter() > deadline:
            raise process.failure(f"was not ready within {timeout:g} s")
        await asyncio.sleep(_POLL_INTERVAL)


class RssSampler:
    """Samples a process's resident set size from a thread, so a busy event loop skews nothing."""

    def __init__(self, process: psutil.Process, *, interval: float = 0.02) -> None:
        self._process = process
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self.peak_bytes = 0
        self.samples = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                rss = self._process.memory_info().rss
            except psutil.Error:  # gone, or a zombie: nothing more to sample
                return
            self.peak_bytes = max(self.peak_bytes, rss)
            self.samples += 1
            self._stop.wait(self._interval)


def high_water_mark_bytes(pid: int) -> int | None:
    """The kernel's own peak RSS (Linux ``VmHWM``), a check on the sampled peak; else None."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None
