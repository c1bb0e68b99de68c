"""Friendly region names: ISO codes, pycountry names and a few aliases, resolved to ISO alpha-2."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache

import phonenumbers
import pycountry

from bot.core.errors import CommandError

# Only what pycountry lacks and users type; each entry says why it exists.
_ALIASES: dict[str, str] = {
    "uk": "GB",  # ISO reserves UK exceptionally for GB; everyone uses it, pycountry lacks it
    "britain": "GB",  # pycountry only has "United Kingdom (of Great Britain and Northern Ireland)"
    "great britain": "GB",
    "england": "GB",  # constituent countries of the UK: their numbers are GB numbers
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "america": "US",  # everyday short name; pycountry has "United States (of America)"
    "uae": "AE",  # the usual abbreviation; the ISO alpha-3 is ARE
    "russia": "RU",  # pycountry: "Russian Federation" and no common name
    "turkey": "TR",  # pycountry follows the 2022 rename to "Türkiye"
    "ivory coast": "CI",  # the English name of Côte d'Ivoire
    "u s": "US",  # "U.S." and "U.S.A." once punctuation is dropped
    "u s a": "US",
    "u k": "GB",
    "holland": "NL",  # the exonym most people use for the Netherlands
    "korea": "KR",  # pycountry: "Korea, Republic of"; nobody means the DPRK by plain "Korea"
    "south korea": "KR",
    "north korea": "KP",
    "czech republic": "CZ",  # the name before "Czechia" (pycountry has only the new one)
    "vatican": "VA",
    "burma": "MM",
}

# Regions with a calling code in phonenumbers that ISO 3166-1 (hence pycountry) lacks.
_PHONENUMBERS_ONLY: dict[str, str] = {
    "XK": "Kosovo",
    "AC": "Ascension Island",
    "TA": "Tristan da Cunha",
}

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
# Letters NFKD does not split into a base letter and an accent, spelled as people type them
# without the key: København -> kobenhavn, Łódź -> lodz, Straße -> strasse.
_UNDECOMPOSED = str.maketrans(
    {
        "ø": "o",
        "Ø": "O",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ß": "ss",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "þ": "th",
    }
)
_PARENTHETICAL = re.compile(r"\s*\([^)]*\)")
# A typo must be this close (difflib ratio) to a name or code to be suggested.
_SUGGEST_CUTOFF = 0.75
_TIE_MARGIN = 0.05
# Longer input is not a region name; cutting it keeps difflib fast on garbage.
_MAX_NAME_CHARS = 60
# Longest user input echoed back in a hint.
_DISPLAY_MAX = 30


def normalize_name(text: str) -> str:
    """Lower-case ASCII words: accents dropped, punctuation as spaces, no leading "the"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_UNDECOMPOSED))
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = _NOT_ALNUM.sub(" ", ascii_only.casefold()).split()
    if words[:1] == ["the"]:
        words = words[1:]
    return " ".join(words)


@dataclass(frozen=True)
class _Index:
    by_key: dict[str, str]  # normalized name or code -> alpha-2
    names: dict[str, str]  # alpha-2 -> display name
    max_words: int


@cache
def _index() -> _Index:
    by_key: dict[str, str] = {}
    names: dict[str, str] = dict(_PHONENUMBERS_ONLY)
    derived: dict[str, set[str]] = {}

    def add(key: str, code: str) -> None:
        normalized = normalize_name(key)
        if normalized:
            by_key.setdefault(normalized, code)

    for country in pycountry.countries:
        code = country.alpha_2
        names[code] = getattr(country, "common_name", None) or country.name
        add(code, code)
        add(country.alpha_3, code)
        full_names = [country.name]
        full_names += [getattr(country, a, None) or "" for a in ("official_name", "common_name")]
        for name in filter(None, full_names):
            add(name, code)
            # "Iran, Islamic Republic of" -> "Iran"; "Falkland Islands (Malvinas)" -> "Falkland
            # Islands". Kept only when unambiguous ("Korea," and "Virgin Islands," are not).
            short = _PARENTHETICAL.sub("", name).split(",")[0]
            derived.setdefault(normalize_name(short), set()).add(code)
    for code, name in _PHONENUMBERS_ONLY.items():
        add(code, code)
        add(name, code)
    for alias, code in _ALIASES.items():
        add(alias, code)
    for key, codes in derived.items():
        if key and len(codes) == 1 and key not in by_key:
            by_key[key] = next(iter(codes))
    max_words = max(len(key.split()) for key in by_key)
    return _Index(by_key=by_key, names=names, max_words=max_words)


def max_name_words() -> int:
    """The most words any known region name has (the parser joins up to this many)."""
    return _index().max_words


def has_calling_code(code: str) -> bool:
    """Whether phone numbers exist for an alpha-2 region (Antarctica, for one, has none)."""
    return phonenumbers.country_code_for_region(code) != 0


