"""Give bot/ the shape of its architecture: move modules into layer packages, rewrite references.

Standard library only. Run from the repository root on a clean tree::

    python tools/relayout.py moves --dry-run   # print the plan and every rewrite, change nothing
    python tools/relayout.py moves             # git mv + rewrite + package docstrings

What ``moves`` does, in order:

1. ``git mv`` each module of ``MOVES`` that exists (modules another branch has not merged yet are
   skipped, so the script runs on any main between now and the last merge);
2. writes each new package's ``__init__.py`` (a docstring saying what it owns and what it may
   import; ``bot/cli/__init__.py`` also re-exports ``main`` for the ``numbers-bot`` entry point and
   ``bot/cli/__main__.py`` keeps ``python -m bot.cli`` working);
3. rewrites every reference to a moved module in the tracked text files: Python imports
   (``import bot.x``, ``from bot.x import``, ``from bot import x``, ``from bot.pkg import x``),
   ``bot.x.y`` attribute chains in files that ``import bot.…``, ``"bot.x…"`` strings (monkeypatch
   targets, ``-m`` arguments, importorskip, logger names of ``getLogger(__name__)`` loggers),
   comments and docstrings, and ``bot/x.py`` paths (pyproject's per-file ignores, README links).
   Two kinds of names are kept as they are when they stand alone: ``bot.cli`` (still a package
   that runs the CLI and exposes ``main``) and logger names hard-coded with
   ``getLogger("bot.…")`` (``bot.audit``: a log pipeline filters on it);
4. sorts imports (``ruff check --fix --select I``) and formats (``ruff format``) the files it
   touched, and lists the old module names still written somewhere, for a human to read.

Module-level code is moved by ``git mv`` only (contents rewritten in place), so ``git log
--stat`` shows renames. The other steps of the relayout (Money into the core, the parser and
Block Kit splits, the README's architecture section) are their own commits; see
``tools/relayout.md``.
"""

from __future__ import annotations

import argparse
import ast
import io
import re
import subprocess
import sys
import tokenize
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The project's ruff (sorts the rewritten imports, formats); the one on PATH otherwise.
RUFF = str(REPO / ".venv/bin/ruff") if (REPO / ".venv/bin/ruff").exists() else "ruff"

# Old dotted module -> new dotted module. Modules that do not exist (yet) are skipped.
MOVES: dict[str, str] = {
    # core: the domain's vocabulary and rules; imports nothing else of the bot.
    "bot.domain": "bot.core.domain",
    "bot.errors": "bot.core.errors",
    "bot.clock": "bot.core.clock",
    "bot.money": "bot.core.money",
    "bot.phone": "bot.core.phone",
    "bot.validation": "bot.core.validation",
    # ops: settings and the process's own machinery.
    "bot.config": "bot.ops.config",
    "bot.logging_setup": "bot.ops.logging_setup",
    "bot.metrics": "bot.ops.metrics",
    "bot.audit": "bot.ops.audit",
    "bot.readiness": "bot.ops.readiness",
    "bot.scheduler": "bot.ops.scheduler",
    "bot.ratelimit": "bot.ops.ratelimit",
    # search: the read side (search, regions, active list) over Sinch.
    "bot.service": "bot.search.service",
    "bot.results": "bot.search.results",
    "bot.fanout": "bot.search.fanout",
    "bot.refine": "bot.search.refine",
    "bot.search_cache": "bot.search.cache",
    # active: what the account rents (summary, CSV).
    "bot.active_summary": "bot.active.summary",
    "bot.active_csv": "bot.active.csv_export",
    # changes: renting and releasing (policy, single flight, text, ledger sentences, reconcile).
    "bot.number_changes": "bot.changes.service",
    "bot.number_change_text": "bot.changes.text",
    "bot.ledger_text": "bot.changes.ledger_text",  # issue-17
    "bot.reconcile": "bot.changes.reconcile",  # issue-17
    # watch: Block Kit belongs to the Slack surface, not to the capability.
    "bot.watch.blocks": "bot.slack.watch_blocks",  # issue-18
    # app: the composition root (python -m bot stays at bot/__main__.py).
    "bot.asgi": "bot.app.asgi",
    "bot.server": "bot.app.server",
    "bot.runtime": "bot.app.runtime",
    "bot.sandbox_mode": "bot.app.sandbox_mode",
    "bot.http_edge": "bot.app.http_edge",  # issue-19
    "bot.store_upkeep": "bot.app.store_upkeep",  # issue-17: the lifespan's migrate-and-sweep task
    # cli: the terminal surface.
    "bot.cli": "bot.cli.app",
    "bot.cli_numbers": "bot.cli.numbers",
    "bot.cli_render": "bot.cli.render",
    "bot.cli_progress": "bot.cli.progress",
    "bot.cli_history": "bot.cli.history",  # issue-17
    "bot.cli_watches": "bot.cli.watches",  # issue-18
}

# Old names that still import and run after the move, so a bare mention stays as written.
FACADES = frozenset({"bot.cli"})

