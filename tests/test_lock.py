"""The locks: up to date with pyproject.toml, deploy pins = tested pins, hashes everywhere.

`make test` runs `tools/lock.py check` before anything else; these tests show what it catches.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tools.lock import DEPLOY_LOCK, DEV_LOCK, fingerprint, main, pins, problems, stamp

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of pyproject.toml and both locks, to edit."""
    for name in ("pyproject.toml", DEPLOY_LOCK, DEV_LOCK):
        shutil.copy(REPO / name, tmp_path / name)
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_committed_locks_are_up_to_date() -> None:
    assert problems(REPO) == []


def test_a_new_dependency_makes_both_locks_stale(repo: Path) -> None:
    edit(repo / "pyproject.toml", '    "sniffio>=1.3",\n', '    "sniffio>=1.3",\n    "rich",\n')

    found = problems(repo)

    assert len(found) == 2
    assert found[0].startswith(f"{DEPLOY_LOCK} is out of date with pyproject.toml")
    assert found[1].startswith(f"{DEV_LOCK} is out of date with pyproject.toml")
    assert all(problem.endswith("run `make lock` and commit both files") for problem in found)
    assert main(["check", str(repo)]) == 1


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('"httpx>=0.28,<0.29"', '"httpx>=0.28,<0.30"'),  # a range
        ('    "respx>=0.22",\n', ""),  # a dev dependency removed
        ('requires-python = ">=3.11"', 'requires-python = ">=3.12"'),
    ],
)
def test_any_change_to_the_spec_makes_the_locks_stale(repo: Path, old: str, new: str) -> None:
    edit(repo / "pyproject.toml", old, new)

    assert len(problems(repo)) == 2


def test_comments_and_spacing_in_pyproject_do_not(repo: Path) -> None:
    edit(repo / "pyproject.toml", '"httpx>=0.28,<0.29",', '"httpx >= 0.28, < 0.29",  # moved')

    assert problems(repo) == []
    assert main(["check", str(repo)]) == 0


def test_the_dev_lock_must_test_the_deployed_versions(repo: Path) -> None:
    deployed = pins((repo / DEPLOY_LOCK).read_text(encoding="utf-8"))["httpx"].version
    edit(repo / DEV_LOCK, f"httpx=={deployed} ", "httpx==0.27.0 ")

    assert problems(repo) == [
        f"{DEV_LOCK} tests httpx 0.27.0, {DEPLOY_LOCK} deploys {deployed}: "
        "run `make lock` and commit both files"
    ]


def test_the_deploy_lock_pins_every_package_with_hashes_and_nothing_else() -> None:
    text = (REPO / DEPLOY_LOCK).read_text(encoding="utf-8")
    deployed = pins(text)  # raises on any line that is not name==version (".", "-e", URLs)

    assert {"slack-bolt", "httpx", "aiohttp", "babel", "uvicorn"} <= set(deployed)
    assert all(pin.hashes for pin in deployed.values())
    # Dev tools stay out of the deploy.
    assert not {"pytest", "mypy", "ruff", "uv", "pip", "setuptools"} & set(deployed)


def test_stamp_replaces_the_fingerprint_and_is_idempotent(repo: Path) -> None:
    text = (repo / DEPLOY_LOCK).read_text(encoding="utf-8")
    digest = fingerprint((repo / "pyproject.toml").read_text(encoding="utf-8"))

    assert stamp(text, digest) == text
    restamped = stamp(text, "0" * 64)
    assert restamped.count("dependencies sha256:") == 1
    assert stamp(restamped, digest) == text


def test_a_hanging_test_fails_after_the_per_test_timeout(pytestconfig: pytest.Config) -> None:
    # pytest-timeout (dev lock) turns a wait that a removed guard never releases into a failure.
    assert pytestconfig.pluginmanager.has_plugin("timeout")
    assert float(pytestconfig.getini("timeout")) > 0