def lookup_region(text: str) -> str | None:
    """The alpha-2 code ``text`` names exactly (code, name or alias), or None. No typo fixing."""
    if len(text) > _MAX_NAME_CHARS:
        return None
    return _index().by_key.get(normalize_name(text))


def suggest_regions(text: str, *, limit: int = 3) -> list[str]:
    """Alpha-2 codes whose names or codes are close to ``text``, best first; phoneless excluded."""
    key = normalize_name(text[:_MAX_NAME_CHARS])
    if not key:
        return []
    by_key = _index().by_key
    matches = difflib.get_close_matches(key, _candidates(key), n=limit * 4, cutoff=_SUGGEST_CUTOFF)
    if not matches:
        return []
    # Offer only near-ties of the best match: "Swedn" suggests Sweden, not also Sudan.
    best = difflib.SequenceMatcher(None, key, matches[0]).ratio()
    codes: list[str] = []
    for match in matches:
        code = by_key[match]
        close = difflib.SequenceMatcher(None, key, match).ratio() >= best - _TIE_MARGIN
        if close and code not in codes and has_calling_code(code):
            codes.append(code)
    return codes[:limit]


def _candidates(key: str) -> list[str]:
    """The names a typo of ``key`` may be: those sharing its first or its last character.

    One wrong, missing or extra letter leaves one end as typed, so every one-letter typo is
    still found; difflib over all ~1 000 names cost most of an unknown word's 1 ms budget
    before the ack, this a twentieth of it.
    """
    first, last = _ends()
    return list(dict.fromkeys([*first.get(key[0], ()), *last.get(key[-1], ())]))


@cache
def _ends() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    first: dict[str, list[str]] = {}
    last: dict[str, list[str]] = {}
    for name in _index().by_key:
        first.setdefault(name[0], []).append(name)
        last.setdefault(name[-1], []).append(name)
    return (
        {c: tuple(names) for c, names in first.items()},
        {c: tuple(names) for c, names in last.items()},
    )


def region_name(code: str) -> str:
    """A readable name for an alpha-2 code ("SE" -> "Sweden"); the code itself when unknown."""
    return _index().names.get(code.upper(), code)


def describe_suggestions(codes: list[str]) -> str:
    """`SE (Sweden)`, `SZ (Eswatini)`: suggestions ready for a hint."""
    return ", ".join(f"`{code}` ({region_name(code)})" for code in codes)


def resolve_region(text: str) -> str:
    """The alpha-2 code of a region with phone numbers, from a code, name or alias.

    Raises:
        CommandError: unknown (with "did you mean" suggestions) or without a calling code.
    """
    code = lookup_region(text)
    shown = display_word(text)
    if code is None:
        hint = f"`{shown}` is not a region I know."
        suggestions = suggest_regions(text)
        if suggestions:
            hint += f" Did you mean {describe_suggestions(suggestions)}?"
        raise CommandError(hint, usage="Use an ISO code or a country name: `US`, `GB`, `sweden`.")
    if not has_calling_code(code):
        raise CommandError(
            f"{region_name(code)} ({code}) has no phone numbers: it has no country calling code.",
            usage="Pick a country, e.g. `US`, `GB` or `SE`; `/numbers regions` lists them all.",
        )
    return code


def display_word(text: str) -> str:
    """User input made safe to echo inside `code`: printable, no backticks, short."""
    cleaned = "".join(
        c if unicodedata.category(c)[0] not in "CZ" or c == " " else " " for c in text
    )
    cleaned = " ".join(cleaned.replace("`", "'").split())
    if len(cleaned) > _DISPLAY_MAX:
        cleaned = cleaned[: _DISPLAY_MAX - 1] + "…"
    return cleaned or "?"


def complete_region(
    text: str, *, among: Collection[str] | None = None, limit: int = 100
) -> list[str]:
    """Alpha-2 codes for a type-ahead, best first: ``text`` as (the start of) a code, a name
    or an alias the parser knows ("swed" → SE, "uk" → GB), else close spellings ("swedn").

    Only regions with phone numbers, and only those in ``among`` when it is given (the regions
    Sinch offers). Empty ``text`` lists them all by name.
    """
    key = normalize_name(text[:_MAX_NAME_CHARS])
    rank: dict[str, int] = {}
    for name, code in _index().by_key.items():
        if among is not None and code not in among:
            continue
        if not key or name == key:
            score = 0
        elif not (name.startswith(key) or f" {key}" in f" {name}"):
            continue
        else:
            # The name shown first ("kingdom": United Kingdom before the Kingdom of Bahrain).
            shown = _shown_key(code)
            score = 1 if shown.startswith(key) else 2 if f" {key}" in f" {shown}" else 3
        if score < rank.get(code, 4) and has_calling_code(code):
            rank[code] = score
    if not rank and key:
        rank = {code: 4 for code in suggest_regions(key) if among is None or code in among}
    return sorted(rank, key=lambda code: (rank[code], region_name(code).casefold()))[:limit]


@cache
def _shown_key(code: str) -> str:
    return normalize_name(region_name(code))