# Each package's __init__.py docstring: what it owns and what it may import (tests/test_layers.py
# holds the same order as a rule). Written for new packages and for existing ones whose
# __init__.py is empty or a docstring only; an __init__.py with code keeps its own.
PACKAGE_DOCS: dict[str, str] = {
    "bot.core": """\
The domain's vocabulary and rules, shared by every layer: queries and number types
(``domain``), the exception tree (``errors``), time as a dependency (``clock``), prices
(``money``), phone-number facts (``phone``) and what makes a query valid (``validation``).

It imports nothing else of the bot; everything else may import it.
""",
    "bot.ops": """\
The process's own machinery: settings from the environment (``config``), logging and
secret redaction (``logging_setup``), Prometheus metrics, the audit log (logger ``bot.audit``),
readiness, the scheduler and the per-user rate limit.

It may import ``bot.core`` and ``bot.store`` (the database URL rules); the capabilities and the
surfaces import it, never the other way round.
""",
    "bot.search": """\
The read side: ``NumbersService`` runs a search, regions or active query through
the Sinch client (``service``), fans place searches out over area codes (``fanout``), applies
filters Sinch cannot (``refine``), caches recent searches (``cache``) and returns ``results``.

It may import ``bot.active``, ``bot.sinch``, ``bot.ops`` and ``bot.core``; never Slack, the CLI
or the command grammar.
""",
    "bot.active": """\
What the account rents now: the per-region summary of active numbers (``summary``)
and their CSV rows (``csv_export``). Pure.

It may import ``bot.sinch`` (the wire models) and ``bot.core``.
""",
    "bot.changes": """\
Renting and releasing: the price policy, single flight per number and the
read-back after an unclear answer (``service``), the sentences Slack and the CLI show
(``text``, ``ledger_text``) and the settling of requests a crash left executing (``reconcile``).

It may import ``bot.store``, ``bot.sinch``, ``bot.ops`` and ``bot.core``; never a surface.
""",
    "bot.app": """\
The composition root: ``runtime`` wires settings to objects (no I/O), ``asgi`` builds the
Starlette app (routes, lifespan, Socket Mode), ``store_upkeep`` migrates the database and sweeps
stale requests beside it, ``server`` runs it under uvicorn with the edge guards of
``http_edge``, ``sandbox_mode`` starts the built-in Sinch sandbox when asked. ``python -m bot``
(``bot/__main__.py``) starts it.

It may import every layer below it; only ``bot.cli`` and ``bot.__main__`` import it.
""",
    "bot.cli": """\
The terminal surface, ``numbers-bot``: the argument parser and dispatch (``app``),
rent/release/show with a prompt (``numbers``), text and JSON output (``render``), the progress
line (``progress``) and the database-backed ``history`` and ``watches`` commands.

It may import the composition root (``bot.app``, to build a runtime or serve) and every layer
below; nothing imports it but the entry point.
""",
    "bot.slack": """\
The Slack surface: the Bolt app and its listeners (slash command, buttons, the
search form, the Home tab, watches), the gate every request passes (allowlists, rate limit),
delivery to ``response_url`` and the Block Kit renderers (``*blocks``).

It may import the capabilities (``bot.search``, ``bot.changes``, ``bot.active``, ``bot.watch``),
the grammar (``bot.commands``), ``bot.ops``, ``bot.store``, ``bot.sinch`` and ``bot.core``; only
``bot.app`` imports it.
""",
    "bot.commands": """\
The command grammar: ``/numbers`` text (and ``numbers-bot`` arguments) to a
query. Pure: ``parser.parse_command`` is the entry point; region and type words, filters, place
words (with the place index in ``places``/``where``) and the number commands (rent, release,
show) each have a module.

It may import ``bot.core`` only.
""",
    "bot.sandbox": """\
The built-in Sinch sandbox (appended to the package's own docstring).

It may import ``bot.core`` only. The CLI and the composition root start it; the Sinch client
reaches it over HTTP, as it reaches the real Sinch.
""",
    "bot.sinch": """\
Sinch access: the token provider (``auth``), the Numbers API client (``client``)
over httpx or aiohttp, retry schedules and the wire models (``models``).

It may import ``bot.core`` only; it knows nothing of Slack, commands or the capabilities.
""",
    "bot.store": """\
Shared, durable state: the database every instance asks first (SQLite or
PostgreSQL). ``url`` turns DATABASE_URL into an async SQLAlchemy URL, ``engine`` opens it (WAL
and a busy timeout on SQLite), ``migrate`` brings the schema up to date under a PostgreSQL
advisory lock, ``tables`` holds the schema, ``ledger`` the change ledger's compare-and-set
transitions.

It may import ``bot.sinch`` (the wire models it records) and ``bot.core``.
""",
    "bot.watch": """\
Watches: re-run a saved search every WATCH_INTERVAL and DM its owner each number
that is new. Owns the watch tables (``tables``, ``store``), the periodic tick that claims due
searches (``tick``), the diff (``diff``), the model and the retry and expiry policy
(``policy``). Its Slack messages are ``bot.slack.watch_blocks``.

It may import the grammar (a watch re-parses its saved search), ``bot.search``, ``bot.store``,
``bot.sinch``, ``bot.ops`` and ``bot.core``; the Slack listeners (``bot.slack.watches``) and the
CLI (``bot.cli.watches``) call it, never the other way round.
""",
}

CLI_INIT_CODE = """
from bot.cli.app import main

__all__ = ["main"]
"""

CLI_MAIN = '''"""``python -m bot.cli``: the same as the ``numbers-bot`` command."""

import sys

from bot.cli.app import main

sys.exit(main())
'''

TEXT_SUFFIXES = {".md", ".toml", ".yml", ".yaml", ".cfg", ".ini", ".txt", ".example", ".sh"}
TEXT_NAMES = {"Makefile", "Procfile", "run"}
# The tool, its notes and its tests speak of old and new names on purpose.
SKIP_FILES = {
    "requirements.txt",
    "requirements-dev.txt",
    "tools/relayout.py",
    "tools/relayout.md",
    "tests/test_relayout.py",
    "tests/test_layers.py",
}
SKIP_DIRS = ("tools/relayout_docs/",)


def module_path(dotted: str) -> Path:
    return Path(*dotted.split(".")).with_suffix(".py")


def ruff(*args: str) -> None:
    subprocess.run([RUFF, *args], cwd=REPO, check=False)


def tidy(paths: list[str], rules: str, *options: str) -> None:
    """Fix the rules given (import order, unused imports) in ``paths``, then format them."""
    ruff("check", "--quiet", "--fix", "--select", rules, *options, *paths)
    ruff("format", "--quiet", *paths)


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout


