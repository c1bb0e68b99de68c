"""The terminal surface, ``numbers-bot``: the argument parser and dispatch (``app``),
rent/release/show with a prompt (``numbers``), text and JSON output (``render``), the progress
line (``progress``) and the database-backed ``history`` and ``watches`` commands.

It may import the composition root (``bot.app``, to build a runtime or serve) and every layer
below; nothing imports it but the entry point.
"""

from bot.cli.app import main

__all__ = ["main"]
