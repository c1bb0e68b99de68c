"""Measure what place search costs: `python -m bench.place_index [CC…]` and `--all`.

Each calling code is measured in a fresh interpreter (a built index is cached for the life of
the process), after the imports and the region-name index a running bot already has, so the
numbers are the extra cost of the first place search. Prints the median of ``--runs`` runs.

``--all`` measures what the bot does at start-up (bot/commands/place_build.py): every
country's index built in a child process and unpickled in a thread. It prints the bot's own
CPU time and resident-memory growth for that (the budget: 30 MB for all countries), then the
CPU time a search spends before the ack on words no place or keyword has (the budget: 1 ms at
the 99th percentile) and on one-letter typos of cities. CPU time, not wall time: the machine
may be shared, and another process's load must not count as ours.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from typing import Any

_PROBE = """
import json, resource, sys, time
import bot.commands.places as places
from bot.commands.regions import lookup_region
from bot.core.phone import locality
lookup_region("us"); locality("+12065550100")  # what a bot that answered one search holds
def rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() // 1024
before, peak_before = rss_kib(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
index = places._index(sys.argv[1])
elapsed = time.perf_counter() - started
print(json.dumps({
    "ms": elapsed * 1000,
    "rss_mib": (rss_kib() - before) / 1024,
    "peak_mib": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024,
    "places": len(index.names),
}))
"""


_ALL_PROBE = """
import gc, json, random, resource, string, sys, time
from bot.commands import place_build, places
from bot.commands.parser import parse_command
from bot.commands.regions import lookup_region
from bot.core.errors import CommandError
from bot.core.phone import locality
lookup_region("us"); locality("+12065550100"); parse_command("US LOCAL")
def rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() // 1024
before, cpu, wall = rss_kib(), time.process_time(), time.perf_counter()
warmup = place_build.Warmup()
warmup.start()
warmup.done.wait()
gc.collect()
loaded = {"cpu_ms": (time.process_time() - cpu) * 1000, "wall_s": time.perf_counter() - wall,
          "rss_mib": (rss_kib() - before) / 1024, "indexes": len(places._indexes)}
def cost(words):
    samples = []
    for word in words:
        started = time.process_time_ns()
        try:
            parse_command(word)
        except CommandError:
            pass
        samples.append((time.process_time_ns() - started) / 1e6)
    samples.sort()
    return {"p50_ms": samples[len(samples) // 2], "p99_ms": samples[len(samples) * 99 // 100]}
rng = random.Random(21)
unknown = ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 12)))
           for _ in range(3000)]
typos = ["seatle", "chicgo", "manchster", "philadelpia", "stokholm", "torronto", "bostn",
         "san fransisco", "denvr", "houstin", "londn", "amsterdm"] * 25
loaded["unknown"] = cost(unknown)
places.find_anywhere.cache_clear()
loaded["typos"] = cost(typos)
print(json.dumps(loaded))
"""


def measure_all() -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", _ALL_PROBE], check=True, capture_output=True, text=True
    ).stdout
    result: dict[str, Any] = json.loads(out)
    return result


def measure(calling_code: str, runs: int) -> dict[str, float]:
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", _PROBE, calling_code],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        samples.append(json.loads(out))
    return {key: statistics.median(s[key] for s in samples) for key in samples[0]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("codes", nargs="*", default=["1", "44", "46", "49"])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--all", action="store_true", help="every country, as at start-up")
    args = parser.parse_args(argv)
    if args.all:
        m = measure_all()
        print(
            f"all {m['indexes']} calling codes: child build {m['wall_s']:.1f} s wall;"
            f" the bot {m['cpu_ms']:.0f} ms CPU, +{m['rss_mib']:.1f} MiB RSS"
        )
        for kind in ("unknown", "typos"):
            print(
                f"  {kind:<8} word before the ack: p50 {m[kind]['p50_ms']:.3f} ms,"
                f" p99 {m[kind]['p99_ms']:.3f} ms CPU"
            )
        return 0
    print(f"{'code':>5} {'build ms':>9} {'+RSS MiB':>9} {'+peak MiB':>10} {'places':>7}")
    for code in args.codes:
        m = measure(code, args.runs)
        print(
            f"{'+' + code:>5} {m['ms']:9.1f} {m['rss_mib']:9.1f} {m['peak_mib']:10.1f}"
            f" {int(m['places']):7d}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