class Rewriter:
    """Every rewrite rule, built from the moves that apply to this tree."""

    def __init__(self, moves: dict[str, str], keep: frozenset[str]) -> None:
        self.moves = moves
        self.keep = keep
        names = sorted(moves, key=len, reverse=True)
        alt = "|".join(re.escape(n[len("bot.") :]) for n in names)
        # A dotted name: not part of a longer name ("numbers-bot.x", "self.bot.x", "bot.cli_x").
        self.dotted = re.compile(rf"(?<![\w.\-])bot\.({alt})(?![\w])(\.[A-Za-z_]\w*)?")
        paths = sorted((module_path(n).as_posix() for n in moves), key=len, reverse=True)
        self.paths = {
            module_path(n).as_posix(): module_path(new).as_posix() for n, new in moves.items()
        }
        palt = "|".join(re.escape(p[len("bot/") :]) for p in paths)
        self.path_re = re.compile(rf"(?<![\w.\-])bot/({palt})(?![\w])")

    def text(self, s: str) -> str:
        """Rewrite dotted names and paths in free text (strings, comments, markdown, toml)."""

        def dotted(m: re.Match[str]) -> str:
            old = "bot." + m.group(1)
            tail = m.group(2) or ""
            if not tail and old in self.keep:
                return m.group(0)
            return self.moves[old] + tail

        s = self.dotted.sub(dotted, s)
        return self.path_re.sub(lambda m: self.paths["bot/" + m.group(1)], s)

    def chain(self, parts: list[str]) -> list[str] | None:
        """A code chain bot.a.b.c: the longest moved prefix replaced, or None."""
        for n in range(len(parts), 1, -1):
            old = ".".join(parts[:n])
            if old in self.moves:
                return self.moves[old].split(".") + parts[n:]
        return None

    def python(self, source: str) -> str:
        tree = ast.parse(source)
        imports_bot = any(
            isinstance(node, ast.Import) and any(a.name.split(".")[0] == "bot" for a in node.names)
            for node in ast.walk(tree)
        )
        import_lines: set[int] = set()
        regenerate: dict[int, tuple[int, str]] = {}  # first line -> (last line, new text)
        lines = source.splitlines(keepends=True)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                import_lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                new = self._from_import(node)
                if new is not None:
                    indent = lines[node.lineno - 1][: node.col_offset]
                    text = "".join(indent + stmt + "\n" for stmt in new)
                    regenerate[node.lineno] = (node.end_lineno or node.lineno, text)

        edits: list[tuple[tuple[int, int], tuple[int, int], str]] = []
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            if tok.type in (tokenize.STRING, tokenize.COMMENT):
                text = self.text(tok.string)
                if text != tok.string:
                    edits.append((tok.start, tok.end, text))
            elif (
                tok.type == tokenize.NAME
                and tok.string == "bot"
                and not (i and tokens[i - 1].string == ".")
                and (imports_bot or tok.start[0] in import_lines)
            ):
                parts, j = ["bot"], i + 1
                while (
                    j + 1 < len(tokens)
                    and tokens[j].string == "."
                    and tokens[j + 1].type == tokenize.NAME
                ):
                    parts.append(tokens[j + 1].string)
                    j += 2
                new_parts = self.chain(parts)
                if new_parts is not None:
                    edits.append((tok.start, tokens[j - 1].end, ".".join(new_parts)))
                i = j
                continue
            i += 1

        return reflow_comments(apply_edits(lines, edits, regenerate))

    def _from_import(self, node: ast.ImportFrom) -> list[str] | None:
        """`from P import x` where P.x is a moved module: one statement per name's new home."""
        module = node.module or ""
        if not module.startswith("bot") or not any(
            f"{module}.{a.name}" in self.moves for a in node.names
        ):
            return None
        stmts: list[str] = []
        rest: list[str] = []
        for a in node.names:
            old = f"{module}.{a.name}"
            if old in self.moves:
                parent, leaf = self.moves[old].rsplit(".", 1)
                alias = a.asname or a.name
                stmts.append(
                    f"from {parent} import {leaf}" + (f" as {alias}" if alias != leaf else "")
                )
            else:
                rest.append(a.name + (f" as {a.asname}" if a.asname else ""))
        if rest:
            target = self.moves.get(module, module)
            stmts.insert(0, f"from {target} import {', '.join(rest)}")
        return stmts


def reflow_comments(source: str, limit: int = 100) -> str:
    """A comment line the rewrite made too long gives its last words to the next comment line
    (or a new one), as a person would re-wrap it."""
    lines = source.split("\n")
    n = 0
    while n < len(lines):
        line = lines[n]
        m = re.match(r"(\s*# )", line)
        if m and len(line) > limit and " " in line[len(m.group(1)) :]:
            prefix = m.group(1)
            words = line[len(prefix) :].split(" ")
            moved: list[str] = []
            while len(prefix + " ".join(words)) > limit and len(words) > 1:
                moved.insert(0, words.pop())
            lines[n] = prefix + " ".join(words)
            follows = n + 1 < len(lines) and lines[n + 1].startswith(prefix)
            if follows and lines[n + 1][len(prefix) :].strip():
                lines[n + 1] = prefix + " ".join(moved) + " " + lines[n + 1][len(prefix) :]
            else:
                lines.insert(n + 1, prefix + " ".join(moved))
        n += 1
    return "\n".join(lines)


def apply_edits(
    lines: list[str],
    edits: list[tuple[tuple[int, int], tuple[int, int], str]],
    regenerate: dict[int, tuple[int, str]],
) -> str:
    """Apply token edits and regenerated statements, from the end so offsets stay right."""
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(pos: tuple[int, int]) -> int:
        return starts[pos[0] - 1] + pos[1]

    spans = [(starts[first - 1], starts[last], text) for first, (last, text) in regenerate.items()]
    for start, end, text in [(offset(a), offset(b), t) for a, b, t in edits]:
        if not any(s <= start < e for s, e, _ in spans[: len(regenerate)]):
            spans.append((start, end, text))
    source = "".join(lines)
    for start, end, text in sorted(spans, reverse=True):
        source = source[:start] + text + source[end:]
    return source


def tracked_text_files() -> Iterable[Path]:
    for name in git("ls-files").splitlines():
        path = REPO / name
        if name in SKIP_FILES or name.startswith(SKIP_DIRS) or not path.is_file():
            continue
        if path.suffix == ".py" or path.suffix in TEXT_SUFFIXES or path.name in TEXT_NAMES:
            yield path


def hard_coded_loggers() -> frozenset[str]:
    found: set[str] = set()
    for path in (REPO / "bot").rglob("*.py"):
        found.update(re.findall(r"getLogger\(\s*[\"'](bot\.[\w.]+)[\"']", path.read_text()))
    return frozenset(found)


def write_package_docs(package: str, dry_run: bool) -> Path | None:
    init = REPO / Path(*package.split(".")) / "__init__.py"
    doc = PACKAGE_DOCS.get(package)
    if doc is None:
        return None
    code = CLI_INIT_CODE if package == "bot.cli" else ""
    if init.exists():
        current = init.read_text()
        tree = ast.parse(current)
        body = tree.body
        if body and not (len(body) == 1 and isinstance(body[0], ast.Expr)):
            return add_import_note(init, current, tree, package, dry_run)
    new = f'"""{doc.rstrip()}\n"""\n' + code
    print(f"  write {init.relative_to(REPO)}")
    if not dry_run:
        init.parent.mkdir(parents=True, exist_ok=True)
        init.write_text(new)
    return init


