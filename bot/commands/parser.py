"""Parse `/numbers` text into a Query, validate searches, and format queries back to text."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

from bot.commands import where
from bot.commands.filters import DIGITS, add_key_value, one_pattern
from bot.commands.place_words import (
    PLACE_WORD,
    in_place,
    one_place,
    region_of_international_prefix,
    regions_as_places,
)
from bot.commands.region_type import one_region, one_type, region_at, unknown_word
from bot.commands.regions import display_word, region_name
from bot.commands.tokens import MAX_TEXT_LENGTH, tokenize, too_long
from bot.commands.usage import COMMAND, Kind, usage_for
from bot.commands.words import (
    CAPABILITY_WORDS,
    KEY_VALUE,
    KIND_ALIASES,
    KIND_WORDS,
    NODOCS_WORDS,
    TYPE_WORDS,
    Facts,
    Words,
)
from bot.core.domain import (
    DEFAULT_LIMIT,
    ActiveQuery,
    Capability,
    HelpQuery,
    NumberType,
    Query,
    RegionsQuery,
    SearchPattern,
    SearchQuery,
)
from bot.core.errors import CommandError
from bot.core.validation import validate_search_query


def parse_command(text: str) -> Query:
    """Turn the text after `/numbers` into a query.

    Case-insensitive, tokens in any order. Raises CommandError (and nothing else) for any
    input that is not a valid command; a returned SearchQuery always passes
    validate_search_query.
    """
    # Parsing is pure and queries are frozen: a team types the same few commands again and
    # again, so short texts are parsed once (16 % of the ack path's CPU for `US LOCAL`).
    # Refusals are not cached (lru_cache stores no exceptions); long texts are not kept.
    if len(text) <= _CACHED_TEXT_LENGTH:
        return _parse_cached(text)
    return _parse(text)


_CACHED_TEXT_LENGTH = 100


@lru_cache(maxsize=1024)
def _parse_cached(text: str) -> Query:
    return _parse(text)


def _parse(text: str) -> Query:
    if len(text) > MAX_TEXT_LENGTH * 4:
        raise too_long()
    typed = tokenize(text)
    if sum(len(t) + 1 for t in typed) > MAX_TEXT_LENGTH:
        raise too_long()
    if typed[:1] == [COMMAND]:
        typed = typed[1:]  # pasted from the help text, command included
    if not typed:
        return HelpQuery()
    words = [t.lower() for t in typed]
    first = KIND_ALIASES.get(words[0], words[0])
    kind = KIND_WORDS.get(first, SearchQuery)
    if kind is HelpQuery:
        return HelpQuery()
    skip = 0 if kind is SearchQuery else 1
    facts = _scan(Words(words[skip:], typed[skip:]), kind)
    if kind is RegionsQuery:
        return _build_regions(facts)
    if kind is ActiveQuery:
        return _build_active(facts)
    query = _build_search(facts)
    validate_search_query(query)
    return query


def format_query(query: Query) -> str:
    """Canonical command text: ``parse_command(format_query(q)) == q`` for parsed queries.

    An ActiveQuery's page_token is not part of the text (the Next-page button carries it).
    """
    if isinstance(query, HelpQuery):
        return "help"
    if isinstance(query, RegionsQuery):
        return " ".join(["regions", *([query.type.value] if query.type else [])])
    if isinstance(query, ActiveQuery):
        parts = ["active", query.region or "", query.type.value if query.type else ""]
        return " ".join(p for p in parts if p)
    parts = [query.region, query.type.value, *(c.value.lower() for c in query.capabilities)]
    if query.pattern is not None:
        prefix = {
            SearchPattern.START: "",
            SearchPattern.CONTAINS: "contains:",
            SearchPattern.END: "ends:",
        }[query.pattern.kind]
        digits = query.pattern.word or query.pattern.digits
        if query.pattern.kind is SearchPattern.START and (
            where.without_trunk_prefix(query.region, digits) != digits
        ):
            # "00" after +20 would read as a national "0" + "0": say it internationally.
            digits = f"+{phonenumbers.country_code_for_region(query.region)}{digits}"
        parts.append(prefix + digits)
    if query.place is not None:
        parts.append(query.place.text)
    if query.nodocs:
        parts.append("nodocs")
    if query.max_monthly is not None:
        parts.append(f"max:{query.max_monthly}")
    if query.sort_by_price:
        parts.append("sort:price")
    if query.limit != DEFAULT_LIMIT:
        parts.append(f"limit:{query.limit}")
    return " ".join(parts)


# --- tokenizing -------------------------------------------------------------------------


# --- scanning ---------------------------------------------------------------------------


def _scan(words: Words, kind: Kind) -> Facts:
    facts = Facts()
    usage = usage_for(kind)
    tokens = words.lower
    i = 0
    last_place_word = -2
    while i < len(tokens):
        token = tokens[i]
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if token in NODOCS_WORDS:
            facts.nodocs = True
            facts.filter_word = facts.filter_word or token
            i += 1
            continue
        if token == "toll" and following == "free":
            facts.types.append((NumberType.TOLL_FREE, "toll free"))
            i += 2
            continue
        if token in TYPE_WORDS:
            facts.types.append((TYPE_WORDS[token], token))
            i += 1
            continue
        if token in CAPABILITY_WORDS:
            facts.capabilities.append(CAPABILITY_WORDS[token])
            facts.filter_word = facts.filter_word or token
            i += 1
            continue
        key_value = KEY_VALUE.fullmatch(token)
        if key_value:
            key, value = key_value.groups()
            consumed = 1
            if not value and following is not None:
                value, consumed = following, 2  # "contains: 555"
            if key == "in" and kind is SearchQuery:
                i += in_place(facts, words, i, value, consumed)
                continue
            add_key_value(facts, key, value, usage)
            facts.filter_word = facts.filter_word or token
            i += consumed
            continue
        if DIGITS.fullmatch(token):
            facts.patterns.append((SearchPattern.START, token, words.typed[i]))
            facts.filter_word = facts.filter_word or token
            i += 1
            continue
        if KIND_ALIASES.get(token, token) in KIND_WORDS:
            word = KIND_ALIASES.get(token, token)
            raise CommandError(
                f"`{word}` goes first: `{COMMAND} {word} …`.", usage=usage_for(KIND_WORDS[word])
            )
        if (
            kind is SearchQuery
            and last_place_word == i - 1
            and not facts.places[-1].explicit
            and PLACE_WORD.fullmatch(token)
            and where.continues_place(facts.places[-1].words, token)
        ):
            # `springfield il`, `new jersey`: the region word belongs to the place.
            run = facts.places[-1]
            facts.places[-1] = where.PlaceWords(
                (*run.words, token), f"{run.typed} {words.typed[i]}"
            )
            last_place_word = i
            i += 1
            continue
        consumed = region_at(facts, words, i)
        if consumed:
            i += consumed
            continue
        if kind is SearchQuery and PLACE_WORD.fullmatch(token):
            # A place name, resolved once the region (if any) is known: `US LOCAL chicago`.
            if last_place_word == i - 1 and not facts.places[-1].explicit:
                run = facts.places[-1]
                facts.places[-1] = where.PlaceWords(
                    (*run.words, token), f"{run.typed} {words.typed[i]}"
                )
            else:
                facts.places.append(where.PlaceWords((token,), words.typed[i]))
            last_place_word = i
            i += 1
            continue
        raise unknown_word(words, i, kind, region_given=bool(facts.regions))
    return facts


# --- building ---------------------------------------------------------------------------


def _build_regions(facts: Facts) -> RegionsQuery:
    usage = usage_for(RegionsQuery)
    if facts.regions:
        code = facts.regions[0][0]
        raise CommandError(
            f"`regions` lists every region. To search {region_name(code)}, drop `regions`:"
            f" `{COMMAND} {code} LOCAL`.",
            usage=usage,
        )
    if facts.filter_word is not None or facts.limits:
        raise CommandError(
            f"`regions` takes only a number type (got `{display_word(facts.filter_word or '')}`).",
            usage=usage,
        )
    return RegionsQuery(type=one_type(facts, usage))


def _build_active(facts: Facts) -> ActiveQuery:
    usage = usage_for(ActiveQuery)
    if facts.filter_word is not None or facts.limits:
        word = display_word(facts.filter_word or "limit:")
        raise CommandError(f"`active` takes only a region and a type (got `{word}`).", usage=usage)
    return ActiveQuery(region=one_region(facts, usage), type=one_type(facts, usage))


def _build_search(facts: Facts) -> SearchQuery:
    usage = usage_for(SearchQuery)
    regions_as_places(facts)
    region = one_region(facts, usage)
    note = None
    if region is not None and not facts.places and not facts.nears:
        note = where.country_note(region, facts.regions[0][1])
    region, place = one_place(facts, region, usage)
    if region is None:
        region = region_of_international_prefix(facts)
    if region is None:
        raise CommandError(
            f"Which region? Start with a country code or name, e.g. `{COMMAND} US LOCAL`,"
            f" or a place: `{COMMAND} seattle`.",
            usage=usage,
        )
    number_type = one_type(facts, usage) or NumberType.LOCAL
    if len(facts.limits) > 1:
        raise CommandError("Give `limit:` once.", usage=usage)
    if len(facts.max_monthly) > 1:
        raise CommandError("Give `max:` once.", usage=usage)
    limit = facts.limits[0][0] if facts.limits else DEFAULT_LIMIT
    pattern = one_pattern(facts, region, usage)
    if place is not None and pattern is not None and pattern.kind is SearchPattern.START:
        raise CommandError(
            f"Give a place or a prefix, not both (`{place.label}` already means"
            f" {', '.join(place.areas)}).",
            usage=usage,
        )
    return SearchQuery(
        region=region,
        type=number_type,
        # Canonical order, no repeats: equal searches compare (and cache) equal.
        capabilities=tuple(c for c in Capability if c in facts.capabilities),
        pattern=pattern,
        limit=limit,
        place=place,
        nodocs=facts.nodocs,
        max_monthly=facts.max_monthly[0] if facts.max_monthly else None,
        sort_by_price=facts.sort_by_price,
        note=note,
    )
