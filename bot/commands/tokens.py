"""Command text to words: Slack's escapes and smart quotes undone, one length cap."""

from __future__ import annotations

import re
import unicodedata

from bot.commands.regions import display_word
from bot.commands.usage import usage_for
from bot.core.domain import SearchQuery
from bot.core.errors import CommandError

# Raw text longer than this is refused before any work; real commands are < 100 characters.
MAX_TEXT_LENGTH = 500

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

# `in:portland, me` and `in:san francisco,ca`: the `,ST` stays with the place (the tokenizer
# splits at commas), marked by "~".
_IN_QUALIFIER = re.compile(r"(?i)\b(in[:=][^\s,:]+(?:\s+[^\s,:]+)*?)\s*,\s*([a-z]{2})(?=[\s,]|$)")

_SIGNED_DIGITS = re.compile(r"-+[0-9][0-9.-]*")


def tokenize(text: str) -> list[str]:
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


def too_long() -> CommandError:
    return CommandError(
        f"That command is too long (more than {MAX_TEXT_LENGTH} characters).",
        usage=usage_for(SearchQuery),
    )
