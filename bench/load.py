"""The load generator: really signed /numbers commands, timed from send to ack and to answer."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from bench.receiver import SlackReceiver

ACK_TIMEOUT = 10.0
# The bot promises an answer within 13 s of a command (bot.slack.listeners.ANSWER_BUDGET).
ANSWER_TIMEOUT = 15.0
_ANSWER = re.compile(r"^\d+ available ")  # bot.slack.search_blocks.render_search with results


@dataclass(frozen=True)
class SignedCommand:
    key: str
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Sample:
    """One command: milliseconds from send to the ack and to the response_url post, or an error.

    ``sent`` is its ``time.perf_counter()`` at sending, to place it in the pass's timeline.
    """

    sent: float
    ack_ms: float | None
    e2e_ms: float | None
    error: str | None = None


@dataclass(frozen=True)
class PassSamples:
    samples: list[Sample]
    started: float  # time.perf_counter() when the pass began
    wall_seconds: float


def signed_commands(
    *, label: str, count: int, text: str, secret: str, receiver: SlackReceiver
) -> list[SignedCommand]:
    """``count`` signed /numbers forms, each from its own user and with its own response_url.

    Signed up front so signing is not charged to the latency; Slack's signatures stay valid
    for five minutes, far longer than a pass takes.
    """
    verifier = SignatureVerifier(secret)
    timestamp = str(int(time.time()))
    commands = []
    for index in range(count):
        key = f"{label}-{index}"
        form: dict[str, str] = {
            "token": "unused",
            "team_id": "TBENCH",
            "team_domain": "bench",
            "channel_id": "CBENCH",
            "channel_name": "bench",
            # One user per command: the per-user rate limit stays as configured in production.
            "user_id": f"U{label.upper()}{index:06d}",
            "user_name": "bench",
            "command": "/numbers",
            "text": text,
            "api_app_id": "ABENCH",
            "is_enterprise_install": "false",
            "response_url": receiver.response_url(key),
            "trigger_id": f"{index}.1.bench",
        }
        body = urlencode(form)
        signature = verifier.generate_signature(timestamp=timestamp, body=body)
        assert signature is not None  # None only when timestamp or body is missing
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
        }
        commands.append(SignedCommand(key=key, body=body.encode(), headers=headers))
    return commands


async def run_pass(
    session: aiohttp.ClientSession,
    receiver: SlackReceiver,
    url: str,
    commands: list[SignedCommand],
    *,
    concurrency: int,
    ramp_seconds: float = 0.0,
) -> PassSamples:
    """Send ``commands``, ``concurrency`` at a time (closed loop: a slot frees on its answer).

    The workers start evenly spread over ``ramp_seconds``. With a fixed upstream latency,
    commands started together stay together: a ramp of one round trip turns the opening burst
    of ``concurrency`` simultaneous commands into the steady stream that follows it.
    """
    samples: list[Sample | None] = [None] * len(commands)
    pending: Iterator[int] = iter(range(len(commands)))
    workers = max(1, concurrency)

    async def worker(number: int) -> None:
        await asyncio.sleep(ramp_seconds * number / workers)
        # One shared iterator: taking the next index involves no await, so no index runs twice.
        for index in pending:
            samples[index] = await _one(session, receiver, url, commands[index])

    started = time.perf_counter()
    await asyncio.gather(*(worker(number) for number in range(workers)))
    wall = time.perf_counter() - started
    return PassSamples([s for s in samples if s is not None], started, wall)


async def _one(
    session: aiohttp.ClientSession, receiver: SlackReceiver, url: str, command: SignedCommand
) -> Sample:
    answer = receiver.expect(command.key)
    sent = time.perf_counter()
    try:
        async with session.post(
            url,
            data=command.body,
            headers=command.headers,
            timeout=aiohttp.ClientTimeout(total=ACK_TIMEOUT),
        ) as response:
            status = response.status
            raw = await response.read()
        acked = time.perf_counter()
    except (aiohttp.ClientError, TimeoutError) as exc:
        receiver.forget(command.key)
        return Sample(sent, None, None, f"ack failed: {type(exc).__name__}")
    ack_ms = (acked - sent) * 1000
    problem = _ack_problem(status, raw)
    if problem is not None:
        receiver.forget(command.key)
        return Sample(sent, ack_ms, None, problem)
    try:
        delivery = await asyncio.wait_for(answer, ANSWER_TIMEOUT)
    except TimeoutError:
        receiver.forget(command.key)
        return Sample(sent, ack_ms, None, f"no response_url message within {ANSWER_TIMEOUT:g} s")
    e2e_ms = (delivery.arrived - sent) * 1000
    text = str(delivery.message.get("text", ""))
    if not _ANSWER.match(text):
        return Sample(sent, ack_ms, e2e_ms, f"answer was not a result: {text[:80]!r}")
    return Sample(sent, ack_ms, e2e_ms)


def _ack_problem(status: int, raw: bytes) -> str | None:
    # A lookup is acked with an empty 200 (Slack shows nothing); its answer is the
    # response_url message.
    if status != 200:
        return f"ack HTTP {status}"
    if raw:
        return f"ack had a body: {raw[:80]!r}"
    return None
