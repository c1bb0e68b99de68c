"""Parse `watch <search>`, `watches` and `unwatch ID` (pure, no I/O).

`watch` takes every search form `/numbers` takes: the words after it go through the one search
grammar (``parser.parse_command``), so a watch can never mean something a search would not.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from dataclasses import dataclass

from bot.commands.parser import format_query, parse_command
from bot.commands.usage import COMMAND
from bot.core.domain import DEFAULT_LIMIT, SearchQuery
from bot.core.errors import CommandError

WATCH_USAGE = (
    f"`{COMMAND} watch SEARCH`, where SEARCH is any search: `{COMMAND} watch seattle sms max:2`,"
    f" `{COMMAND} watch US LOCAL 206`, `{COMMAND} watch near:+12065550123`,"
    f" `{COMMAND} watch GB london nodocs`"
)
UNWATCH_USAGE = f"`{COMMAND} unwatch ID` (the ID `{COMMAND} watches` shows), e.g. `unwatch 3`"
# Watch ids are database ids; anything longer is not one of ours.
_MAX_ID_DIGITS = 12


@dataclass(frozen=True)
class WatchSearch:
    """``watch <search>``: the search, validated like any other."""

    query: SearchQuery

    @property
    def text(self) -> str:
        return watch_text(self.query)


@dataclass(frozen=True)
class ListWatches:
    """``watches``."""


@dataclass(frozen=True)
class StopWatch:
    """``unwatch ID``."""

    watch_id: int


WatchCommand = WatchSearch | ListWatches | StopWatch


def watch_text(query: SearchQuery) -> str:
    """The canonical text of a watched search: equal searches, equal text (one Sinch call).

    The limit only trims what a reply shows, and a watch looks at everything Sinch returns,
    so it is left out; Show-more's offset is not part of a search either.
    """
    return format_query(dataclasses.replace(query, limit=DEFAULT_LIMIT, offset=0))


def parse_watch_text(text: str) -> SearchQuery:
    """A stored watch's text back into its search (raises CommandError if no longer valid)."""
    query = parse_command(text)
    if not isinstance(query, SearchQuery):
        raise CommandError(f"`{text[:80]}` is not a search.", usage=WATCH_USAGE)
    return query


def parse_watch_command(text: str) -> WatchCommand | None:
    """A WatchCommand when ``text`` starts with watch/watches/unwatch, None for anything else.

    Raises CommandError (with the usage) for a watch of something that is not a valid search,
    or an unwatch without a valid id: nothing is stored and nothing reaches Sinch.
    """
    words = unicodedata.normalize("NFKC", text).split(maxsplit=1)
    if words and words[0] == COMMAND:
        words = words[1].split(maxsplit=1) if len(words) > 1 else []
    if not words:
        return None
    first = words[0].lower()
    rest = words[1].strip() if len(words) > 1 else ""
    if first == "watches":
        if rest:
            raise CommandError(
                f"`watches` takes nothing after it: `{COMMAND} watches`.",
                usage=f"`{COMMAND} watches`; `{COMMAND} unwatch ID` stops one",
            )
        return ListWatches()
    if first == "unwatch":
        return StopWatch(_watch_id(rest))
    if first != "watch":
        return None
    if not rest:
        raise CommandError("What should I watch? Give a search after `watch`.", usage=WATCH_USAGE)
    try:
        query = parse_command(rest)
    except CommandError as err:
        raise CommandError(str(err), usage=WATCH_USAGE) from None
    if not isinstance(query, SearchQuery):
        raise CommandError(
            "Only searches can be watched, e.g. `watch US LOCAL 206`.", usage=WATCH_USAGE
        )
    return WatchSearch(query)


def _watch_id(text: str) -> int:
    value = text.lstrip("#")
    if not value:
        raise CommandError("Which watch? Give its ID after `unwatch`.", usage=UNWATCH_USAGE)
    if not (value.isascii() and value.isdigit()) or len(value) > _MAX_ID_DIGITS:
        shown = value[:20].replace("`", "'")
        raise CommandError(f"`{shown}` is not a watch ID (a number).", usage=UNWATCH_USAGE)
    return int(value)