def add_import_note(
    init: Path, source: str, tree: ast.Module, package: str, dry_run: bool
) -> Path | None:
    """An __init__.py with code keeps its docstring, plus the last paragraph of ours if it does not
    say what the package may import."""
    doc = ast.get_docstring(tree) or ""
    first = tree.body[0]
    if "may import" in doc or not (
        isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
    ):
        print(f"  keep {init.relative_to(REPO)}")
        return None
    note = PACKAGE_DOCS[package].rstrip().split("\n\n")[-1]
    lines = source.splitlines(keepends=True)
    end = first.end_lineno or first.lineno  # the line with the closing quotes
    closing = lines[end - 1]
    cut = closing.rindex('"""')
    lines[end - 1] = closing[:cut].rstrip() + "\n\n" + note + "\n" + closing[cut:]
    if lines[end - 1].startswith("\n"):
        lines[end - 1] = lines[end - 1][1:]
    print(f"  note {init.relative_to(REPO)}")
    if not dry_run:
        init.write_text("".join(lines))
    return init


def moves(dry_run: bool) -> int:
    if git("status", "--porcelain", "--untracked-files=no").strip():
        sys.exit("relayout: the tree has uncommitted changes; commit or stash them first")
    if (REPO / "bot/core").exists():
        sys.exit("relayout: bot/core exists already: the moves have been applied")
    applied = {old: new for old, new in MOVES.items() if (REPO / module_path(old)).exists()}
    for old in MOVES.keys() - applied.keys():
        print(f"  skip {old} (not in this tree)")
    keep = FACADES | hard_coded_loggers()
    print(f"  kept when standing alone: {', '.join(sorted(keep))}")
    rewriter = Rewriter(applied, keep)

    # Rewrite first (paths of the old tree), then move the files.
    touched: list[Path] = []
    for path in tracked_text_files():
        source = path.read_text()
        new = rewriter.python(source) if path.suffix == ".py" else rewriter.text(source)
        if new != source:
            rel = path.relative_to(REPO)
            touched.append(rel)
            if dry_run:
                diff_lines(rel, source, new)
            else:
                path.write_text(new)

    # The packages the moves create, and those already here (bot.store, bot.watch on a tree
    # that has them; none is created empty).
    new_packages = sorted(
        {new.rsplit(".", 1)[0] for new in applied.values()}
        | {p for p in PACKAGE_DOCS if (REPO / Path(*p.split("."))).is_dir()}
    )
    for old, new in sorted(applied.items()):
        src, dst = module_path(old), module_path(new)
        print(f"  git mv {src} {dst}")
        if not dry_run:
            (REPO / dst).parent.mkdir(parents=True, exist_ok=True)
            git("mv", str(src), str(dst))
    written = [p for pkg in new_packages if (p := write_package_docs(pkg, dry_run)) is not None]
    if "bot.cli" in applied:
        main = REPO / "bot/cli/__main__.py"
        print("  write bot/cli/__main__.py")
        if not dry_run:
            main.write_text(CLI_MAIN)
            written.append(main)
    if dry_run:
        return 0
    git("add", *(str(p) for p in written))
    moved_to = {module_path(new) for new in applied.values()}
    py = [str(p) for p in touched if p.suffix == ".py" and p.exists()]
    py += [str(p) for p in moved_to] + [str(p.relative_to(REPO)) for p in written]
    tidy(py, "I")
    leftovers(applied)
    return 0


def leftovers(applied: dict[str, str]) -> None:
    """Old file names still written somewhere (prose like "see service.py"), and lines the rewrite
    made too long: for a human to read, since a bare name has no package to guess from."""
    words = sorted({old.rsplit(".", 1)[1] for old in applied if old.count(".") == 1})
    pattern = re.compile(r"(?<![\w/.])(" + "|".join(words) + r")\.py\b")
    for path in tracked_text_files():
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line):
                print(f"old file name: {path.relative_to(REPO)}:{n}: {line.strip()}")
    ruff("check", "--quiet", "--select", "E501", "--output-format", "concise", ".")


MONEY_CONFIG = """

# The bot's JSON writes prices as Sinch does (camelCase keys), so the one Money model carries
# those aliases; the Sinch wire models import it from here.
_CONFIG = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)

"""


def money(dry_run: bool) -> int:
    """Move ``Money`` from bot/sinch/models.py to bot/core/money.py; the wire model imports it."""
    models, core = REPO / "bot/sinch/models.py", REPO / "bot/core/money.py"
    source = models.read_text()
    tree = ast.parse(source)
    node = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Money"), None)
    if node is None:
        sys.exit("relayout: no class Money in bot/sinch/models.py (applied already?)")
    lines = source.splitlines(keepends=True)
    first = node.lineno - 1
    while first > 0 and lines[first - 1].lstrip().startswith("#"):
        first -= 1  # the comments above the class go with it
    end = node.end_lineno or node.lineno
    block = "".join(lines[first:end])
    block = block.replace(
        "class Money(_Wire):",
        "class Money(BaseModel):\n"
        '    """An amount in a currency, exact: what a number costs to set up or per month."""\n\n'
        "    model_config = _CONFIG\n",
        1,
    )
    rest = lines[:first] + lines[end:]
    # Import Money where the wire models used to define it.
    new_models = "".join(rest)
    new_models = new_models.replace(
        "from pydantic.alias_generators import to_camel\n",
        "from pydantic.alias_generators import to_camel\n\nfrom bot.core.money import Money\n",
        1,
    )
    money_src = core.read_text().replace("from bot.sinch.models import Money\n", "")
    money_src = money_src.replace(
        "from babel.numbers import get_currency_precision\n",
        "from babel.numbers import get_currency_precision\n"
        "from pydantic import BaseModel, ConfigDict\n"
        "from pydantic.alias_generators import to_camel\n",
        1,
    )
    # The class goes after the imports, before the first function.
    at = money_src.index("\n\ndef ") + 1
    money_src = money_src[:at] + MONEY_CONFIG.lstrip("\n") + "\n" + block + "\n" + money_src[at:]
    print("  move class Money: bot/sinch/models.py -> bot/core/money.py")
    touched: list[str] = []
    if not dry_run:
        models.write_text(new_models)
        core.write_text(money_src)
        touched += ["bot/sinch/models.py", "bot/core/money.py"]
    # Every `from bot.sinch.models import ..., Money, ...` imports Money from the core instead.
    for path in tracked_text_files():
        if path.suffix != ".py" or path in (models, core):
            continue
        text = path.read_text()
        new = rewrite_money_imports(text)
        if new != text:
            print(f"  Money import: {path.relative_to(REPO)}")
            if not dry_run:
                path.write_text(new)
                touched.append(str(path.relative_to(REPO)))
    if not dry_run:
        # Decimal may have been the wire module's only for Money: unused imports go too.
        tidy(touched, "I,F401")
    return 0


