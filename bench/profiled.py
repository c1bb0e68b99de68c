"""`python -m bench.profiled OUT -m MODULE`: run a server module under cProfile, stats to OUT.

The benchmark's ``--cprofile DIR`` starts each server this way. Start-up (imports) is in the
profile too, under ``<module>`` entries the stage table (bench.stages) does not read; the stats
are written when the server returns after SIGTERM, as it does at the end of every bench mode.
"""

from __future__ import annotations

import cProfile
import runpy
import signal
import sys
from types import FrameType


def _exit_on_sigterm(signum: int, _: FrameType | None) -> None:
    # uvicorn re-raises the SIGTERM it handled once it has shut down; the default action would
    # end the process before the stats are written.
    raise SystemExit(128 + signum)


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "-m":
        print("usage: python -m bench.profiled OUT -m MODULE [ARGS...]", file=sys.stderr)
        return 2
    out, module, rest = argv[0], argv[2], argv[3:]
    sys.argv = [module, *rest]
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exit_:
        code = exit_.code
    else:
        code = 0
    finally:
        profiler.disable()
        profiler.dump_stats(out)
    return code if isinstance(code, int) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
