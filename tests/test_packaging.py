"""`pip install .` installs the bot and nothing else: bench/ and tests/ run from a checkout."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_the_wheel_holds_only_the_bot_package(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "results")
    for name in ("bot", "bench", "tests", "tools"):
        shutil.copytree(REPO / name, source / name, ignore=ignore)

    # --no-build-isolation: the dev lock's setuptools builds it, nothing is fetched.
    build = ["wheel", "--quiet", "--no-deps", "--no-build-isolation"]
    subprocess.run(
        [sys.executable, "-m", "pip", *build, "--wheel-dir", str(tmp_path / "dist"), str(source)],
        check=True,
        capture_output=True,
        timeout=120,
    )

    [wheel] = (tmp_path / "dist").glob("numbers_bot-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        top_level = {name.split("/", 1)[0] for name in names}
    assert top_level == {"bot", wheel.name.split("-py3")[0] + ".dist-info"}
    # Place search reads these at run time (bot/commands/places.py).
    assert {"bot/data/nanp_overlays.json", "bot/data/place_aliases.json"} <= set(names)
