"""Parse `/numbers` text into a Query, validate searches, and format queries back to text."""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import phonenumbers

from bot.commands import vanity, where
from bot.commands.number_change import USAGE_LINES as NUMBER_USAGE_LINES
from bot.commands.regions import (
    describe_suggestions,
    display_word,
    has_calling_code,
    lookup_region,
    max_name_words,
    region_name,
    suggest_regions,
)
from bot.core.domain import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_PATTERN_DIGITS,
    ActiveQuery,
    Capability,
    HelpQuery,
    NumberPattern,
    NumberType,
    PlaceFilter,
    Query,
    RegionsQuery,
    SearchPattern,
    SearchQuery,
)
from bot.core.errors import CommandError
from bot.core.validation import validate_search_query

COMMAND = "/numbers"

_SEARCH_USAGE = (
    f"`{COMMAND} REGION [TYPE] [sms] [voice] [206 | contains:555 | ends:00] [nodocs]"
    f" [max:2.50] [sort:price] [limit:N]` (REGION or a place: `seattle`, `US texas`), e.g."
    f" `{COMMAND} US LOCAL sms 206` or `{COMMAND} sweden mobile`"
)
_REGIONS_USAGE = f"`{COMMAND} regions [TYPE]`, e.g. `{COMMAND} regions MOBILE`"
_ACTIVE_USAGE = f"`{COMMAND} active [REGION] [TYPE]`, e.g. `{COMMAND} active US LOCAL`"
_HELP_USAGE = f"`{COMMAND} help`"

# The search grammar: Slack's help, and the CLI's `numbers-bot search help` in its own words.
SEARCH_HELP_LINES = (
    f"`{COMMAND} REGION [TYPE] [filters]`: numbers you can rent",
    "  • REGION: ISO code or country name: `US`, `GB` (or `UK`), `SE`, `sweden`, `united states`",
    "  • TYPE: `LOCAL` (default), `MOBILE` or `TOLL_FREE`",
    "  • filters: `sms`, `voice`, one pattern (`206` = starts with 206 after the country"
    f" code, `contains:555`, `ends:00`) and `limit:N` (1–{MAX_LIMIT},"
    f" default {DEFAULT_LIMIT})",
    f"  • e.g. `{COMMAND} US LOCAL sms 206`, `{COMMAND} GB MOBILE ends:00 limit:5`",
    f"`{COMMAND} PLACE [TYPE] [filters]`: numbers in a city, state or near a number",
    f"  • `{COMMAND} seattle`, `{COMMAND} GB london`, `{COMMAND} portland me` or"
    f" `{COMMAND} US in:portland,me` (a state picks among same-named places)",
    f"  • `{COMMAND} US texas` or `US TX`, `{COMMAND} CA ontario`: a state's area codes",
    f"  • `{COMMAND} near:+12065550123`: same exchange first, then the area code",
    "  • prefixes as dialled at home work too: `US 1206`, `GB 020`, `SE 08`, `+1206`",
    f"  • `{COMMAND} US contains:PIZZA`: letters are keypad digits (74992)",
    "  • `nodocs` hides numbers needing documents, `max:2.50` caps the monthly price,"
    " `sort:price` puts the cheapest first",
)
USAGE = "\n".join(
    [
        *SEARCH_HELP_LINES,
        f"`{COMMAND} regions [TYPE]`: regions that offer numbers",
        f"`{COMMAND} active [TYPE]`: what this project rents, summarised; add REGION to list them",
        *NUMBER_USAGE_LINES,
        f"`{COMMAND} watch SEARCH`: a DM for each new number that search finds, e.g."
        f" `{COMMAND} watch seattle sms max:2`",
        f"`{COMMAND} watches`: your watches; `{COMMAND} unwatch ID` stops one",
        f"`{COMMAND} help`: this message",
    ]
)

Kind = type[SearchQuery] | type[RegionsQuery] | type[ActiveQuery] | type[HelpQuery]

# Raw text longer than this is refused before any work; real commands are < 100 characters.
MAX_TEXT_LENGTH = 500

