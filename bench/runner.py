"""One benchmark run: for each mode, start the stack, warm up, then a C=1 pass and a load pass."""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from bench.load import PassSamples, run_pass, signed_commands
from bench.processes import ManagedProcess, RssSampler, high_water_mark_bytes
from bench.receiver import SlackReceiver
from bench.stack import Mode, Sandbox, Server, start_sandbox, start_server
from bench.stats import Summary, summarize
from bot.core.domain import SEARCH_FETCH_SIZE

MODES: tuple[Mode, ...] = ("floor", "proxied", "naive")
_MAX_ERROR_EXAMPLES = 5
_DIRECT_PROBES = 20


@dataclass(frozen=True)
class BenchOptions:
    commands: int = 500
    concurrency: int = 50
    c1_commands: int = 50
    # Sent at the load's concurrency first, so every pass finds connections already open, as
    # a server that has been up for a while does.
    warmup: int = 100
    latency_ms: float = 100.0
    token_latency_ms: float = 100.0
    # Workers start spread over this long (None: one upstream round trip); 0 starts them at once.
    ramp_ms: float | None = None
    modes: tuple[Mode, ...] = MODES
    smoke: bool = False
    text: str = "US LOCAL"
    token_lifetime: int = 3600
    # Where py-spy writes one collapsed-stack profile per mode's load pass (skews the timings).
    profile_dir: Path | None = None
    # Where each mode's server writes its cProfile stats (<mode>.prof; bench.stages reads them).
    cprofile_dir: Path | None = None
    # The bot's store (unset: its default SQLite file in the scratch directory). Searches do
    # not touch it; the variants show that start-up migration and the store cost them nothing.
    database_url: str | None = None

    @property
    def ramp_seconds(self) -> float:
        return (self.latency_ms if self.ramp_ms is None else self.ramp_ms) / 1000

    def injected_ms(self, mode: Mode) -> float:
        """Upstream latency each command waits for: the Numbers call, plus a token POST if naive."""
        return self.latency_ms + (self.token_latency_ms if mode == "naive" else 0.0)


@dataclass(frozen=True)
class PassResult:
    concurrency: int
    commands: int
    answered: int
    errors: int
    error_examples: tuple[str, ...]
    wall_seconds: float
    ack: Summary
    e2e: Summary
    overhead: Summary
    token_fetches: int
    numbers_calls: int
    server_cpu_seconds: float
    # The other two processes on the machine, for context: they compete for the same CPUs.
    sandbox_cpu_seconds: float
    loadgen_cpu_seconds: float
    # Per command, in sending order: (sent, ms after the pass began; ack ms; end-to-end ms).
    timeline: tuple[tuple[float, float | None, float | None], ...] = ()

    @property
    def throughput(self) -> float:
        return self.answered / self.wall_seconds if self.wall_seconds > 0 else 0.0

    @property
    def cpu_ms_per_command(self) -> float:
        return self._per_command(self.server_cpu_seconds)

    @property
    def sandbox_cpu_ms_per_command(self) -> float:
        return self._per_command(self.sandbox_cpu_seconds)

    @property
    def loadgen_cpu_ms_per_command(self) -> float:
        return self._per_command(self.loadgen_cpu_seconds)

    def _per_command(self, seconds: float) -> float:
        return 1000 * seconds / self.commands if self.commands else 0.0


@dataclass(frozen=True)
class ModeResult:
    mode: Mode
    injected_ms: float
    cold_start_seconds: float
    # A US LOCAL search sent straight to the sandbox, C=1: the floor under the end-to-end time.
    direct_upstream: Summary
    startup_token_fetches: int
    peak_rss_bytes: int
    rss_samples: int
    server_exit_code: int | None
    passes: dict[str, PassResult]

    @property
    def errors(self) -> int:
        return sum(p.errors for p in self.passes.values())

    @property
    def request_path_token_fetches(self) -> int:
        """Token POSTs while commands ran (every pass, warm-up included)."""
        return sum(p.token_fetches for p in self.passes.values())


@dataclass(frozen=True)
class BenchReport:
    options: BenchOptions
    started_at: datetime
    duration_seconds: float
    modes: dict[Mode, ModeResult]
    machine: dict[str, object] = field(default_factory=dict)