def rewrite_money_imports(source: str) -> str:
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    for node in sorted(
        (n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)),
        key=lambda n: n.lineno,
        reverse=True,
    ):
        if node.module != "bot.sinch.models" or not any(a.name == "Money" for a in node.names):
            continue
        indent = lines[node.lineno - 1][: node.col_offset]
        money = next(a for a in node.names if a.name == "Money")
        others = [a for a in node.names if a.name != "Money"]
        alias = f" as {money.asname}" if money.asname else ""
        stmts = [f"{indent}from bot.core.money import Money{alias}\n"]
        if others:
            names = ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in others)
            stmts.insert(0, f"{indent}from bot.sinch.models import {names}\n")
        lines[node.lineno - 1 : node.end_lineno] = stmts
    return "".join(lines)


# --- splits ---------------------------------------------------------------------------------
#
# A split moves top-level definitions of one module into new modules of the same package, by
# name; what no piece names stays (and is listed, so definitions another branch added are seen).
# Each piece gets the source's imports (ruff then drops the unused ones) and imports what it uses
# from the other pieces; the source imports what it still uses from the pieces. A piece that
# would import from the source, or pieces that import each other in a circle, stop the split
# before anything is written. Importers elsewhere follow: `from source import x` and
# `source_alias.x` point at the piece that now holds x.


class Piece:
    def __init__(self, module: str, doc: str, names: Iterable[str]) -> None:
        self.module = module
        self.doc = doc
        self.names = frozenset(names)


class Split:
    def __init__(
        self,
        source: str,
        pieces: Iterable[Piece],
        renames: dict[str, str] | None = None,
        *,
        base: bool = False,
    ) -> None:
        self.source = source
        self.pieces = tuple(pieces)
        # The source on top (imports the pieces: the parser) or the base (the pieces import it:
        # Block Kit's helpers).
        self.base = base
        # Public names for private ones whose plain name is taken (`_region`: a local `region`).
        self.renames = renames or {}


SPLITS: dict[str, Split] = {
    "parser": Split(
        "bot.commands.parser",
        [
            Piece(
                "bot.commands.usage",
                "What each form of the command looks like: the usage lines and the help text.",
                [
                    "COMMAND",
                    "_SEARCH_USAGE",
                    "_REGIONS_USAGE",
                    "_ACTIVE_USAGE",
                    "_HELP_USAGE",
                    "SEARCH_HELP_LINES",
                    "USAGE",
                    "Kind",
                    "usage_for",
                ],
            ),
            Piece(
                "bot.commands.tokens",
                "Command text to words: Slack's escapes and smart quotes undone, one length cap.",
                [
                    "MAX_TEXT_LENGTH",
                    "_SMART_CHARS",
                    "_SLACK_ENTITIES",
                    "_SEPARATORS",
                    "_EDGE_PUNCTUATION",
                    "_IN_QUALIFIER",
                    "_SIGNED_DIGITS",
                    "_tokenize",
                    "_too_long",
                ],
            ),
            Piece(
                "bot.commands.words",
                "The grammar's words (types, capabilities, filter keys, kinds) and what a scan of\n"
                "the words found (``Facts``), before it is checked against the kind of query.",
                [
                    "_TYPE_WORDS",
                    "_OTHER_TYPES",
                    "_TYPE_SYNONYMS",
                    "_CAPABILITY_WORDS",
                    "_PATTERN_KEYS",
                    "_LIMIT_KEYS",
                    "_PLACE_KEYS",
                    "_NODOCS_WORDS",
                    "_KIND_WORDS",
                    "_KIND_ALIASES",
                    "_KNOWN_WORDS",
                    "_KEY_VALUE",
                    "_Facts",
                    "_Words",
                ],
            ),
            Piece(
                "bot.commands.region_type",
                "Region and type words: the longest run of words naming a region, one region and\n"
                "one type per query, and the hints for a word that is neither (typos, synonyms).",
                [
                    "_region",
                    "_unknown_word",
                    "_region_suggestions",
                    "_one_type",
                    "_one_region",
                ],
            ),
            Piece(
                "bot.commands.filters",
                "Filters: `key:value` words (patterns, limit, near, max, sort), number patterns\n"
                "as digits or keypad letters, and the one-pattern rule.",
                [
                    "_DIGITS",
                    "_ASCII_DIGITS",
                    "_PRICE",
                    "_key_value",
                    "_got",
                    "_parse_limit",
                    "_parse_price",
                    "_one_pattern",
                    "_pattern",
                    "_digits_of",
                ],
            ),
            Piece(
                "bot.commands.place_words",
                "Place words in a search: `in:` values, runs of words nothing else claimed, a\n"
                "region word that is a state (`US CA`), resolved through ``where``.",
                [
                    "_PLACE_WORD",
                    "_in_place",
                    "_claimed",
                    "_regions_as_places",
                    "_one_place",
                    "_with_region_word",
                    "_keyword_typo",
                    "_region_of_international_prefix",
                ],
            ),
        ],
        renames={"_region": "region_at", "_key_value": "add_key_value"},
    ),
    "blocks": Split(
        "bot.slack.blocks",
        [
            Piece(
                "bot.slack.search_blocks",
                "Block Kit for a search: the numbers with their Rent buttons, the notes (cache\n"
                "age, narrowing, failed areas), Show more and Share, the empty result's advice.",
                [
                    "SHARE_ACTION",
                    "SHOW_MORE_ACTION",
                    "render_search",
                    "_with_accessory",
                    "_search_notes",
                    "show_more_value",
                    "_available_text",
                    "_search_footer",
                    "_narrowing",
                    "_cache_note",
                    "_empty_search_text",
                    "render_shared_notice",
                ],
            ),
            Piece(
                "bot.slack.regions_blocks",
                "Block Kit for `/numbers regions`: the regions that offer numbers, by type.",
                ["render_regions"],
            ),
            Piece(
                "bot.slack.active_blocks",
                "Block Kit for `/numbers active REGION`: the rented numbers, a page at a time.",
                ["NEXT_PAGE_ACTION", "render_active", "_active_text", "next_page_value"],
            ),
            Piece(
                "bot.slack.help_blocks",
                "Block Kit for help: the command's usage, the button that opens the search form.",
                ["SEARCH_FORM_ACTION", "search_form_button", "render_help"],
            ),
            Piece(
                "bot.slack.error_blocks",
                "Block Kit for refusals and failures: a command the grammar refused, Sinch's\n"
                "errors in words, not permitted, rate limited, misconfigured, internal errors.",
                [
                    "render_command_error",
                    "render_sinch_error",
                    "_sinch_problem",
                    "_seconds",
                    "render_internal_error",
                    "render_not_permitted",
                    "render_bot_misconfigured",
                    "render_rate_limited",
                ],
            ),
        ],
        base=True,
    ),
}


