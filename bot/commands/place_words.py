"""Place words in a search: `in:` values, runs of words nothing else claimed, a
region word that is a state (`US CA`), resolved through ``where``.
"""

from __future__ import annotations

import difflib
import re

from bot.commands import where
from bot.commands.filters import digits_of
from bot.commands.region_type import unknown_word
from bot.commands.regions import display_word, lookup_region
from bot.commands.words import (
    CAPABILITY_WORDS,
    KIND_WORDS,
    KNOWN_WORDS,
    NODOCS_WORDS,
    OTHER_TYPES,
    TYPE_SYNONYMS,
    TYPE_WORDS,
    Facts,
    Words,
)
from bot.core.domain import PlaceFilter, SearchPattern, SearchQuery
from bot.core.errors import CommandError

# A word that may be part of a place name: letters, with inner apostrophes, dots or hyphens.
PLACE_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['.-])*")


def in_place(facts: Facts, words: Words, start: int, value: str, consumed: int) -> int:
    """`in:san francisco,ca`: the value and the plain words after it; returns words used."""
    parts = [value]
    while start + consumed < len(words.lower) and "~" not in parts[-1]:
        word = words.lower[start + consumed]
        if not PLACE_WORD.fullmatch(word.split("~")[0]) or _claimed(word.split("~")[0]):
            break
        parts.append(word)
        consumed += 1
    qualifier = None
    if "~" in parts[-1]:
        parts[-1], qualifier = parts[-1].split("~", 1)
    names = tuple(p for p in " ".join(parts).split() if p)
    typed = " ".join(names) + (f", {qualifier.upper()}" if qualifier else "")
    if not names or not all(PLACE_WORD.fullmatch(n) for n in names):
        raise CommandError(
            f"`in:` takes a place name, e.g. `in:austin` or `in:portland,me` (got"
            f" `{display_word(typed or value)}`).",
            usage=where.PLACE_USAGE,
        )
    facts.places.append(where.PlaceWords(names, typed, qualifier, explicit=True))
    facts.filter_word = facts.filter_word or "in:"
    return consumed


def _claimed(word: str) -> bool:
    """Words with a meaning of their own end an `in:` place name (`in:austin LOCAL`)."""
    return (
        word in TYPE_WORDS
        or word in CAPABILITY_WORDS
        or word in NODOCS_WORDS
        or word in KIND_WORDS
        or lookup_region(word) is not None
    )


def regions_as_places(facts: Facts) -> None:
    """`US CA`, `US georgia`, `GA US`: a second "region" that is a state or place of the other."""
    if len(facts.regions) != 2 or facts.places or facts.nears:
        return
    for keep, other in (facts.regions, facts.regions[::-1]):
        if where.place_in(keep[0], other[1]):
            facts.regions = [keep]
            facts.places.append(where.PlaceWords((other[1].lower(),), other[1]))
            return


def one_place(
    facts: Facts, region: str | None, usage: str
) -> tuple[str | None, PlaceFilter | None]:
    if len(facts.places) + len(facts.nears) > 1:
        got = [f"`{display_word(p.typed)}`" for p in facts.places]
        got += [f"`near:{display_word(n)}`" for n in facts.nears]
        raise CommandError(f"Give one place at a time (got {' and '.join(got)}).", usage=usage)
    if facts.nears:
        return where.near(facts.nears[0], region)
    if not facts.places:
        return region, None
    words = facts.places[0]
    try:
        return where.resolve(region, words)
    except CommandError:
        if not words.explicit:
            # Words nothing claimed and no place: a typo of a keyword ("smss", "cell") is
            # likelier than a place typo. A place comes first: `oregon`, `regina`.
            typo = _keyword_typo(words)
            if typo is not None:
                raise typo from None
        joined = _with_region_word(facts, words)
        if joined is not None:
            return joined
        if region is None and not words.explicit:
            # Not a place anywhere: close place names first ("seatle"), then the region hints
            # of before ("Swedn" -> SE).
            close = where.close_places(words)
            if close is not None:
                raise close from None
            raise unknown_word(
                Words(list(words.words), words.typed.split()), 0, SearchQuery
            ) from None
        raise


def _with_region_word(
    facts: Facts, words: where.PlaceWords
) -> tuple[str | None, PlaceFilter | None] | None:
    """`st. louis`: the region's word ("ST", São Tomé) was the first word of the place."""
    if len(facts.regions) != 1 or words.explicit:
        return None
    typed = facts.regions[0][1]
    joined = where.PlaceWords((typed.lower(), *words.words), f"{typed} {words.typed}")
    try:
        return where.resolve(None, joined)
    except CommandError:
        return None


def _keyword_typo(words: where.PlaceWords) -> CommandError | None:
    typed = words.typed.split()
    listed = Words(
        list(words.words), typed if len(typed) == len(words.words) else list(words.words)
    )
    # The first word only, as before place search: "unitd states" is a region typo.
    token = words.words[0]
    close = difflib.get_close_matches(token[:30], KNOWN_WORDS, n=1, cutoff=0.75)
    if token in OTHER_TYPES or token in TYPE_SYNONYMS or close:
        return unknown_word(listed, 0, SearchQuery)
    return None


def region_of_international_prefix(facts: Facts) -> str | None:
    """`/numbers +1206`: the region of the calling code the prefix starts with."""
    for kind, value, _ in facts.patterns:
        if kind is SearchPattern.START and value.startswith("+"):
            digits = digits_of(value[1:])
            if digits:
                return where.region_for_calling_code(digits)
    return None
