"""The Procfile's process for real: `python -m bot` on a port, SIGTERM drain, `serve --sandbox`."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import tempfile
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import httpx
import pytest

from bot.sandbox import (
    SANDBOX_KEY_ID,
    SANDBOX_KEY_SECRET,
    SANDBOX_PROJECT_ID,
    SandboxConfig,
    SandboxServer,
)
from tests.slack_stub import BOT_TOKEN, SIGNING_SECRET, SlackStub, command_body, signed_headers

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class BotProcess:
    def __init__(self, proc: asyncio.subprocess.Process, port: int) -> None:
        self.proc = proc
        self.url = f"http://127.0.0.1:{port}"

    async def wait_ready(self, client: httpx.AsyncClient, timeout: float = 20.0) -> None:
        async with asyncio.timeout(timeout):
            while True:
                try:
                    if (await client.get(f"{self.url}/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)


@pytest.fixture
async def slack() -> AsyncIterator[SlackStub]:
    async with SlackStub() as stub:
        yield stub


async def start(args: list[str], env: Mapping[str, str], port: int) -> BotProcess:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        cwd=REPO,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin"),
            "PORT": str(port),
            # Not the checkout's numbers-bot.db: each process gets its own store unless told.
            "DATABASE_URL": f"sqlite:///{tempfile.mkdtemp(prefix='numbers-bot-')}/store.db",
            **env,
        },
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    return BotProcess(proc, port)


async def stop(bot: BotProcess) -> None:
    if bot.proc.returncode is None:
        bot.proc.kill()
        await bot.proc.wait()


async def test_sigterm_answers_in_flight_commands_then_exits(slack: SlackStub) -> None:
    # Sinch answers after 1 s, so the command is still in flight when SIGTERM arrives.
    async with SandboxServer(SandboxConfig(latency=1.0)) as sandbox:
        port = free_port()
        env = {
            "SINCH_AUTH_URL": sandbox.auth_url,
            "SINCH_NUMBERS_URL": sandbox.numbers_url,
            "SINCH_PROJECT_ID": SANDBOX_PROJECT_ID,
            "SINCH_KEY_ID": SANDBOX_KEY_ID,
            "SINCH_KEY_SECRET": SANDBOX_KEY_SECRET,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
        }
        bot = await start(["-m", "bot"], env, port)
        try:
            async with httpx.AsyncClient() as client:
                await bot.wait_ready(client)
                body = command_body("US LOCAL", slack.response_url("drain"))
                ack = await client.post(
                    f"{bot.url}/slack/events", content=body, headers=signed_headers(body)
                )
                assert ack.status_code == 200
                assert slack.messages == []  # the answer is still on its way
                bot.proc.send_signal(signal.SIGTERM)
                async with asyncio.timeout(10):
                    code = await bot.proc.wait()
                # uvicorn shuts down gracefully, then re-raises the signal it caught.
                assert code in (0, -signal.SIGTERM)
                assert len(slack.messages) == 1
                assert "+1 206-555-01" in str(slack.messages[0])
                with pytest.raises(httpx.ConnectError):
                    await client.get(f"{bot.url}/healthz")
        finally:
            await stop(bot)


async def test_serve_sandbox_runs_the_slack_app_against_the_builtin_sandbox(
    slack: SlackStub,
) -> None:
    port = free_port()
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
    }
    bot = await start(["-m", "bot.cli", "serve", "--sandbox"], env, port)
    try:
        async with httpx.AsyncClient() as client:
            await bot.wait_ready(client)
            body = command_body("SE MOBILE", slack.response_url("sbx"))
            ack = await client.post(
                f"{bot.url}/slack/events", content=body, headers=signed_headers(body)
            )
            assert ack.status_code == 200
            message = (await slack.wait_for(1))[0]
            text = str(message)
            assert "+46 7" in text
            assert "andbox" in text  # the reply says it is sandbox data
    finally:
        await stop(bot)


@pytest.mark.parametrize("args", [["-m", "bot"], ["-m", "bot.cli", "serve", "--sandbox"]])
async def test_port_in_use_is_one_line_and_exit_2(args: list[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            "SINCH_PROJECT_ID": SANDBOX_PROJECT_ID,
            "SINCH_KEY_ID": SANDBOX_KEY_ID,
            "SINCH_KEY_SECRET": SANDBOX_KEY_SECRET,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        }
        bot = await start(args, env, port)
        try:
            async with asyncio.timeout(20):
                _, stderr = await bot.proc.communicate()
        finally:
            await stop(bot)

    lines = stderr.decode().strip().splitlines()
    assert bot.proc.returncode == 2
    assert len(lines) == 1  # no traceback, no scheduler noise
    assert lines[0].startswith(f"numbers-bot: port {port} is already in use (PORT)")


async def test_refused_socket_mode_token_still_serves_health_and_stops_on_sigterm(
    slack: SlackStub,
) -> None:
    slack.refuse_app_token = True
    port = free_port()
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": "xapp-1-refused-0123456789",
        "SLACK_API_URL": slack.api_url,
    }
    bot = await start(["-m", "bot.cli", "serve", "--sandbox"], env, port)
    try:
        async with httpx.AsyncClient() as client:
            async with asyncio.timeout(20):
                while True:  # PORT binds although Slack refuses the app token
                    try:
                        readyz = await client.get(f"{bot.url}/readyz")
                    except httpx.TransportError:
                        readyz = None
                    if readyz is not None and "SLACK_APP_TOKEN refused" in readyz.text:
                        break
                    await asyncio.sleep(0.05)
            assert readyz.status_code == 503
            assert "Socket Mode not connected: SLACK_APP_TOKEN refused by Slack (invalid_auth)" in (
                readyz.text
            )
            assert (await client.get(f"{bot.url}/healthz")).status_code == 200
            await slack.wait_for_api_calls("apps.connections.open", 2)  # it does retry
            bot.proc.send_signal(signal.SIGTERM)
            async with asyncio.timeout(10):  # the drain time (8 s) and a little
                _, stderr = await bot.proc.communicate()
        assert bot.proc.returncode in (0, -signal.SIGTERM)
        logged = stderr.decode()
        assert logged.count("Socket Mode cannot connect") == 1  # one ERROR for the streak
        assert "Traceback" not in logged
        assert "xapp-1-refused" not in logged
    finally:
        await stop(bot)
