"""Filters: `key:value` words (patterns, limit, near, max, sort), number patterns
as digits or keypad letters, and the one-pattern rule.
"""

from __future__ import annotations

import difflib
import re
from decimal import Decimal, InvalidOperation

import phonenumbers

from bot.commands import vanity, where
from bot.commands.regions import display_word, region_name
from bot.commands.words import KNOWN_WORDS, LIMIT_KEYS, PATTERN_KEYS, Facts
from bot.core.domain import MAX_LIMIT, MAX_PATTERN_DIGITS, NumberPattern, SearchPattern
from bot.core.errors import CommandError

# Digits as people write them: 206, 206-555, 206.555, +1206.
DIGITS = re.compile(r"\+?[0-9]+(?:[-.][0-9]+)*")
_ASCII_DIGITS = re.compile(r"[0-9]+")

_PRICE = re.compile(r"[0-9]{1,6}(?:\.[0-9]{1,4})?")


def add_key_value(facts: Facts, key: str, value: str, usage: str) -> None:
    if key in PATTERN_KEYS:
        pattern_kind = PATTERN_KEYS[key]
        facts.patterns.append((pattern_kind, value, f"{key}:{value}"))
        return
    if key in LIMIT_KEYS:
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
    close = difflib.get_close_matches(f"{key}:", KNOWN_WORDS, n=1, cutoff=0.6)
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


def one_pattern(facts: Facts, region: str, usage: str) -> NumberPattern | None:
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
        digits = digits_of(value[1:])
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
        digits = digits_of(value)
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


def digits_of(value: str) -> str | None:
    """Digits of "206", "206-555" or "206.555"; None when anything else is in there."""
    if not DIGITS.fullmatch(value) or value.startswith("+"):
        return None
    return value.replace("-", "").replace(".", "")