def module_file(dotted: str) -> Path:
    return REPO / module_path(dotted)


def _defined(node: ast.stmt) -> set[str]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    if isinstance(node, ast.Assign):
        return {t.id for t in node.targets if isinstance(t, ast.Name)}
    if isinstance(node, ast.AnnAssign | ast.AugAssign) and isinstance(node.target, ast.Name):
        return {node.target.id}
    return set()


def _used(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _is_import(node: ast.stmt) -> bool:
    if isinstance(node, ast.Import | ast.ImportFrom):
        return True
    # `if TYPE_CHECKING:` holding imports only.
    return (
        isinstance(node, ast.If)
        and all(isinstance(b, ast.Import | ast.ImportFrom) for b in node.body)
        and not node.orelse
    )


SECTION = re.compile(r"\s*# -{3} .*-{3,}\s*$")


def split(name: str, dry_run: bool) -> int:
    plan = SPLITS[name]
    path = module_file(plan.source)
    source = path.read_text()
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    home: dict[str, str] = {}  # name -> piece module
    for piece in plan.pieces:
        for defined in piece.names:
            home[defined] = piece.module
        if module_file(piece.module).exists():
            sys.exit(f"relayout: {module_path(piece.module)} exists already")

    # Each top-level statement with its leading comments: (first line, last line, node).
    spans: list[tuple[int, int, ast.stmt]] = []
    previous_end = 0
    for node in tree.body:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        while first - 1 > previous_end and lines[first - 2].lstrip().startswith("#"):
            first -= 1
        spans.append((first, node.end_lineno or node.lineno, node))
        previous_end = node.end_lineno or node.lineno

    header: list[str] = []  # the imports, as written
    moved: dict[str, list[tuple[int, int, ast.stmt]]] = {p.module: [] for p in plan.pieces}
    stays: list[tuple[int, int, ast.stmt]] = []
    missing = set(home)
    for first, last, node in spans:
        names = _defined(node)
        targets = {home[n] for n in names if n in home}
        missing -= names
        if _is_import(node) and not (
            isinstance(node, ast.ImportFrom) and node.module == "__future__"
        ):
            header.append("".join(lines[node.lineno - 1 : last]))
        if len(targets) > 1:
            sys.exit(f"relayout: line {node.lineno} defines names of several pieces: {names}")
        if targets and names - home.keys():
            sys.exit(f"relayout: line {node.lineno} defines {names}: give all of them one piece")
        if targets:
            moved[targets.pop()].append((first, last, node))
        else:
            stays.append((first, last, node))
    if missing:
        sys.exit(f"relayout: not defined in {plan.source}: {sorted(missing)}")
    left = sorted(n for _, _, node in stays for n in _defined(node))
    print(f"  stays in {plan.source}: {', '.join(left)}")

    # What each piece needs from the others; from the source only when it is the base.
    needs: dict[str, dict[str, set[str]]] = {}
    for module, parts in moved.items():
        used: set[str] = set()
        for _, _, node in parts:
            used |= _used(node)
        own = {n for _, _, node in parts for n in _defined(node)}
        from_source = sorted(
            n for n in used - own if any(n in _defined(node) for _, _, node in stays)
        )
        if from_source and not plan.base:
            sys.exit(f"relayout: {module} would import {from_source} from {plan.source}")
        needs[module] = {plan.source: set(from_source)} if from_source else {}
        for n in sorted(used - own):
            if n in home:
                needs[module].setdefault(home[n], set()).add(n)
    _check_acyclic({m: set(d) for m, d in needs.items()} | {plan.source: set()})
    source_used: set[str] = set()
    for _, _, node in stays:
        source_used |= _used(node)
    source_needs: dict[str, set[str]] = {}
    for n in sorted(source_used & home.keys()):
        source_needs.setdefault(home[n], set()).add(n)
    if plan.base and source_needs:
        sys.exit(f"relayout: {plan.source} is the base but would import {source_needs}")

    future = "from __future__ import annotations\n"
    written: list[Path] = []
    for piece in plan.pieces:
        body = _join(lines, moved[piece.module])
        imports = [
            f"from {m} import {', '.join(sorted(ns))}\n"
            for m, ns in sorted(needs[piece.module].items())
        ]
        text = (
            f'"""{piece.doc}'
            + ('\n"""\n\n' if "\n" in piece.doc else '"""\n\n')
            + (future if future in source else "")
            + "\n"
            + "".join(header)
            + "".join(imports)
            + "\n\n"
            + body
        )
        target = module_file(piece.module)
        print(f"  write {target.relative_to(REPO)}: {len(moved[piece.module])} definitions")
        if not dry_run:
            target.write_text(text)
            written.append(target)

    # The source: what stays, plus imports from the pieces after its own imports.
    keep_lines: list[str] = []
    cut = {
        n for f, la, _ in (s for parts in moved.values() for s in parts) for n in range(f, la + 1)
    }
    last_import = max(
        (node.end_lineno or node.lineno for node in tree.body if _is_import(node)), default=0
    )
    for number, line in enumerate(lines, 1):
        if number in cut:
            continue
        keep_lines.append(line)
        if number == last_import:
            keep_lines += [
                f"from {m} import {', '.join(sorted(ns))}\n"
                for m, ns in sorted(source_needs.items())
            ]
    new_source = re.sub(r"\n{4,}", "\n\n\n", "".join(keep_lines))
    if not dry_run:
        path.write_text(new_source)
        written.append(path)

    # Importers elsewhere.
    for other in tracked_text_files():
        if other.suffix != ".py" or other in written or other == path:
            continue
        text = other.read_text()
        new = repoint_importers(text, plan.source, home)
        if new != text:
            print(f"  importer: {other.relative_to(REPO)}")
            if not dry_run:
                other.write_text(new)
                written.append(other)
    if dry_run:
        return 0
    make_public(plan, home, written)
    git("add", *(str(p.relative_to(REPO)) for p in written))
    rel = [str(p.relative_to(REPO)) for p in written]
    ruff("check", "--quiet", "--fix", "--select", "F401", *rel)
    # Imports the split wrote one name a line go back on one line where they fit.
    tidy(rel, "I", "--config", "lint.isort.split-on-trailing-comma=false")
    for piece in plan.pieces:
        size = len(module_file(piece.module).read_text().splitlines())
        print(f"  {module_path(piece.module)}: {size} lines")
    print(f"  {module_path(plan.source)}: {len(path.read_text().splitlines())} lines")
    return 0


def make_public(plan: Split, home: dict[str, str], files: list[Path]) -> None:
    """A private name another module now imports loses its underscore (``_Facts`` -> ``Facts``),
    unless the public name is already written in one of the files (a local ``region``): then it
    keeps it, and is listed."""
    texts = {path: path.read_text() for path in files}
    imported: set[str] = set()
    for text in texts.values():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ImportFrom) and node.module in {*home.values(), plan.source}:
                imported.update(a.name for a in node.names)
    renames: dict[str, str] = {}
    kept: list[str] = []
    written = {
        tok.string
        for text in texts.values()
        for tok in tokenize.generate_tokens(io.StringIO(text).readline)
        if tok.type == tokenize.NAME
    }
    for name in sorted(imported & home.keys()):
        public = plan.renames.get(name, name.lstrip("_"))
        if not name.startswith("_"):
            continue
        if public in written or public in renames.values() or not public.isidentifier():
            kept.append(name)
        else:
            renames[name] = public
    if kept:
        print(f"  kept private (the public name is taken): {', '.join(kept)}")
    if renames:
        print(f"  made public: {', '.join(f'{a} -> {b}' for a, b in renames.items())}")
    modules = {*home.values(), plan.source}
    for path, text in texts.items():
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
        aliases = {
            a.asname or a.name
            for node in ast.walk(ast.parse(text))
            if isinstance(node, ast.ImportFrom) and node.module
            for a in node.names
            if f"{node.module}.{a.name}" in modules
        }
        edits: list[tuple[tuple[int, int], tuple[int, int], str]] = []
        for i, tok in enumerate(tokens):
            if tok.type != tokenize.NAME or tok.string not in renames:
                continue
            after_dot = i > 0 and tokens[i - 1].string == "."
            if after_dot and not (i > 1 and tokens[i - 2].string in aliases):
                continue  # obj._name: an attribute of something else
            edits.append((tok.start, tok.end, renames[tok.string]))
        if edits:
            path.write_text(apply_edits(text.splitlines(keepends=True), edits, {}))


