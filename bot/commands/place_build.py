"""Every country's place index, built in a child process and handed to the bot pickled.

Building them all in the bot itself costs 8-17 s of CPU and leaves 40 MB of resident memory
behind (the geocoder text and the build's temporary objects fragment the heap; the indexes
themselves are 14 MB of objects). A child process pays the CPU on the other core, without
holding the bot's GIL, and the bot unpickles the result in about 40 ms into 8 MB of memory
(`python -m bench.place_index --all` measures both). Until the indexes arrive, a search builds
the one it needs as before; if the child fails, that is all that changes.
"""

from __future__ import annotations

import logging
import pickle
import subprocess
import sys
import threading

import phonenumbers

from bot.commands import places

log = logging.getLogger(__name__)

# A quiet machine builds everything in about 8 s; a loaded one takes twice that.
_TIMEOUT_SECONDS = 120.0
# Typo-index entries per pickle (of about 35 000).
_PART = 4000


def calling_codes() -> list[str]:
    """Every calling code phonenumbers knows a region for."""
    codes = {phonenumbers.country_code_for_region(r) for r in phonenumbers.SUPPORTED_REGIONS}
    return sorted(str(code) for code in codes if code)


def build_all(codes: list[str]) -> bytes:
    """In the child: build the indexes and the typo index, each pickled on its own.

    One pickle per index, so the bot unpickles them one at a time: a single loads() of all of
    them holds the GIL (hence the event loop) for 40-80 ms; the largest index alone, a few.
    """
    for calling_code in codes:
        places.index_for(calling_code)
    exported = places.export_indexes()
    suggestions = sorted(exported["suggestions"].items())
    parts = [dict(suggestions[i : i + _PART]) for i in range(0, len(suggestions), _PART)]
    payload = {
        "indexes": {code: _dumps(index) for code, index in exported["indexes"].items()},
        "suggestions": [_dumps(part) for part in parts],
    }
    return _dumps(payload)


def _dumps(value: object) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _install(out: bytes) -> int:
    payload = pickle.loads(out)  # bytes objects only: fast
    for code, data in payload["indexes"].items():
        places.install_indexes({"indexes": {code: pickle.loads(data)}, "suggestions": {}})
    suggestions: dict[str, str] = {}
    for part in payload["suggestions"]:
        suggestions.update(pickle.loads(part))
    places.install_indexes({"indexes": {}, "suggestions": suggestions})
    return len(payload["indexes"])


class Warmup:
    """Runs the child once in a daemon thread; ``close()`` stops it (shutdown, tests)."""

    def __init__(self, codes: list[str] | None = None) -> None:
        self._codes = codes  # None: every calling code
        self._child: subprocess.Popen[bytes] | None = None
        self._closed = False
        self._lock = threading.Lock()
        self.started = threading.Event()  # the child runs
        self.done = threading.Event()

    def start(self) -> None:
        places.suggestions_come_later()
        threading.Thread(target=self._run, name="place-index-warmup", daemon=True).start()

    def _run(self) -> None:
        try:
            with self._lock:
                if self._closed:
                    return
                self._child = subprocess.Popen(
                    [sys.executable, "-m", "bot.commands.place_build", *(self._codes or ())],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    # Out of the terminal's process group: Ctrl-C on `python -m bot` is the
                    # bot's to handle (close() ends the child), not a "failed" warm-up.
                    start_new_session=True,
                )
            self.started.set()
            # One read into one buffer (communicate() keeps a list of chunks, then a copy).
            timer = threading.Timer(_TIMEOUT_SECONDS, self._child.kill)
            timer.start()
            stdout = self._child.stdout
            assert stdout is not None  # stdout=PIPE
            try:
                with stdout:
                    out = stdout.read()
                self._child.wait()
            finally:
                timer.cancel()
            if self._child.returncode != 0:
                raise RuntimeError(f"exit status {self._child.returncode}")
            # Our own child's output, read from its pipe: nothing outside the bot writes it.
            log.info("place indexes ready: %d calling codes", _install(out))
        except Exception as err:  # a failed warm-up only costs speed
            if not self._closed:
                log.warning("place index warm-up failed (%s); searches build them as needed", err)
        finally:
            # Installed, or not coming: either way a search may build what it lacks again.
            places.suggestions_come_later(False)
            self.done.set()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._child is not None and self._child.poll() is None:
                self._child.kill()


if __name__ == "__main__":
    sys.stdout.buffer.write(build_all(sys.argv[1:] or calling_codes()))
