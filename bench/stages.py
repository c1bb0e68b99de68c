"""`python -m bench.stages PROF [PROF...]`: the command path's stages from a `--cprofile` run.

Reads the cProfile stats the bot's server wrote during `python -m bench --cprofile DIR` and
prints, per stage of a /numbers search, the profiled time per command and its share of the time
the event loop spent running (everything but waiting in epoll). cProfile slows Python code more
than C code and counts wall time, so the absolute times are inflated (more so on a loaded
machine); the shares and the calls per command are what to compare between two trees.
"""

from __future__ import annotations

import pstats
import sys
from collections.abc import Sequence
from dataclasses import dataclass

# (file suffix, function name); a function's time is its cumulative time, all calls.
_Fn = tuple[str, str]


@dataclass(frozen=True)
class Stage:
    name: str
    includes: tuple[_Fn, ...]
    # Called inside ``includes`` and counted in a stage of their own.
    excludes: tuple[_Fn, ...] = ()


_HANDLE = ("bot/slack/inbound.py", "handle")
_DISPATCH = ("slack_bolt/app/async_app.py", "async_dispatch")
_ON_COMMAND = ("bot/slack/listeners.py", "on_command")
_PARSE = ("bot/commands/parser.py", "parse_command")
_GATE = ("bot/slack/gate.py", "refusal")
_SERVICE = ("bot/search/service.py", "run")
_SINCH = ("bot/sinch/client.py", "available_numbers")
_PYDANTIC = ("bot/sinch/client.py", "_parse")
_RENDER = ("bot/slack/listeners.py", "_render")
_FINISH = ("bot/slack/listeners.py", "finish")
_SEND = ("bot/slack/delivery.py", "send")
_DUMPS = ("json/__init__.py", "dumps")
_ENCODE = ("bot/slack/delivery.py", "encode_message")
_PHONE = ("bot/core/phone.py", "")

STAGES = (
    Stage("inbound check (body cap, HMAC, Bolt request)", (_HANDLE,), (_DISPATCH,)),
    Stage("Bolt dispatch (middleware, authorize, ack)", (_DISPATCH,), (_ON_COMMAND,)),
    Stage("listener: dedup, audit start, spawn", (_ON_COMMAND,), (_PARSE, _GATE)),
    Stage("parse", (_PARSE,)),
    Stage("gate (allowlists, rate limit)", (_GATE,)),
    Stage("service (validation, cache, fan-out)", (_SERVICE,), (_SINCH,)),
    Stage("Sinch client (httpx, aiohttp, token, retry)", (_SINCH,), (_PYDANTIC,)),
    Stage("pydantic parse of 30 numbers", (_PYDANTIC,)),
    Stage("Block Kit render", (_RENDER,), (_PHONE,)),
    Stage("phone formatting and locality (cache misses)", (_PHONE,)),
    Stage("JSON encode (the reply, dedup keys, log lines)", (_DUMPS, _ENCODE)),
    Stage("response_url POST (aiohttp)", (_SEND,), (_DUMPS, _ENCODE)),
    Stage("audit line and metrics", (_FINISH,)),
)
_LOOP = ("asyncio/base_events.py", "_run_once")
_IDLE = ("~", "<method 'poll' of 'select.epoll' objects>")


@dataclass(frozen=True)
class StageTime:
    name: str
    calls_per_command: float
    ms_per_command: float
    share: float


def _matches(key: tuple[str, int, str], fn: _Fn) -> bool:
    path, _, name = key
    suffix, wanted = fn
    return path.endswith(suffix) and (not wanted or name == wanted)


def _top_level(stats: dict, fn: _Fn) -> tuple[float, int]:  # type: ignore[type-arg]
    """Cumulative seconds and calls of ``fn``, not counting its calls from itself (recursion)."""
    seconds, calls = 0.0, 0
    for key, (_, primitive, _, cumulative, callers) in stats.items():
        if _matches(key, fn) and not all(_matches(c, fn) for c in callers):
            seconds += cumulative
            calls += primitive
    return seconds, calls


def _called_from(stats: dict, fn: _Fn, parents: Sequence[_Fn]) -> float:  # type: ignore[type-arg]
    """Cumulative seconds of ``fn`` on calls made directly by one of ``parents``."""
    total = 0.0
    for key, (*_, callers) in stats.items():
        if not _matches(key, fn):
            continue
        for caller, edge in callers.items():
            if any(_matches(caller, parent) for parent in parents):
                total += edge[3]
    return total


def _within(stats: dict, fn: _Fn, parents: Sequence[_Fn]) -> float:  # type: ignore[type-arg]
    """``fn``'s time under ``parents``: direct calls, or all of it for a nested stage."""
    direct = _called_from(stats, fn, parents)
    return direct if direct > 0 else _top_level(stats, fn)[0]


def stage_times(path: str) -> tuple[int, list[StageTime]]:
    stats = pstats.Stats(path).stats  # type: ignore[attr-defined]
    commands = _top_level(stats, _HANDLE)[1]
    if not commands:
        raise ValueError(f"{path}: no /slack/events request of the bot's (bot.slack.inbound)")
    busy = _top_level(stats, _LOOP)[0] - _top_level(stats, _IDLE)[0]
    rows = []
    accounted = 0.0
    for stage in STAGES:
        seconds, calls = 0.0, 0
        for fn in stage.includes:
            s, c = _top_level(stats, fn)
            seconds, calls = seconds + s, calls + c
        for fn in stage.excludes:
            seconds -= _within(stats, fn, stage.includes)
        accounted += seconds
        rows.append(StageTime(stage.name, calls / commands, 1000 * seconds / commands, 0.0))
    rows.append(
        StageTime("uvicorn, h11, Starlette, asyncio (the rest)", 1.0, 0.0, 0.0)
        if busy <= accounted
        else StageTime(
            "uvicorn, h11, Starlette, asyncio (the rest)",
            1.0,
            1000 * (busy - accounted) / commands,
            0.0,
        )
    )
    total = sum(r.ms_per_command for r in rows) or 1.0
    return commands, [
        StageTime(r.name, r.calls_per_command, r.ms_per_command, r.ms_per_command / total)
        for r in rows
    ]


def render(path: str) -> str:
    try:
        commands, rows = stage_times(path)
    except ValueError as exc:
        return str(exc)
    width = max(len(r.name) for r in rows)
    lines = [
        f"{path}: {commands} commands",
        f"{'stage'.ljust(width)}  calls/cmd  ms/cmd (profiled)  share",
    ]
    for r in rows:
        lines.append(
            f"{r.name.ljust(width)}  {r.calls_per_command:9.1f}  {r.ms_per_command:17.3f}"
            f"  {100 * r.share:4.0f} %"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    paths = list(sys.argv[1:] if argv is None else argv)
    if not paths:
        print("usage: python -m bench.stages PROF [PROF...]", file=sys.stderr)
        return 2
    print("\n\n".join(render(path) for path in paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