def _join(lines: list[str], parts: list[tuple[int, int, ast.stmt]]) -> str:
    """The statements of a piece in source order, spaced as they were where they were neighbours
    (a table of constants stays together); ruff format settles the blank lines around defs."""
    out: list[str] = []
    previous: tuple[int, int, ast.stmt] | None = None
    for first, last, node in parts:
        text = "".join(_strip_sections(lines[first - 1 : last])).rstrip("\n") + "\n"
        if previous is not None:
            definition = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
            if isinstance(node, definition) or isinstance(previous[2], definition):
                out.append("\n\n")
            else:
                gap = lines[previous[1] : first - 1]
                neighbours = all(not line.strip() for line in gap)
                out.append("\n" * min(len(gap), 2) if neighbours else "\n")
        out.append(text)
        previous = (first, last, node)
    return "".join(out)


def _strip_sections(lines: list[str]) -> list[str]:
    """Section rulers (# --- searches ---) belong to the source's order, not to a piece."""
    kept = [line for line in lines if not SECTION.match(line)]
    while kept and not kept[0].strip():
        kept.pop(0)
    return kept


def _check_acyclic(graph: dict[str, set[str]]) -> None:
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            sys.exit(f"relayout: the pieces import in a circle: {' -> '.join([*path, node])}")
        if node in done:
            return
        for nxt in graph.get(node, ()):
            visit(nxt, [*path, node])
        done.add(node)

    for node in graph:
        visit(node, [])


def repoint_importers(text: str, source: str, home: dict[str, str]) -> str:
    """`from source import a, b` and `alias.a` (alias bound to the source) follow a and b."""
    tree = ast.parse(text)
    package, leaf = source.rsplit(".", 1)
    aliases: set[str] = set()
    edits: list[tuple[int, int, str]] = []  # whole statements: (first line, last line, text)
    lines = text.splitlines(keepends=True)
    added: dict[str, str] = {}  # piece module -> alias it is imported as
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == source:
            groups: dict[str, list[str]] = {}
            for a in node.names:
                target = home.get(a.name, source)
                groups.setdefault(target, []).append(
                    a.name + (f" as {a.asname}" if a.asname else "")
                )
            if set(groups) != {source}:
                indent = lines[node.lineno - 1][: node.col_offset]
                new = "".join(
                    f"{indent}from {m} import {', '.join(ns)}\n" for m, ns in sorted(groups.items())
                )
                edits.append((node.lineno, node.end_lineno or node.lineno, new))
        elif isinstance(node, ast.ImportFrom) and node.module == package:
            aliases.update(a.asname or a.name for a in node.names if a.name == leaf)
        elif isinstance(node, ast.Import):
            aliases.update(a.asname for a in node.names if a.name == source and a.asname)
    # Strings naming a moved attribute: monkeypatch targets and comments.
    dotted = re.compile(re.escape(source) + r"\.([A-Za-z_]\w*)")

    def in_text(s: str) -> str:
        return dotted.sub(lambda m: f"{home.get(m.group(1), source)}.{m.group(1)}", s)

    token_edits: list[tuple[tuple[int, int], tuple[int, int], str]] = []
    tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    for i, tok in enumerate(tokens):
        if tok.type in (tokenize.STRING, tokenize.COMMENT):
            new = in_text(tok.string)
            if new != tok.string:
                token_edits.append((tok.start, tok.end, new))
        elif (
            tok.type == tokenize.NAME
            and tok.string in aliases
            and not (i and tokens[i - 1].string == ".")
            and i + 2 < len(tokens)
            and tokens[i + 1].string == "."
            and tokens[i + 2].string in home
        ):
            piece = home[tokens[i + 2].string]
            alias = added.setdefault(piece, piece.rsplit(".", 1)[1])
            token_edits.append((tok.start, tok.end, alias))
    regenerate = {first: (last, new) for first, last, new in edits}
    if added:
        # The pieces' modules, imported beside the source's module (ruff sorts them).
        anchor = next(
            n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == package
        )
        end = anchor.end_lineno or anchor.lineno
        indent = lines[anchor.lineno - 1][: anchor.col_offset]
        extra = "".join(
            f"{indent}from {m.rsplit('.', 1)[0]} import {m.rsplit('.', 1)[1]}\n"
            for m in sorted(added)
        )
        regenerate[anchor.lineno] = (end, "".join(lines[anchor.lineno - 1 : end]) + extra)
    return apply_edits(lines, token_edits, regenerate)


