"""parse_watch_command: every search form works after `watch`; watches; unwatch ID."""

from __future__ import annotations

import dataclasses

import pytest

from bot.commands.parser import parse_command
from bot.commands.watch import (
    ListWatches,
    StopWatch,
    WatchSearch,
    parse_watch_command,
    parse_watch_text,
    watch_text,
)
from bot.core.domain import DEFAULT_LIMIT, SearchQuery
from bot.core.errors import CommandError


@pytest.mark.parametrize(
    "search",
    [
        "seattle sms max:2",
        "US LOCAL 206",
        "near:+12065550123",
        "GB london nodocs",
        "US texas sort:price",
        "US contains:PIZZA",
        "in:portland,me",
        "SE MOBILE sms voice ends:00 limit:5",
        "+1206",
    ],
)
def test_every_search_form_works_after_watch(search: str) -> None:
    parsed = parse_watch_command(f"watch {search}")
    assert isinstance(parsed, WatchSearch)
    assert parsed.query == parse_command(search)
    # What is stored parses back to the same search (any limit: a watch looks at them all).
    assert parse_watch_text(parsed.text) == dataclasses.replace(parsed.query, limit=DEFAULT_LIMIT)


def test_equal_searches_have_equal_text_whatever_the_limit_or_word_order() -> None:
    texts = {
        watch_text(q)
        for q in (
            parse_command("US LOCAL sms 206"),
            parse_command("sms 206 us"),
            parse_command("US 206 sms limit:3"),
        )
        if isinstance(q, SearchQuery)
    }
    assert texts == {"US LOCAL sms 206"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("watches", ListWatches()),
        ("WATCHES", ListWatches()),
        ("/numbers watches", ListWatches()),
        ("unwatch 3", StopWatch(3)),
        ("unwatch #12", StopWatch(12)),
        ("US LOCAL", None),
        ("seattle", None),
        ("rent +12065550100", None),
        ("", None),
    ],
)
def test_list_and_stop(text: str, expected: object) -> None:
    assert parse_watch_command(text) == expected


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("watch", "What should I watch"),
        ("watch Swedn", "Did you mean"),
        ("watch regions", "Only searches can be watched"),
        ("watch help", "Only searches can be watched"),
        ("watch US LOCAL fax", "`fax`"),
        ("unwatch", "Which watch"),
        ("unwatch seven", "not a watch ID"),
        ("unwatch 1234567890123", "not a watch ID"),
        ("watches 3", "takes nothing"),
    ],
)
def test_bad_watch_commands_say_what_is_wrong(text: str, hint: str) -> None:
    with pytest.raises(CommandError) as raised:
        parse_watch_command(text)
    assert hint in raised.value.hint
    assert raised.value.usage
