"""Region and type words: the longest run of words naming a region, one region and
one type per query, and the hints for a word that is neither (typos, synonyms).
"""

from __future__ import annotations

import difflib

from bot.commands.regions import (
    describe_suggestions,
    has_calling_code,
    lookup_region,
    max_name_words,
    region_name,
    suggest_regions,
)
from bot.commands.usage import COMMAND, Kind, usage_for
from bot.commands.words import KNOWN_WORDS, OTHER_TYPES, TYPE_SYNONYMS, TYPE_WORDS, Facts, Words
from bot.core.domain import ActiveQuery, NumberType, RegionsQuery
from bot.core.errors import CommandError


def region_at(facts: Facts, words: Words, start: int) -> int:
    """Match the longest run of words naming a region at ``start``; returns words used."""
    longest = min(max_name_words(), len(words.lower) - start)
    for size in range(longest, 0, -1):
        code = lookup_region(" ".join(words.lower[start : start + size]))
        if code is None:
            continue
        if not has_calling_code(code):
            raise CommandError(
                f"{region_name(code)} ({code}) has no phone numbers: it has no country"
                " calling code.",
                usage=f"Pick a country, e.g. `US`, `GB` or `SE`; `{COMMAND} regions` lists them.",
            )
        facts.regions.append((code, words.shown(start, size)))
        return size
    return 0


def unknown_word(
    words: Words, start: int, kind: Kind, *, region_given: bool = False
) -> CommandError:
    token = words.lower[start]
    shown = words.shown(start)
    usage = usage_for(kind)
    unknown_type = f"`{shown}` is an unknown type, use LOCAL, MOBILE or TOLL_FREE"
    if token in OTHER_TYPES:
        return CommandError(f"{unknown_type}.", usage=usage)
    if token in TYPE_SYNONYMS:
        meant = TYPE_SYNONYMS[token].value
        return CommandError(f"{unknown_type} (did you mean `{meant}`?).", usage=usage)
    close_word = difflib.get_close_matches(token[:30], KNOWN_WORDS, n=1, cutoff=0.75)
    if close_word:
        word = close_word[0]
        if word in TYPE_WORDS:
            meant = TYPE_WORDS[word].value
            return CommandError(f"{unknown_type} (did you mean `{meant}`?).", usage=usage)
        return CommandError(f"I didn't understand `{shown}`. Did you mean `{word}`?", usage=usage)
    if kind is RegionsQuery or (kind is ActiveQuery and region_given):
        # Only a type can go here (`regions FAX`, `active US FAX`), as after a search's region:
        # a region that merely looks alike (FAX: Åland's AX) would be far-fetched.
        return CommandError(f"{unknown_type}.", usage=usage)
    suggestions = _region_suggestions(words.lower, start)
    if suggestions:
        return CommandError(
            f"`{shown}` is not a region I know. Did you mean {describe_suggestions(suggestions)}?",
            usage=usage,
        )
    if token.isascii() and token.isalpha() and len(token) in (2, 3):
        return CommandError(
            f"`{shown}` is not a country code I know. Use an ISO code such as `US`, `GB`, `SE`"
            f" (`{COMMAND} regions` lists them).",
            usage=usage,
        )
    return CommandError(f"I didn't understand `{shown}`.", usage=usage)


def _region_suggestions(tokens: list[str], start: int) -> list[str]:
    """Suggestions for the longest run of plain words at ``start`` ("unitd states")."""
    words: list[str] = []
    for token in tokens[start : start + max_name_words()]:
        if not token.replace("'", "").replace("-", "").isalpha() or token in KNOWN_WORDS:
            break
        words.append(token)
    for size in range(len(words), 0, -1):
        found = suggest_regions(" ".join(words[:size]))
        if found:
            return found
    return []


def one_type(facts: Facts, usage: str) -> NumberType | None:
    if len(facts.types) > 1:
        got = " and ".join(t.value for t, _ in facts.types)
        raise CommandError(f"Give one number type (got {got}).", usage=usage)
    return facts.types[0][0] if facts.types else None


def one_region(facts: Facts, usage: str) -> str | None:
    if len(facts.regions) > 1:
        got = " and ".join(
            f"`{typed}`" if typed.upper() == code else f"`{typed}` ({code})"
            for code, typed in facts.regions
        )
        raise CommandError(f"Give one region at a time (got {got}).", usage=usage)
    return facts.regions[0][0] if facts.regions else None