_TYPE_WORDS: dict[str, NumberType] = {
    "local": NumberType.LOCAL,
    "mobile": NumberType.MOBILE,
    "toll_free": NumberType.TOLL_FREE,
    "toll-free": NumberType.TOLL_FREE,
    "tollfree": NumberType.TOLL_FREE,
}
# Number types people ask for that Sinch does not sell (mostly phonenumbers' own type names).
_OTHER_TYPES = frozenset(
    {"fixed_line", "fixed-line", "fixedline", "voip", "premium", "premium_rate", "shared_cost"}
    | {"pager", "uan", "personal"}
)
# Words that mean one of our types, to say "did you mean".
_TYPE_SYNONYMS: dict[str, NumberType] = {
    "landline": NumberType.LOCAL,
    "fixed": NumberType.LOCAL,
    "geographic": NumberType.LOCAL,
    "cell": NumberType.MOBILE,
    "cellular": NumberType.MOBILE,
    "wireless": NumberType.MOBILE,
    "toll": NumberType.TOLL_FREE,
    "free": NumberType.TOLL_FREE,
    "freephone": NumberType.TOLL_FREE,
}
_CAPABILITY_WORDS: dict[str, Capability] = {"sms": Capability.SMS, "voice": Capability.VOICE}
_PATTERN_KEYS: dict[str, SearchPattern] = {
    "contains": SearchPattern.CONTAINS,
    "ends": SearchPattern.END,
    "end": SearchPattern.END,
    "starts": SearchPattern.START,
    "start": SearchPattern.START,
}
_LIMIT_KEYS = frozenset({"limit"})
_PLACE_KEYS = frozenset({"in", "near", "max", "sort"})
_NODOCS_WORDS = frozenset({"nodocs", "no-docs", "no_docs"})
_KIND_WORDS: dict[str, Kind] = {
    "help": HelpQuery,
    "?": HelpQuery,
    "regions": RegionsQuery,
    "active": ActiveQuery,
}
_KIND_ALIASES = {"region": "regions"}
_KNOWN_WORDS = sorted(
    [*_TYPE_WORDS, *_CAPABILITY_WORDS, "nodocs"]
    + [f"{k}:" for k in (*_PATTERN_KEYS, *_LIMIT_KEYS, *_PLACE_KEYS)]
    + [w for w in _KIND_WORDS if w != "?"]
)

