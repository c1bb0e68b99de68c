"""The dependency locks: stamp them with pyproject.toml's fingerprint, and check them (CI).

`make lock` compiles requirements.txt (what the buildpack installs) and requirements-dev.txt
(what `make test` installs) from pyproject.toml with uv, then runs ``stamp``. ``check`` (part of
`make test`) fails when either lock was compiled from a different dependency spec than the one
in pyproject.toml now, or when the dev lock pins a runtime package differently from the deploy
lock. It needs no network and no resolver, so it gives the same answer every day: a fresh
re-compile would not, since it picks up whatever was released since.

Standard library only: it runs before the virtualenv exists.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEPLOY_LOCK = "requirements.txt"
DEV_LOCK = "requirements-dev.txt"
LOCKS = (DEPLOY_LOCK, DEV_LOCK)
STAMP_PREFIX = "# pyproject.toml dependencies sha256: "
FIX = "run `make lock` and commit both files"


def fingerprint(pyproject: str) -> str:
    """sha256 of what the locks are compiled from: requires-python and every dependency list.

    Each requirement is compared with its spaces removed and the lists sorted, so reformatting
    or re-commenting pyproject.toml does not make the locks stale; any change that could change
    the resolution does.
    """
    project = tomllib.loads(pyproject)["project"]

    def normalized(requirements: Sequence[str]) -> list[str]:
        return sorted("".join(requirement.split()) for requirement in requirements)

    spec = {
        "requires-python": project.get("requires-python", ""),
        "dependencies": normalized(project.get("dependencies", [])),
        "optional-dependencies": {
            extra: normalized(requirements)
            for extra, requirements in sorted(project.get("optional-dependencies", {}).items())
        },
    }
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


def stamp(lock_text: str, digest: str) -> str:
    """The lock with its fingerprint line replaced, or added after uv's header comment."""
    lines = [line for line in lock_text.splitlines() if not line.startswith(STAMP_PREFIX)]
    header_end = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    lines.insert(header_end, STAMP_PREFIX + digest)
    return "\n".join(lines) + "\n"


def recorded_fingerprint(lock_text: str) -> str | None:
    for line in lock_text.splitlines():
        if line.startswith(STAMP_PREFIX):
            return line.removeprefix(STAMP_PREFIX).strip()
    return None


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    marker: str
    hashes: frozenset[str]


_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;]+)\s*(?:;(?P<m>.*))?$")


def pins(lock_text: str) -> dict[str, Pin]:
    """Every ``name==version [; marker]`` entry with its ``--hash`` options, by lowercase name."""
    entries: list[str] = []
    for raw in lock_text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):  # uv writes its comments on lines of their own
            continue
        if entries and entries[-1].endswith("\\"):
            entries[-1] = entries[-1][:-1] + " " + line
        else:
            entries.append(line)
    result: dict[str, Pin] = {}
    for entry in entries:
        words = entry.split()
        hashes = frozenset(w.removeprefix("--hash=") for w in words if w.startswith("--hash="))
        requirement = " ".join(w for w in words if not w.startswith("--hash="))
        match = _PIN.match(requirement)
        if match is None:
            raise ValueError(f"not a pinned requirement: {requirement!r}")
        name = re.sub(r"[-_.]+", "-", match["name"]).lower()
        marker = (match["m"] or "").strip()
        result[name] = Pin(name, match["version"], marker, hashes)
    return result


def problems(repo: Path) -> list[str]:
    """What is wrong with the locks in ``repo``, in words; empty when they are up to date."""
    digest = fingerprint((repo / "pyproject.toml").read_text(encoding="utf-8"))
    found: list[str] = []
    texts: dict[str, str] = {}
    for name in LOCKS:
        path = repo / name
        if not path.exists():
            found.append(f"{name} is missing: {FIX}")
            continue
        texts[name] = path.read_text(encoding="utf-8")
        recorded = recorded_fingerprint(texts[name])
        if recorded != digest:
            found.append(
                f"{name} is out of date with pyproject.toml's dependencies "
                f"(compiled from {(recorded or 'an unknown spec')[:12]}, "
                f"pyproject.toml is {digest[:12]}): "
                f"{FIX}"
            )
    if len(texts) == len(LOCKS):
        found.extend(_deploy_pins_differ(texts[DEPLOY_LOCK], texts[DEV_LOCK]))
    return found


def _deploy_pins_differ(deploy_text: str, dev_text: str) -> list[str]:
    """CI must test exactly what the buildpack installs: every deploy pin, the same in dev."""
    deploy, dev = pins(deploy_text), pins(dev_text)
    found = []
    for name, pin in sorted(deploy.items()):
        if not pin.hashes:
            found.append(f"{DEPLOY_LOCK}: {name} has no --hash: {FIX}")
        other = dev.get(name)
        if other is None or (other.version, other.hashes) != (pin.version, pin.hashes):
            tested = "nothing" if other is None else other.version
            found.append(
                f"{DEV_LOCK} tests {name} {tested}, {DEPLOY_LOCK} deploys {pin.version}: {FIX}"
            )
    return found


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    repo = Path(args[1]) if len(args) > 1 else REPO
    if args[:1] == ["stamp"]:
        digest = fingerprint((repo / "pyproject.toml").read_text(encoding="utf-8"))
        for name in LOCKS:
            path = repo / name
            path.write_text(stamp(path.read_text(encoding="utf-8"), digest), encoding="utf-8")
        return 0
    if args[:1] == ["check"]:
        found = problems(repo)
        for problem in found:
            print(f"lock check: {problem}", file=sys.stderr)
        return 1 if found else 0
    print("usage: python tools/lock.py stamp|check [REPO]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
