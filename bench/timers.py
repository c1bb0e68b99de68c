"""`python -m bench.timers`: CPU per command of each stage of a search, measured in-process.

Per-stage timers (``time.process_time``) summed over many commands, without sockets or other
processes, so the numbers hold up on a loaded machine far better than the end-to-end
benchmark's; run the old and the new tree one after the other (or interleaved) to compare a
change. The stages are the real code with real data: the sandbox's 30 US LOCAL offers as JSON
answer the Sinch client through an ``httpx.MockTransport`` (so the aiohttp transport and the
sockets are not in these numbers: the benchmark's server CPU is), and the ack path is the
real Starlette app with the real inbound check, Bolt and listener, driven by really signed
requests, its lookup task closed instead of run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable, MutableMapping, Sequence
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.signature import SignatureVerifier

from bot.app.asgi import create_app
from bot.app.runtime import build_runtime
from bot.commands.parser import parse_command
from bot.core.domain import SEARCH_FETCH_SIZE, SearchQuery
from bot.ops.audit import audit_command, start_trace
from bot.ops.config import Settings
from bot.ops.logging_setup import configure_logging
from bot.sandbox.queries import search_available
from bot.sandbox.state import SandboxState
from bot.search.results import SearchResult
from bot.slack import search_blocks
from bot.slack.delivery import encode_message

_SECRET = "bench-timers-signing-secret"
_TOKEN = "xoxb-bench-timers"
_UNREACHABLE = "http://127.0.0.1:9"  # never contacted: every request is answered in-process


class _Params(dict[str, str]):
    def getlist(self, key: str) -> list[str]:
        return []


def _offers_json() -> bytes:
    params = _Params(regionCode="US", type="LOCAL", size=str(SEARCH_FETCH_SIZE))
    return json.dumps(search_available(SandboxState().catalog, params)).encode()


def _settings() -> Settings:
    return Settings(
        _env_file=None,
        sinch_project_id="bench",
        sinch_key_id="bench",
        sinch_key_secret="bench-secret",
        sinch_auth_url=f"{_UNREACHABLE}/oauth2/token",
        sinch_numbers_url=_UNREACHABLE,
        slack_bot_token=_TOKEN,
        slack_signing_secret=_SECRET,
        slack_api_url=f"{_UNREACHABLE}/api/",
        search_cache_ttl=0,
    )


async def _offline_authorize(**_: Any) -> AuthorizeResult:
    return AuthorizeResult(
        enterprise_id=None, team_id="T1", bot_token=_TOKEN, bot_user_id="U0", bot_id="B0"
    )


def _signed(index: int, text: str) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    form = {
        "team_id": "T1",
        "channel_id": "C1",
        "user_id": f"U{index:08d}",
        "command": "/numbers",
        "text": text,
        "api_app_id": "A1",
        "response_url": f"{_UNREACHABLE}/response/{index}",
        "trigger_id": f"{index}.1.bench",
    }
    body = urlencode(form)
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(_SECRET).generate_signature(timestamp=timestamp, body=body)
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "content-length": str(len(body)),
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": str(signature),
    }
    return body.encode(), [(k.encode(), v.encode()) for k, v in headers.items()]


class Timers:
    """Accumulated CPU seconds per stage, over ``commands`` commands."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.commands = 0

    def add(self, stage: str, seconds: float) -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds


async def _ack_path(timers: Timers, commands: int, text: str) -> None:
    """Starlette route, inbound check, Bolt dispatch, listener (parse, gate, dedup), the ack."""
    app = create_app(_settings(), authorize=_offline_authorize)
    app.inflight.spawn = lambda work: work.close()  # type: ignore[method-assign]
    requests = [_signed(index, text) for index in range(commands)]

    async def send(body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/slack/events",
            "raw_path": b"/slack/events",
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 2),
        }
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        statuses: list[int] = []

        async def receive() -> dict[str, Any]:
            return messages.pop() if messages else {"type": "http.disconnect"}

        async def respond(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        await app.asgi(scope, receive, respond)
        if statuses != [200]:
            raise RuntimeError(f"the ack path answered {statuses}")

    started = time.process_time()
    for body, headers in requests:
        await send(body, headers)
    timers.add("ack path: route, inbound check, Bolt, listener", time.process_time() - started)


async def _lookup_path(timers: Timers, commands: int, text: str) -> None:
    """The lookup task's stages, each timed on its own."""
    offers = _offers_json()

    def sinch(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "t" * 40, "expires_in": 3600})
        return httpx.Response(200, content=offers, headers={"content-type": "application/json"})

    runtime = build_runtime(_settings(), sinch_transport=httpx.MockTransport(sinch))
    await runtime.provider.refresh_if_due()
    query = parse_command(text)
    if not isinstance(query, SearchQuery):
        raise SystemExit(f"bench.timers needs a search, not {text!r}")

    def timed(stage: str, work: Callable[..., Any], *args: Any) -> Any:
        started = time.process_time()
        value = work(*args)
        timers.add(stage, time.process_time() - started)
        return value

    for _ in range(commands):
        timed("parse", parse_command, text)
        start_trace()
        started = time.process_time()
        result = await runtime.service.run(query)
        timers.add("service, Sinch client (httpx), pydantic", time.process_time() - started)
        assert isinstance(result, SearchResult)
        message = timed("Block Kit render", search_blocks.render_search, result)
        timed("JSON encode", encode_message, message)
        timed("audit line and metrics", _audit, runtime.metrics.observe_command, text)
    await runtime.aclose()


def _audit(observe: Callable[[str, str, float], None], text: str) -> None:
    audit_command(
        team_id="T1",
        channel_id="C1",
        user_id="U1",
        text=text,
        kind="search",
        outcome="ok",
        result_count=10,
        upstream_calls=1,
        latency_ms=101.0,
    )
    observe("search", "ok", 0.101)


async def measure(commands: int, text: str) -> dict[str, float]:
    """Microseconds of CPU per command for each stage (after a warm-up of the same size)."""
    for _ in range(2):  # the first round warms caches and imports, as a running server has
        timers = Timers()
        await _ack_path(timers, commands, text)
        await _lookup_path(timers, commands, text)
    return {stage: 1e6 * seconds / commands for stage, seconds in timers.seconds.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.timers", description=__doc__)
    parser.add_argument("--commands", type=int, default=2000, help="commands per round (2000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the median is shown (3)")
    parser.add_argument("--text", default="US LOCAL", help="a search (US LOCAL)")
    args = parser.parse_args(argv)
    # The audit line is written as in production (JSON, redacted), to a sink.
    with open(os.devnull, "w", encoding="utf-8") as sink:
        configure_logging("INFO", json_lines=True)
        handler = logging.getLogger().handlers[0]
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(sink)
        rounds = [asyncio.run(measure(args.commands, args.text)) for _ in range(args.rounds)]
    print(f"CPU per command, in-process, median of {args.rounds} x {args.commands} commands (us)")
    total = 0.0
    for stage in rounds[0]:
        value = statistics.median(r[stage] for r in rounds)
        total += value
        print(f"  {stage:<50} {value:8.1f}")
    print(f"  {'total':<50} {total:8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