# Chat clients turn quotes and dashes "smart"; Errbot normalises them the same way.
_SMART_CHARS = str.maketrans(
    {
        **dict.fromkeys("‘’‚‛′", "'"),
        **dict.fromkeys("“”„‟″«»", '"'),
        **dict.fromkeys("‐‑‒–—―−﹘﹣", "-"),
    }
)
# Slack escapes these three in the command text.
_SLACK_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))
_SEPARATORS = re.compile(r"[\s,]+")
_EDGE_PUNCTUATION = "'\"`*_.;:!()[]{}<>-"
_KEY_VALUE = re.compile(r"([a-z_]+)[:=](.*)")
# Digits as people write them: 206, 206-555, 206.555, +1206.
_DIGITS = re.compile(r"\+?[0-9]+(?:[-.][0-9]+)*")
_ASCII_DIGITS = re.compile(r"[0-9]+")
# `in:portland, me` and `in:san francisco,ca`: the `,ST` stays with the place (the tokenizer
# splits at commas), marked by "~".
_IN_QUALIFIER = re.compile(r"(?i)\b(in[:=][^\s,:]+(?:\s+[^\s,:]+)*?)\s*,\s*([a-z]{2})(?=[\s,]|$)")
# A word that may be part of a place name: letters, with inner apostrophes, dots or hyphens.
_PLACE_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['.-])*")
_SIGNED_DIGITS = re.compile(r"-+[0-9][0-9.-]*")
_PRICE = re.compile(r"[0-9]{1,6}(?:\.[0-9]{1,4})?")


def usage_for(kind: Kind | None = None) -> str:
    """The usage line, with examples, for one kind of query (searching when None)."""
    if kind is RegionsQuery:
        return _REGIONS_USAGE
    if kind is ActiveQuery:
        return _ACTIVE_USAGE
    if kind is HelpQuery:
        return _HELP_USAGE
    return _SEARCH_USAGE


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
        raise _too_long()
    typed = _tokenize(text)
    if sum(len(t) + 1 for t in typed) > MAX_TEXT_LENGTH:
        raise _too_long()
    if typed[:1] == [COMMAND]:
        typed = typed[1:]  # pasted from the help text, command included
    if not typed:
        return HelpQuery()
    words = [t.lower() for t in typed]
    first = _KIND_ALIASES.get(words[0], words[0])
    kind = _KIND_WORDS.get(first, SearchQuery)
    if kind is HelpQuery:
        return HelpQuery()
    skip = 0 if kind is SearchQuery else 1
    facts = _scan(_Words(words[skip:], typed[skip:]), kind)
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


def _tokenize(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).translate(_SMART_CHARS)
    for entity, char in _SLACK_ENTITIES:
        text = text.replace(entity, char)
    text = _IN_QUALIFIER.sub(r"\1~\2", text)
    # Zero-width and other format characters would split or hide inside words: drop them;
    # any other control character separates words.
    text = "".join(
        "" if cat == "Cf" else " " if cat[0] in "CZ" else c
        for c in text
        for cat in (unicodedata.category(c),)
    )
    tokens = []
    for raw in _SEPARATORS.split(text):
        if _SIGNED_DIGITS.fullmatch(raw):
            # Stripping the "-" would search for the digits as a prefix: say so instead.
            raise CommandError(
                f"`{display_word(raw)}`: a number pattern has no minus sign. Give the digits,"
                " e.g. `206` (starts with), `contains:555` or `ends:00`.",
                usage=usage_for(SearchQuery),
            )
        # Keep a trailing ':' ("contains: 555") and a leading '+' ("+1206").
        token = raw.lstrip(_EDGE_PUNCTUATION).rstrip(_EDGE_PUNCTUATION.replace(":", ""))
        if token:
            tokens.append(token)
    return tokens


def _too_long() -> CommandError:
    return CommandError(
        f"That command is too long (more than {MAX_TEXT_LENGTH} characters).",
        usage=usage_for(SearchQuery),
    )


# --- scanning ---------------------------------------------------------------------------


@dataclass
class _Facts:
    """What the words said, before checking that they fit the kind of query."""

    regions: list[tuple[str, str]] = field(default_factory=list)  # (code, as typed)
    types: list[tuple[NumberType, str]] = field(default_factory=list)
    capabilities: list[Capability] = field(default_factory=list)
    patterns: list[tuple[SearchPattern, str, str]] = field(default_factory=list)
    limits: list[tuple[int, str]] = field(default_factory=list)
    # Place words: runs of words nothing else claimed, and `in:`/`near:` values.
    places: list[where.PlaceWords] = field(default_factory=list)
    nears: list[str] = field(default_factory=list)
    nodocs: bool = False
    max_monthly: list[Decimal] = field(default_factory=list)
    sort_by_price: bool = False
    # The first word that is only valid in a search, for kinds that do not take filters.
    filter_word: str | None = None


@dataclass(frozen=True)
class _Words:
    """Lower-cased words for matching, and the same words as typed for messages."""

    lower: list[str]
    typed: list[str]

    def shown(self, start: int, size: int = 1) -> str:
        return display_word(" ".join(self.typed[start : start + size]))


def _scan(words: _Words, kind: Kind) -> _Facts:
    facts = _Facts()
    usage = usage_for(kind)
    tokens = words.lower
    i = 0
    last_place_word = -2
    while i < len(tokens):
        token = tokens[i]
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if token in _NODOCS_WORDS:
            facts.nodocs = True
            facts.filter_word = facts.filter_word or token
            i += 1
            continue
        if token == "toll" and following == "free":
            facts.types.append((NumberType.TOLL_FREE, "toll free"))
            i += 2
            continue
        if token in _TYPE_WORDS:
            facts.types.append((_TYPE_WORDS[token], token))
            i += 1
            continue
        if token in _CAPABILITY_WORDS:
            facts.capabilities.append(_CAPABILITY_WORDS[token])
            facts.filter_word = facts.filter_word or token
            i += 1
            continue
        key_value = _KEY_VALUE.fullmatch(token)
        if key_value:
            key, value = key_value.groups()
            consumed = 1
            if not value and following is not None:
                value, consumed = following, 2  # "contains: 555"
            if key == "in" and kind is SearchQuery:
                i += _in_place(facts, words, i, value, consumed)
                continue
            _key_value(facts, key, value, usage)
            facts.filter_word = facts.filter_word or token
            i += consumed
            continue
        if _DIGITS.fullmatch(token):
            facts.patterns.append((SearchPattern.START, token, words.typed[i]))
            facts.filter_word = facts.filter_word or token
            i += 1
            continue
        if _KIND_ALIASES.get(token, token) in _KIND_WORDS:
            word = _KIND_ALIASES.get(token, token)
            raise CommandError(
                f"`{word}` goes first: `{COMMAND} {word} …`.", usage=usage_for(_KIND_WORDS[word])
            )
        if (
            kind is SearchQuery
            and last_place_word == i - 1
            and not facts.places[-1].explicit
            and _PLACE_WORD.fullmatch(token)
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
        consumed = _region(facts, words, i)
        if consumed:
            i += consumed
            continue
        if kind is SearchQuery and _PLACE_WORD.fullmatch(token):
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
        raise _unknown_word(words, i, kind, region_given=bool(facts.regions))
    return facts


def _in_place(facts: _Facts, words: _Words, start: int, value: str, consumed: int) -> int:
    """`in:san francisco,ca`: the value and the plain words after it; returns words used."""
    parts = [value]
    while start + consumed < len(words.lower) and "~" not in parts[-1]:
        word = words.lower[start + consumed]
        if not _PLACE_WORD.fullmatch(word.split("~")[0]) or _claimed(word.split("~")[0]):
            break
        parts.append(word)
        consumed += 1
    qualifier = None
    if "~" in parts[-1]:
        parts[-1], qualifier = parts[-1].split("~", 1)
    names = tuple(p for p in " ".join(parts).split() if p)
    typed = " ".join(names) + (f", {qualifier.upper()}" if qualifier else "")
    if not names or not all(_PLACE_WORD.fullmatch(n) for n in names):
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
        word in _TYPE_WORDS
        or word in _CAPABILITY_WORDS
        or word in _NODOCS_WORDS
        or word in _KIND_WORDS
        or lookup_region(word) is not None
    )


def _key_value(facts: _Facts, key: str, value: str, usage: str) -> None:
    if key in _PATTERN_KEYS:
        pattern_kind = _PATTERN_KEYS[key]
        facts.patterns.append((pattern_kind, value, f"{key}:{value}"))
        return
    if key in _LIMIT_KEYS:
        facts.limits.append((_parse_limit(value, usage), value))
        return
    if key == "near":
        facts.nears.append(value)
        return
    if key == "max":
        facts.max_monthly.append(_parse_price(value, usage))
        return
    if key == "sort":
        if value != "price":
            raise CommandError(
                f"`sort:` takes `price` (cheapest monthly price first), got"
                f" `{display_word(value)}`.",
                usage=usage,
            )
        facts.sort_by_price = True
        return
    if key == "in":
        raise CommandError("`in:` is for searches: `/numbers in:austin`.", usage=usage)
    close = difflib.get_close_matches(f"{key}:", _KNOWN_WORDS, n=1, cutoff=0.6)
    hint = f"`{display_word(key)}:` is not a filter I know."
    hint += f" Did you mean `{close[0]}`?" if close else " Use `contains:`, `ends:` or `limit:`."
    raise CommandError(hint, usage=usage)


def _got(value: str) -> str:
    """What a filter was given, for its hint: `max:` alone got nothing, not a `?`."""
    return f"got `{display_word(value)}`" if value else "nothing after it"


def _parse_limit(value: str, usage: str) -> int:
    if not _ASCII_DIGITS.fullmatch(value):
        raise CommandError(
            f"`limit:` takes a number from 1 to {MAX_LIMIT}, e.g. `limit:5` ({_got(value)}).",
            usage=usage,
        )
    # Cut before int(): a thousand-digit number is just "too big".
    limit = int(value[:6])
    if len(value) > 6 or not 1 <= limit <= MAX_LIMIT:
        raise CommandError(
            f"`limit:` must be between 1 and {MAX_LIMIT} (got {display_word(value)}).",
            usage=usage,
        )
    return limit


def _parse_price(value: str, usage: str) -> Decimal:
    if not _PRICE.fullmatch(value):
        raise CommandError(
            f"`max:` takes a monthly price such as `max:2.50` ({_got(value)}).",
            usage=usage,
        )
    try:
        return Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise CommandError("`max:` takes a price such as `max:2.50`.", usage=usage) from None


def _region(facts: _Facts, words: _Words, start: int) -> int:
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


def _unknown_word(
    words: _Words, start: int, kind: Kind, *, region_given: bool = False
) -> CommandError:
    token = words.lower[start]
    shown = words.shown(start)
    usage = usage_for(kind)
    unknown_type = f"`{shown}` is an unknown type, use LOCAL, MOBILE or TOLL_FREE"
    if token in _OTHER_TYPES:
        return CommandError(f"{unknown_type}.", usage=usage)
    if token in _TYPE_SYNONYMS:
        meant = _TYPE_SYNONYMS[token].value
        return CommandError(f"{unknown_type} (did you mean `{meant}`?).", usage=usage)
    close_word = difflib.get_close_matches(token[:30], _KNOWN_WORDS, n=1, cutoff=0.75)
    if close_word:
        word = close_word[0]
        if word in _TYPE_WORDS:
            meant = _TYPE_WORDS[word].value
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
        if not token.replace("'", "").replace("-", "").isalpha() or token in _KNOWN_WORDS:
            break
        words.append(token)
    for size in range(len(words), 0, -1):
        found = suggest_regions(" ".join(words[:size]))
        if found:
            return found
    return []


# --- building ---------------------------------------------------------------------------


def _one_type(facts: _Facts, usage: str) -> NumberType | None:
    if len(facts.types) > 1:
        got = " and ".join(t.value for t, _ in facts.types)
        raise CommandError(f"Give one number type (got {got}).", usage=usage)
    return facts.types[0][0] if facts.types else None


def _one_region(facts: _Facts, usage: str) -> str | None:
    if len(facts.regions) > 1:
        got = " and ".join(
            f"`{typed}`" if typed.upper() == code else f"`{typed}` ({code})"
            for code, typed in facts.regions
        )
        raise CommandError(f"Give one region at a time (got {got}).", usage=usage)
    return facts.regions[0][0] if facts.regions else None


def _build_regions(facts: _Facts) -> RegionsQuery:
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
    return RegionsQuery(type=_one_type(facts, usage))


def _build_active(facts: _Facts) -> ActiveQuery:
    usage = usage_for(ActiveQuery)
    if facts.filter_word is not None or facts.limits:
        word = display_word(facts.filter_word or "limit:")
        raise CommandError(f"`active` takes only a region and a type (got `{word}`).", usage=usage)
    return ActiveQuery(region=_one_region(facts, usage), type=_one_type(facts, usage))


def _build_search(facts: _Facts) -> SearchQuery:
    usage = usage_for(SearchQuery)
    _regions_as_places(facts)
    region = _one_region(facts, usage)
    note = None
    if region is not None and not facts.places and not facts.nears:
        note = where.country_note(region, facts.regions[0][1])
    region, place = _one_place(facts, region, usage)
    if region is None:
        region = _region_of_international_prefix(facts)
    if region is None:
        raise CommandError(
            f"Which region? Start with a country code or name, e.g. `{COMMAND} US LOCAL`,"
            f" or a place: `{COMMAND} seattle`.",
            usage=usage,
        )
    number_type = _one_type(facts, usage) or NumberType.LOCAL
    if len(facts.limits) > 1:
        raise CommandError("Give `limit:` once.", usage=usage)
    if len(facts.max_monthly) > 1:
        raise CommandError("Give `max:` once.", usage=usage)
    limit = facts.limits[0][0] if facts.limits else DEFAULT_LIMIT
    pattern = _one_pattern(facts, region, usage)
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


def _regions_as_places(facts: _Facts) -> None:
    """`US CA`, `US georgia`, `GA US`: a second "region" that is a state or place of the other."""
    if len(facts.regions) != 2 or facts.places or facts.nears:
        return
    for keep, other in (facts.regions, facts.regions[::-1]):
        if where.place_in(keep[0], other[1]):
            facts.regions = [keep]
            facts.places.append(where.PlaceWords((other[1].lower(),), other[1]))
            return


def _one_place(
    facts: _Facts, region: str | None, usage: str
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
            raise _unknown_word(
                _Words(list(words.words), words.typed.split()), 0, SearchQuery
            ) from None
        raise


def _with_region_word(
    facts: _Facts, words: where.PlaceWords
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
    listed = _Words(
        list(words.words), typed if len(typed) == len(words.words) else list(words.words)
    )
    # The first word only, as before place search: "unitd states" is a region typo.
    token = words.words[0]
    close = difflib.get_close_matches(token[:30], _KNOWN_WORDS, n=1, cutoff=0.75)
    if token in _OTHER_TYPES or token in _TYPE_SYNONYMS or close:
        return _unknown_word(listed, 0, SearchQuery)
    return None


def _region_of_international_prefix(facts: _Facts) -> str | None:
    """`/numbers +1206`: the region of the calling code the prefix starts with."""
    for kind, value, _ in facts.patterns:
        if kind is SearchPattern.START and value.startswith("+"):
            digits = _digits_of(value[1:])
            if digits:
                return where.region_for_calling_code(digits)
    return None


def _one_pattern(facts: _Facts, region: str, usage: str) -> NumberPattern | None:
    patterns: list[tuple[NumberPattern | None, str]] = []
    for kind, value, typed in facts.patterns:
        patterns.append((_pattern(kind, value, typed, region, usage), typed))
    given = [(p, typed) for p, typed in patterns if p is not None]
    if len(given) > 1:
        got = " and ".join(f"`{display_word(typed)}`" for _, typed in given)
        hint = f"Use one number pattern at a time (got {got})."
        if all(p.kind is SearchPattern.START for p, _ in given if p is not None):
            hint += " Write a prefix without spaces, e.g. `206555`."
        raise CommandError(hint, usage=usage)
    return given[0][0] if given else None


def _pattern(
    kind: SearchPattern, value: str, typed: str, region: str, usage: str
) -> NumberPattern | None:
    """The pattern ``value`` stands for; None for a bare calling code such as `+1`."""
    shown = display_word(typed)
    if kind is SearchPattern.START and value.startswith("+"):
        calling_code = str(phonenumbers.country_code_for_region(region))
        digits = _digits_of(value[1:])
        if digits is None or not digits.startswith(calling_code):
            raise CommandError(
                f"`{shown}` does not start with +{calling_code}, the calling code of"
                f" {region_name(region)}. Give the digits after it, e.g. `{region} 206`.",
                usage=usage,
            )
        digits = digits[len(calling_code) :]
        if not digits:
            return None
    else:
        digits = _digits_of(value)
        if digits is not None and kind is SearchPattern.START and len(digits) <= MAX_PATTERN_DIGITS:
            digits = where.without_trunk_prefix(region, digits)  # GB 020, SE 08, US 1206
        if digits is None and kind is not SearchPattern.START and vanity.is_vanity(value):
            word = value.upper()
            digits = vanity.keypad_digits(word)
            if len(digits) > MAX_PATTERN_DIGITS:
                raise CommandError(
                    f"`{shown}` is too long: a number pattern has at most"
                    f" {MAX_PATTERN_DIGITS} characters.",
                    usage=usage,
                )
            return NumberPattern(digits=digits, kind=kind, word=word)
        if digits is None:
            raise CommandError(
                f"`{shown}`: a number pattern is digits (or letters, as on a keypad), e.g."
                " `206`, `contains:555`, `contains:PIZZA` or `ends:00`.",
                usage=usage,
            )
    if len(digits) > MAX_PATTERN_DIGITS:
        raise CommandError(
            f"`{shown}` is too long: a number pattern has at most {MAX_PATTERN_DIGITS} digits.",
            usage=usage,
        )
    return NumberPattern(digits=digits, kind=kind)


def _digits_of(value: str) -> str | None:
    """Digits of "206", "206-555" or "206.555"; None when anything else is in there."""
    if not _DIGITS.fullmatch(value) or value.startswith("+"):
        return None
    return value.replace("-", "").replace(".", "")
