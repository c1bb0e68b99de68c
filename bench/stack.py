"""One mode's stack: the sandbox (`python -m bot.cli sandbox`) and the bot's web process."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import aiohttp

from bench.processes import ManagedProcess, ProcessFailed, child_env, free_port, wait_until_ok
from bot.sandbox.state import SANDBOX_KEY_ID, SANDBOX_KEY_SECRET, SANDBOX_PROJECT_ID

Mode = Literal["floor", "proxied", "naive"]

# The real path is exactly the Procfile's `web: python -m bot`.
SERVER_ARGS: dict[Mode, tuple[str, ...]] = {
    "floor": ("-m", "bench.floor_server"),
    "proxied": ("-m", "bot"),
    "naive": ("-m", "bench.naive_server"),
}
# The sandbox's public fictional key (bot.sandbox), which its Numbers API also takes directly.
_SANDBOX_BASIC = {"Authorization": aiohttp.encode_basic_auth(SANDBOX_KEY_ID, SANDBOX_KEY_SECRET)}
_START_ATTEMPTS = 3  # a port picked free can be taken before the child binds it
_SANDBOX_READY_TIMEOUT = 20.0
SERVER_READY_TIMEOUT = 30.0


@dataclass
class Sandbox:
    process: ManagedProcess
    base_url: str

    async def stats(self, session: aiohttp.ClientSession) -> dict[str, Any]:
        async with session.get(f"{self.base_url}/_sandbox/stats") as response:
            response.raise_for_status()
            stats: dict[str, Any] = await response.json()
            return stats

    async def direct_search_ms(
        self, session: aiohttp.ClientSession, *, region: str, number_type: str, size: int
    ) -> float:
        """One search sent straight to the sandbox (HTTP Basic, so no token is fetched)."""
        url = f"{self.base_url}/v1/projects/{SANDBOX_PROJECT_ID}/availableNumbers"
        params = {"regionCode": region, "type": number_type, "size": str(size)}
        sent = time.perf_counter()
        async with session.get(url, params=params, headers=_SANDBOX_BASIC) as response:
            await response.read()
            response.raise_for_status()
        return (time.perf_counter() - sent) * 1000

    async def delay_token_endpoint(self, session: aiohttp.ClientSession, seconds: float) -> None:
        """Give the token endpoint the same real (asyncio.sleep) latency as the Numbers API.

        `numbers-bot sandbox` has no flag for it; a delay-only fault without a limit is the
        sandbox's documented way (bot.sandbox.control).
        """
        fault = {"target": "token", "delay": seconds, "times": None}
        async with session.post(f"{self.base_url}/_sandbox/faults", json=fault) as response:
            response.raise_for_status()


async def start_sandbox(
    session: aiohttp.ClientSession,
    workdir: Path,
    *,
    latency_ms: float,
    token_lifetime: int,
    extra_args: Sequence[str] = (),
) -> Sandbox:
    for attempt in range(1, _START_ATTEMPTS + 1):
        port = free_port()
        args = [
            "-m",
            "bot.cli",
            "sandbox",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--latency-ms",
            str(latency_ms),
            "--token-lifetime",
            str(token_lifetime),
            *extra_args,
        ]
        process = ManagedProcess("sandbox", args, env=child_env({}), workdir=workdir)
        base_url = f"http://127.0.0.1:{port}"
        try:
            await wait_until_ok(
                session, f"{base_url}/_sandbox/stats", process, timeout=_SANDBOX_READY_TIMEOUT
            )
        except ProcessFailed:
            process.stop()
            if attempt == _START_ATTEMPTS or not _port_taken(process):
                raise
            continue
        except BaseException:
            process.stop()
            raise
        return Sandbox(process, base_url)
    raise AssertionError("unreachable")


@dataclass
class Server:
    process: ManagedProcess
    base_url: str
    cold_start_seconds: float

    @property
    def events_url(self) -> str:
        return f"{self.base_url}/slack/events"


def server_env(
    *,
    port: int,
    sandbox: Sandbox,
    slack_api_url: str,
    signing_secret: str,
    bot_token: str,
    extra_env: Mapping[str, str] | None = None,
) -> dict[str, str]:
    return child_env(
        {
            "PORT": str(port),
            "SLACK_BOT_TOKEN": bot_token,
            "SLACK_SIGNING_SECRET": signing_secret,
            "SLACK_API_URL": slack_api_url,
            "SINCH_AUTH_URL": f"{sandbox.base_url}/oauth2/token",
            "SINCH_NUMBERS_URL": sandbox.base_url,
            "SINCH_PROJECT_ID": SANDBOX_PROJECT_ID,
            "SINCH_KEY_ID": SANDBOX_KEY_ID,
            "SINCH_KEY_SECRET": SANDBOX_KEY_SECRET,
            # Identical commands would otherwise be answered from the 30 s search cache and
            # never reach the upstream whose latency the benchmark injects.
            "SEARCH_CACHE_TTL": "0",
            "LOG_LEVEL": "INFO",
            **(extra_env or {}),
        }
    )


async def start_server(
    session: aiohttp.ClientSession,
    workdir: Path,
    mode: Mode,
    *,
    sandbox: Sandbox,
    slack_api_url: str,
    signing_secret: str,
    bot_token: str,
    extra_env: Mapping[str, str] | None = None,
    cprofile: Path | None = None,
) -> Server:
    """Start the web process and wait for /readyz 200; the cold start is measured from Popen.

    With ``cprofile``, the process runs under cProfile (bench.profiled), stats written there.
    """
    args = SERVER_ARGS[mode]
    if cprofile is not None:
        args = ("-m", "bench.profiled", str(cprofile), *args)
    for attempt in range(1, _START_ATTEMPTS + 1):
        port = free_port()
        env = server_env(
            port=port,
            sandbox=sandbox,
            slack_api_url=slack_api_url,
            signing_secret=signing_secret,
            bot_token=bot_token,
            extra_env=extra_env,
        )
        started = time.perf_counter()
        process = ManagedProcess(f"server-{mode}", args, env=env, workdir=workdir)
        base_url = f"http://127.0.0.1:{port}"
        try:
            ready = await wait_until_ok(
                session, f"{base_url}/readyz", process, timeout=SERVER_READY_TIMEOUT
            )
        except ProcessFailed:
            process.stop()
            if attempt == _START_ATTEMPTS or not _port_taken(process):
                raise
            continue
        except BaseException:
            process.stop()
            raise
        if mode != "floor" and env.get("PLACE_INDEX_WARMUP", "true").lower() != "false":
            await _place_indexes_built(process)
        return Server(process, base_url, ready - started)
    raise AssertionError("unreachable")


# The bot builds every country's place index in a child process after start-up (several
# seconds of a core): the load waits for it, so the passes measure the steady state rather
# than a command path sharing two cores with that build.
_WARMUP_DONE = ("place indexes ready", "place index warm-up failed")
_WARMUP_TIMEOUT = 120.0


async def _place_indexes_built(process: ManagedProcess) -> None:
    deadline = time.perf_counter() + _WARMUP_TIMEOUT
    while not any(line in process.log_tail(200) for line in _WARMUP_DONE):
        if process.exited():
            raise process.failure("exited during the place-index warm-up")
        if time.perf_counter() > deadline:
            raise process.failure(f"built no place indexes within {_WARMUP_TIMEOUT:.0f} s")
        await asyncio.sleep(0.1)  # a harness polling its child's log file


def _port_taken(process: ManagedProcess) -> bool:
    return "address already in use" in process.log_tail().lower()