async def run_bench(options: BenchOptions) -> BenchReport:
    """Run every mode in ``options.modes`` in turn, each with a fresh sandbox and server."""
    started_at = datetime.now(UTC)
    started = time.perf_counter()
    receiver = SlackReceiver()
    await receiver.start()
    results: dict[Mode, ModeResult] = {}
    try:
        async with aiohttp.ClientSession() as control:
            with tempfile.TemporaryDirectory(prefix="numbers-bench-") as scratch:
                for mode in options.modes:
                    workdir = Path(scratch) / mode
                    workdir.mkdir()
                    results[mode] = await _run_mode(mode, options, receiver, control, workdir)
    finally:
        await receiver.close()
    return BenchReport(
        options=options,
        started_at=started_at,
        duration_seconds=time.perf_counter() - started,
        modes=results,
        machine=_machine(),
    )


async def _run_mode(
    mode: Mode,
    options: BenchOptions,
    receiver: SlackReceiver,
    control: aiohttp.ClientSession,
    workdir: Path,
) -> ModeResult:
    signing_secret = secrets.token_hex(16)
    async with contextlib.AsyncExitStack() as stack:
        sandbox = await start_sandbox(
            control, workdir, latency_ms=options.latency_ms, token_lifetime=options.token_lifetime
        )
        # Not SIGINT: a child of a background job inherits SIGINT ignored. The sandbox keeps
        # nothing worth a graceful stop.
        stack.push_async_callback(_stop, sandbox.process, signal.SIGTERM)
        if options.token_latency_ms > 0:
            await sandbox.delay_token_endpoint(control, options.token_latency_ms / 1000)
        before_start = await sandbox.stats(control)
        server = await start_server(
            control,
            workdir,
            mode,
            sandbox=sandbox,
            slack_api_url=receiver.api_url,
            signing_secret=signing_secret,
            bot_token=f"xoxb-bench-{secrets.token_hex(12)}",
            cprofile=options.cprofile_dir / f"{mode}.prof" if options.cprofile_dir else None,
            extra_env=_server_env(options),
        )
        stack.push_async_callback(_stop, server.process, signal.SIGTERM)
        sampler = RssSampler(server.process.psutil)
        sampler.start()
        stack.callback(sampler.stop)
        after_start = await sandbox.stats(control)
        # What the upstream alone costs at C=1 (latency, the sandbox's own work, loopback):
        # the part of the overhead that is not the bot's.
        direct = [
            await sandbox.direct_search_ms(
                control, region="US", number_type="LOCAL", size=SEARCH_FETCH_SIZE
            )
            for _ in range(_DIRECT_PROBES)
        ]

        # Slack keeps connections to an app warm; so does this client (one per mode).
        connector = aiohttp.TCPConnector(limit=max(options.concurrency, 1), keepalive_timeout=60)
        session = await stack.enter_async_context(aiohttp.ClientSession(connector=connector))
        run = _PassRunner(
            mode, options, receiver, control, session, sandbox, server, signing_secret
        )
        passes = {
            "warmup": await run("warmup", count=options.warmup, concurrency=options.concurrency),
            "c1": await run("c1", count=options.c1_commands, concurrency=1),
            "load": await run(
                "load",
                count=options.commands,
                concurrency=options.concurrency,
                profile=options.profile_dir,
            ),
        }
        hwm = high_water_mark_bytes(server.process.pid) or 0
        sampler.stop()
        exit_code = await _stop(server.process, signal.SIGTERM)
        return ModeResult(
            mode=mode,
            injected_ms=options.injected_ms(mode),
            cold_start_seconds=server.cold_start_seconds,
            direct_upstream=summarize(direct),
            startup_token_fetches=after_start["token_fetches"] - before_start["token_fetches"],
            peak_rss_bytes=max(sampler.peak_bytes, hwm),
            rss_samples=sampler.samples,
            server_exit_code=exit_code,
            passes=passes,
        )
    raise AssertionError("unreachable")  # mypy: AsyncExitStack may swallow exceptions


