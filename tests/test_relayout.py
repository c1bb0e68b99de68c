"""tools/relayout.py's rewrite rules, on small sources (the tree itself is moved only once)."""

from __future__ import annotations

from tools.relayout import Rewriter, reflow_comments, repoint_importers

MOVES = {
    "bot.asgi": "bot.app.asgi",
    "bot.runtime": "bot.app.runtime",
    "bot.service": "bot.search.service",
    "bot.audit": "bot.ops.audit",
    "bot.cli": "bot.cli.app",
    "bot.cli_render": "bot.cli.render",
    "bot.watch.blocks": "bot.slack.watch_blocks",
}
REWRITER = Rewriter(MOVES, frozenset({"bot.cli", "bot.audit"}))


def test_imports_of_every_form_follow_the_modules() -> None:
    source = (
        "import bot.runtime\n"
        "from bot import asgi, sandbox\n"
        "from bot import cli_render as render\n"
        "from bot.service import NumbersService\n"
        "from bot.watch import blocks as wb, model\n"
        "bot.runtime.build_runtime()\n"
    )
    assert REWRITER.python(source) == (
        "import bot.app.runtime\n"
        "from bot import sandbox\n"
        "from bot.app import asgi\n"
        "from bot.cli import render\n"
        "from bot.search.service import NumbersService\n"
        "from bot.watch import model\n"
        "from bot.slack import watch_blocks as wb\n"
        "bot.app.runtime.build_runtime()\n"
    )


def test_strings_comments_and_paths_follow_but_kept_names_stay() -> None:
    source = (
        "# see bot.service.NumbersService and bot/cli_render.py\n"
        'monkeypatch.setattr("bot.service.NumbersService.run", run)\n'
        'args = ["-m", "bot.cli", "serve"]  # a package that still runs\n'
        'target = "bot.cli.main"\n'
        'caplog.set_level(logging.INFO, logger="bot.audit")\n'
        'patch = "bot.audit.log"\n'
    )
    assert REWRITER.python(source) == (
        "# see bot.search.service.NumbersService and bot/cli/render.py\n"
        'monkeypatch.setattr("bot.search.service.NumbersService.run", run)\n'
        'args = ["-m", "bot.cli", "serve"]  # a package that still runs\n'
        'target = "bot.cli.app.main"\n'
        'caplog.set_level(logging.INFO, logger="bot.audit")\n'
        'patch = "bot.ops.audit.log"\n'
    )


def test_names_that_only_look_alike_stay() -> None:
    source = (
        "bot = start()\n"
        "bot.runtime = 1  # a variable, in a file that imports no bot module\n"
        'name = "numbers-bot.service"\n'
        "self.bot.asgi = None\n"
        "from bot.cli_renderer import x\n"
    )
    assert REWRITER.python(source) == source


def test_text_files_keep_the_entry_point() -> None:
    toml = 'numbers-bot = "bot.cli:main"\n"bot/cli.py" = ["T20"]\n'
    assert REWRITER.text(toml) == 'numbers-bot = "bot.cli:main"\n"bot/cli/app.py" = ["T20"]\n'


def test_a_comment_made_too_long_is_rewrapped() -> None:
    # 124 characters: the words from the long name on go to the next comment line.
    long = (
        "    # " + "word " * 16 + "bot.app.asgi.build_runtime is the seam\n    # that tests use.\n"
    )
    assert reflow_comments(long) == (
        "    # " + "word " * 15 + "word\n"
        "    # bot.app.asgi.build_runtime is the seam that tests use.\n"
    )


def test_importers_of_a_split_module_follow_each_name() -> None:
    home = {"render_search": "bot.slack.search_blocks", "render_help": "bot.slack.help_blocks"}
    source = (
        "from bot.slack import blocks\n"
        "from bot.slack.blocks import Block, render_search\n"
        "blocks.render_help(); blocks.escape('x')\n"
        'patched = "bot.slack.blocks.render_search"\n'
    )
    assert repoint_importers(source, "bot.slack.blocks", home) == (
        "from bot.slack import blocks\n"
        "from bot.slack import help_blocks\n"
        "from bot.slack.blocks import Block\n"
        "from bot.slack.search_blocks import render_search\n"
        "help_blocks.render_help(); blocks.escape('x')\n"
        'patched = "bot.slack.search_blocks.render_search"\n'
    )
