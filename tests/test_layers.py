"""The import rules: each package of bot/ imports only the layers below it, so the direction stays.

Read top to bottom: a package may import any package on a lower line, never one on a higher line,
and packages on the same line not each other (``|``). Every import counts, including those inside
functions and under ``TYPE_CHECKING``: a cycle hidden from the runtime is still a cycle for a
reader. A new package under bot/ fails the test until it is given a line here.

    bot.__main__ | bot.cli     entry points: python -m bot, numbers-bot
    bot.app                    composition root: runtime, ASGI app, server
    bot.slack                  the Slack surface
    bot.watch | bot.changes    capabilities that use the ones below
    bot.search                 the read side (search, regions, active list)
    bot.active                 the active-numbers summary and CSV
    bot.ops                    settings, logging, metrics, audit, scheduler, rate limit
    bot.store                  the database
    bot.commands | bot.sandbox | bot.sinch   the grammar, the fake Sinch, the Sinch client
    bot.core                   domain vocabulary, errors, clock, money, phone, validation

The grammar sits low because it is pure (text to a query, over the core only) and a watch re-parses
its saved search; the surfaces call it before they call a capability.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

LAYERS: tuple[tuple[str, ...], ...] = (
    ("bot.__main__", "bot.cli"),
    ("bot.app",),
    ("bot.slack",),
    ("bot.watch", "bot.changes"),
    ("bot.search",),
    ("bot.active",),
    ("bot.ops",),
    ("bot.store",),
    ("bot.commands", "bot.sandbox", "bot.sinch"),
    ("bot.core",),
)


def module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(module: str, is_package: bool, tree: ast.Module) -> set[str]:
    """Every bot module this module imports, relative imports resolved."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            # `from bot import config` imports the module bot.config.
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return {name for name in found if name == "bot" or name.startswith("bot.")}


def component(module: str) -> str:
    """The package a module belongs to: bot.slack.listeners -> bot.slack."""
    return ".".join(module.split(".")[:2])


def violations(root: Path) -> list[str]:
    rank = {package: n for n, line in enumerate(LAYERS) for package in line}
    found: list[str] = []
    for path in sorted((root / "bot").rglob("*.py")):
        module = module_name(root, path)
        if module == "bot":
            continue
        source = component(module)
        if source not in rank:
            found.append(f"{module}: {source} has no line in LAYERS")
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        seen: set[str] = set()
        # Sorted, so the module (bot.slack.blocks) comes before a name in it (….blocks.Block).
        for name in sorted(imported(module, path.name == "__init__.py", tree)):
            target = component(name)
            if target in seen or target == source or target not in rank or name == "bot":
                continue  # reported, itself, the bare package, or a name of bot/__init__.py
            seen.add(target)
            if rank[target] < rank[source]:
                found.append(f"{module} imports {name}: {target} is a higher layer")
            elif rank[target] == rank[source]:
                found.append(f"{module} imports {name}: {source} and {target} are independent")
    return found


def test_every_import_goes_down_the_layers() -> None:
    assert violations(REPO) == []


def test_each_package_says_what_it_owns_and_may_import() -> None:
    packages = [p for line in LAYERS for p in line if (REPO / Path(*p.split("."))).is_dir()]
    for package in packages:
        init = REPO / Path(*package.split(".")) / "__init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text())) or ""
        assert "import" in doc, f"{init}: the docstring says what the package may import"


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_a_lower_layer_importing_a_higher_one_is_refused(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "bot/__init__.py": "",
            "bot/core/__init__.py": "",
            "bot/core/money.py": "from bot.slack.blocks import Block\n",
            "bot/slack/__init__.py": "",
            "bot/slack/blocks.py": "from bot.core.money import Money\n",
            "bot/sinch/__init__.py": "",
            "bot/sinch/client.py": "def f():\n    from ..search import service\n",
            "bot/search/__init__.py": "",
            "bot/search/service.py": "from bot import config\n",
            "bot/ops/__init__.py": "",
            "bot/ops/config.py": "",
        },
    )
    assert violations(root) == [
        "bot.core.money imports bot.slack.blocks: bot.slack is a higher layer",
        "bot.sinch.client imports bot.search: bot.search is a higher layer",
    ]


def test_independent_packages_and_unplaced_ones_are_refused(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "bot/__init__.py": "",
            "bot/watch/__init__.py": "",
            "bot/watch/tick.py": "import bot.changes.service\n",
            "bot/changes/__init__.py": "",
            "bot/changes/service.py": "",
            "bot/extras/__init__.py": "",
        },
    )
    assert violations(root) == [
        "bot.extras: bot.extras has no line in LAYERS",
        "bot.watch.tick imports bot.changes.service: bot.watch and bot.changes are independent",
    ]


def test_the_real_tree_fails_when_the_core_imports_a_surface(tmp_path: Path) -> None:
    """The rule on the real tree, broken once: a copy of bot/ whose errors import the CLI."""
    copy = tmp_path / "bot"
    for path in (REPO / "bot").rglob("*.py"):
        target = copy / path.relative_to(REPO / "bot")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(path.read_text())
    errors = copy / "core" / "errors.py"
    errors.write_text(errors.read_text() + "\nfrom bot.cli.render import render_text\n")
    assert violations(tmp_path) == [
        "bot.core.errors imports bot.cli.render: bot.cli is a higher layer",
    ]