class _PassRunner:
    """Runs one named pass against a started stack and turns its samples into a PassResult."""

    def __init__(
        self,
        mode: Mode,
        options: BenchOptions,
        receiver: SlackReceiver,
        control: aiohttp.ClientSession,
        session: aiohttp.ClientSession,
        sandbox: Sandbox,
        server: Server,
        signing_secret: str,
    ) -> None:
        self._mode = mode
        self._options = options
        self._receiver = receiver
        self._control = control
        self._session = session
        self._sandbox = sandbox
        self._server = server
        self._secret = signing_secret

    async def __call__(
        self, name: str, *, count: int, concurrency: int, profile: Path | None = None
    ) -> PassResult:
        commands = signed_commands(
            label=f"{self._mode[0]}{name}",
            count=count,
            text=self._options.text,
            secret=self._secret,
            receiver=self._receiver,
        )
        before = await self._sandbox.stats(self._control)
        cpu_before = self._cpu()
        async with _profiled(self._server.process, profile, f"{self._mode}-{name}"):
            samples = await run_pass(
                self._session,
                self._receiver,
                self._server.events_url,
                commands,
                concurrency=concurrency,
                ramp_seconds=self._options.ramp_seconds,
            )
            # The last answers' bookkeeping (audit line, metrics) runs after their post.
            await asyncio.sleep(0.05)
        cpu_after = self._cpu()
        after = await self._sandbox.stats(self._control)
        return _pass_result(
            samples,
            concurrency=concurrency,
            injected_ms=self._options.injected_ms(self._mode),
            token_fetches=after["token_fetches"] - before["token_fetches"],
            numbers_calls=after["numbers_calls_total"] - before["numbers_calls_total"],
            cpu_seconds=tuple(a - b for a, b in zip(cpu_after, cpu_before, strict=True)),
        )

    def _cpu(self) -> tuple[float, float, float]:
        """CPU seconds used so far by the server, the sandbox and this process."""
        return (
            self._server.process.cpu_seconds(),
            self._sandbox.process.cpu_seconds(),
            time.process_time(),
        )


def _pass_result(
    measured: PassSamples,
    *,
    concurrency: int,
    injected_ms: float,
    token_fetches: int,
    numbers_calls: int,
    cpu_seconds: tuple[float, ...],
) -> PassResult:
    samples = measured.samples
    ok = [s for s in samples if s.error is None]
    acks = [s.ack_ms for s in samples if s.ack_ms is not None]
    e2e = [s.e2e_ms for s in ok if s.e2e_ms is not None]
    failures = Counter(s.error for s in samples if s.error is not None)
    return PassResult(
        concurrency=concurrency,
        commands=len(samples),
        answered=len(e2e),
        errors=sum(failures.values()),
        error_examples=tuple(
            f"{count}× {error}" for error, count in failures.most_common(_MAX_ERROR_EXAMPLES)
        ),
        wall_seconds=measured.wall_seconds,
        ack=summarize(acks),
        e2e=summarize(e2e),
        overhead=summarize([value - injected_ms for value in e2e]),
        token_fetches=token_fetches,
        numbers_calls=numbers_calls,
        server_cpu_seconds=cpu_seconds[0],
        sandbox_cpu_seconds=cpu_seconds[1],
        loadgen_cpu_seconds=cpu_seconds[2],
        timeline=tuple(
            ((s.sent - measured.started) * 1000, s.ack_ms, s.e2e_ms)
            for s in sorted(samples, key=lambda s: s.sent)
        ),
    )


async def _stop(process: ManagedProcess, sig: signal.Signals) -> int | None:
    # In a thread: while it drains, the server may still post to the receiver on this loop.
    return await asyncio.to_thread(process.stop, sig)


def py_spy_path() -> str | None:
    """py-spy from PATH or beside this interpreter (a venv's bin), if installed."""
    beside = Path(sys.executable).parent / "py-spy"
    return shutil.which("py-spy") or (str(beside) if beside.exists() else None)


@contextlib.asynccontextmanager
async def _profiled(
    process: ManagedProcess, directory: Path | None, name: str
) -> AsyncIterator[None]:
    """Sample ``process`` with py-spy while the block runs; collapsed stacks to ``name``.txt."""
    if directory is None:
        yield
        return
    executable = py_spy_path()
    if executable is None:
        raise RuntimeError("--profile needs py-spy: .venv/bin/pip install py-spy")
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / f"{name}.py-spy.log").open("wb") as log:
        spy = subprocess.Popen(
            [
                executable,
                "record",
                "--pid",
                str(process.pid),
                "--rate",
                "250",
                "--format",
                "raw",
                "--output",
                str(directory / f"{name}.txt"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            await asyncio.sleep(0.5)  # attaching takes a moment
            yield
        finally:
            spy.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
            try:
                await asyncio.to_thread(spy.wait, 30)
            except subprocess.TimeoutExpired:
                spy.kill()
                spy.wait()


def _machine() -> dict[str, object]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
    }


def _server_env(options: BenchOptions) -> dict[str, str]:
    env: dict[str, str] = {}
    if options.database_url:
        env["DATABASE_URL"] = options.database_url
    if options.smoke:
        # Correctness only: no need to wait seconds for every country's place index.
        env["PLACE_INDEX_WARMUP"] = "false"
    return env
