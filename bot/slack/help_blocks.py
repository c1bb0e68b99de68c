"""Block Kit for help: the command's usage, the button that opens the search form."""

from __future__ import annotations

from bot.commands.usage import COMMAND, USAGE
from bot.slack.blocks import Block, Message, _button, _context, _header, _message, _section

# Opens the search form (bot/slack/search_form.py): in the help message and the Home tab.
SEARCH_FORM_ACTION = "numbers_search_form"


def search_form_button() -> Block:
    """An actions block with the button that opens the search form."""
    return {
        "type": "actions",
        "elements": [{**_button("Search numbers", SEARCH_FORM_ACTION, "open"), "style": "primary"}],
    }


def render_help() -> Message:
    blocks = [
        _header(f"{COMMAND}: find Sinch phone numbers to rent"),
        _section(USAGE),
        _context(
            "Replies are visible only to you; *Share to channel* posts a search for everyone."
        ),
        search_form_button(),
    ]
    return _message(f"{COMMAND} help: {COMMAND} REGION [TYPE] [filters]", blocks)
