"""Measure what building one country's place index costs: `python -m bench.place_index [CC…]`.

Each calling code is measured in a fresh interpreter (a built index is cached for the life of
the process), after the imports and the region-name index a running bot already has, so the
numbers are the extra cost of the first place search. Prints the median of ``--runs`` runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

_PROBE = """
import json, resource, sys, time
import bot.commands.places as places
from bot.commands.regions import lookup_region
from bot.phone import locality
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
    args = parser.parse_args(argv)
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