# --- docs ----------------------------------------------------------------------------------
#
# README sections that move to docs/ whole (whatever they hold when this runs), leaving the
# summary of tools/relayout_docs/summaries.md under the same heading, so links to them still land.
DOC_PAGES = {
    "How the Sinch token is kept": "docs/token-policy.md",
    "Security and reliability": "docs/security.md",
    "Performance": "docs/performance.md",
}
DOCS = REPO / "tools/relayout_docs"
# Mentions of the moved sections in code and tests (applied where found).
# Regular expressions: a wrapped mention keeps its line break (\1).
MENTIONS = {
    r"the(\s+)README's table": r"the\1benchmark's table",
    r"\(README,(\s+)Performance;": r"(see\1docs/performance.md;",
}
FENCE = re.compile(r"^\s*```")


def sections(text: str) -> list[tuple[str, str]]:
    """README as (heading, text) pairs by `## ` headings outside code fences; ("", preamble)."""
    out: list[tuple[str, list[str]]] = [("", [])]
    fenced = False
    for line in text.splitlines(keepends=True):
        if FENCE.match(line):
            fenced = not fenced
        if not fenced and line.startswith("## "):
            out.append((line[3:].strip(), []))
        out[-1][1].append(line)
    return [(heading, "".join(lines)) for heading, lines in out]


def anchor_of(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def as_page(heading: str, body: str) -> str:
    """A README section as a docs page: one heading level up, links relative to docs/."""
    lines = body.splitlines(keepends=True)[1:]  # the `## ` heading becomes the title
    inner: set[str] = set()
    fenced = False
    out: list[str] = []
    for line in lines:
        if FENCE.match(line):
            fenced = not fenced
        if not fenced and re.match(r"#{3,} ", line):
            line = line[1:]
            inner.add(anchor_of(line.lstrip("#").strip()))
        out.append(line)
    text = "".join(out)

    def link(m: re.Match[str]) -> str:
        target = m.group(1)
        if target.startswith("#"):
            return m.group(0) if target[1:] in inner else f"](../README.md{target})"
        if re.match(r"[a-z]+:", target) or target.startswith("/"):
            return m.group(0)
        return f"](../{target})"

    text = re.sub(r"\]\(([^)\s]+)\)", link, text)
    back = f"The detail behind the summary in the [README](../README.md#{anchor_of(heading)}).\n\n"
    return f"# {heading}\n\n{back}{text.strip()}\n"


def docs(dry_run: bool) -> int:
    readme = REPO / "README.md"
    parts = sections(readme.read_text())
    summaries = dict(sections((DOCS / "summaries.md").read_text()))
    architecture = (DOCS / "architecture.md").read_text()
    out: list[str] = []
    written: list[Path] = []
    placed = False
    for heading, body in parts:
        if heading in DOC_PAGES:
            page = REPO / DOC_PAGES[heading]
            print(f"  {heading!r} -> {page.relative_to(REPO)} ({len(body.splitlines())} lines)")
            if not dry_run:
                page.parent.mkdir(exist_ok=True)
                page.write_text(as_page(heading, body))
                written.append(page)
            out.append(summaries[heading].rstrip("\n") + "\n\n")
            continue
        if heading == "Architecture":
            continue  # written again below
        if heading == "Development" and not placed:
            out.append(architecture.rstrip("\n") + "\n\n")
            placed = True
        if heading == "Development":
            body = drop_layout_block(body)
        out.append(body)
    if not placed:
        out.append("\n" + architecture)
    text = "".join(out).replace("(see Performance)", "(see docs/performance.md)")
    text = re.sub(r"\n{3,}", "\n\n", text)
    if not dry_run:
        readme.write_text(text)
        written.append(readme)
        git("add", *(str(p.relative_to(REPO)) for p in written))
    for path in tracked_text_files():
        if path.suffix != ".py":
            continue
        source = path.read_text()
        new = source
        for pattern, replacement in MENTIONS.items():
            new = re.sub(pattern, replacement, new)
        if new != source:
            print(f"  mention: {path.relative_to(REPO)}")
            if not dry_run:
                path.write_text(new)
    for path in sorted({readme, *written}):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            for name in re.findall(r"`(bot/[\w/.]+\.py|bot/[\w/]+/)`", line):
                if not (REPO / name).exists():
                    print(f"  no such path: {path.relative_to(REPO)}:{n}: {name}")
    return 0


def drop_layout_block(body: str) -> str:
    """The old file-by-file layout in Development gives way to the Architecture section."""
    pattern = re.compile(r"Layout \(.*?\n```\n.*?\n```\n", re.S)
    pointer = "The layout, the layers and where to change what: [Architecture](#architecture).\n"
    return pattern.sub(pointer, body, count=1)


def diff_lines(rel: Path, old: str, new: str) -> None:
    for n, (a, b) in enumerate(zip(old.splitlines(), new.splitlines(), strict=False), 1):
        if a != b:
            print(f"{rel}:{n}: {a.strip()}\n{' ' * len(str(rel))}   -> {b.strip()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="step", required=True)
    step = sub.add_parser("moves", help="git mv the modules into packages and rewrite references")
    step.add_argument("--dry-run", action="store_true")
    step = sub.add_parser("money", help="Money from the Sinch wire models into bot/core/money.py")
    step.add_argument("--dry-run", action="store_true")
    step = sub.add_parser("split", help="split a module into pieces by name (SPLITS)")
    step.add_argument("plan", choices=sorted(SPLITS))
    step.add_argument("--dry-run", action="store_true")
    step = sub.add_parser("docs", help="README: long sections to docs/, the Architecture section")
    step.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    if args.step == "docs":
        return docs(args.dry_run)
    if args.step == "split":
        return split(args.plan, args.dry_run)
    if args.step == "moves":
        return moves(args.dry_run)
    if args.step == "money":
        return money(args.dry_run)
    return 2


if __name__ == "__main__":
    sys.exit(main())
