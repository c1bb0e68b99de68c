"""Place-search fan-out scenario: `python -m bench.place_fanout`.

Runs the real web process against the sandbox twice, with the same injected upstream latency:
once searching one area code (`US LOCAL 312`) and once a place with three (`US LOCAL chicago`:
312, 773, 872; three Sinch searches in parallel). The fan-out is parallel when the place's
end-to-end p50 stays within RATIO_BUDGET of the single code's, with no token fetched on the
request path and no error.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from bench.runner import BenchOptions, ModeResult, run_bench

SINGLE = "US LOCAL 312"
PLACE = "US LOCAL chicago"  # Chicago, IL: area codes 312, 773, 872
RATIO_BUDGET = 1.3


async def _run(text: str, args: argparse.Namespace) -> ModeResult:
    options = BenchOptions(
        commands=args.commands,
        concurrency=args.concurrency,
        c1_commands=args.c1_commands,
        warmup=args.warmup,
        latency_ms=args.latency_ms,
        token_latency_ms=args.latency_ms,
        modes=("proxied",),
        text=text,
    )
    report = await run_bench(options)
    return report.modes["proxied"]


def _line(name: str, result: ModeResult, pass_name: str) -> str:
    run = result.passes[pass_name]
    return (
        f"{name:<18} {pass_name:<5} C={run.concurrency:<3} n={run.answered:<4}"
        f" p50 {run.e2e.p50:7.1f} ms  p95 {run.e2e.p95:7.1f} ms"
        f"  Sinch calls/command {run.numbers_calls / max(run.commands, 1):4.1f}"
        f"  token fetches {run.token_fetches}  errors {run.errors}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.place_fanout", description=__doc__)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--c1-commands", type=int, default=30)
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=40)
    args = parser.parse_args(argv)
    single = asyncio.run(_run(SINGLE, args))
    place = asyncio.run(_run(PLACE, args))
    print(f"upstream latency {args.latency_ms:g} ms per Sinch call")
    ok = True
    for pass_name in ("c1", "load"):
        print(_line(SINGLE, single, pass_name))
        print(_line(PLACE, place, pass_name))
        ratio = place.passes[pass_name].e2e.p50 / single.passes[pass_name].e2e.p50
        print(
            f"{'':<18} {pass_name:<5} place/single p50 ratio {ratio:.2f} (budget ≤ {RATIO_BUDGET})"
        )
        ok = ok and ratio <= RATIO_BUDGET
    fetches = single.request_path_token_fetches + place.request_path_token_fetches
    errors = single.errors + place.errors
    ok = ok and fetches == 0 and errors == 0
    print(
        f"token fetches on the request path {fetches}, errors {errors}: {'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
