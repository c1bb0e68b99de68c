"""Parse `rent|release|show NUMBER`: the commands that act on one number (pure, no I/O)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

import phonenumbers

from bot.core.errors import CommandError

NumberAction = Literal["rent", "release", "show"]

ACTIONS: tuple[NumberAction, ...] = ("rent", "release", "show")
USAGE_LINES = (
    "`/numbers show +12065550100`: one number this project rents, in detail",
    "`/numbers rent +12065550100` · `/numbers release +12065550100`: change what the project"
    " rents (when your admins enabled it)",
)
_MAX_TEXT = 100
# Slack may turn a typed number into a link: <tel:+12065550100|+1 206-555-0100>.
_TEL_LINK = re.compile(r"<tel:([^|>]*)(?:\|[^>]*)?>")
_DIAL_CHARS = re.compile(r"[\s().\-‐‑‒–—]+")


@dataclass(frozen=True)
class NumberCommand:
    """``/numbers rent +1…``: what to do, and the number in E.164 form."""

    action: NumberAction
    number: str


def parse_number_command(text: str) -> NumberCommand | None:
    """A NumberCommand when ``text`` starts with rent/release/show, None for anything else.

    Raises CommandError (with the usage) when the number is missing or not a valid
    international number: nothing reaches Sinch with a number we know is wrong.
    """
    words = unicodedata.normalize("NFKC", text).split(maxsplit=1)
    if words and words[0] == "/numbers":
        words = words[1].split(maxsplit=1) if len(words) > 1 else []
    if not words or words[0].lower() not in ACTIONS:
        return None
    action: NumberAction = ACTIONS[ACTIONS.index(words[0].lower())]
    usage = f"`/numbers {action} +12065550100` (the number in international form, with +)"
    rest = words[1].strip() if len(words) > 1 else ""
    if not rest:
        raise CommandError(f"Which number? Give it after `{action}`.", usage=usage)
    return NumberCommand(action=action, number=parse_e164(rest, usage=usage))


def parse_e164(text: str, *, usage: str | None = None) -> str:
    """``+1 206-555-0100`` (or a Slack tel: link) as ``+12065550100``; CommandError otherwise."""
    if len(text) > _MAX_TEXT:
        raise CommandError("That is too long to be a phone number.", usage=usage)
    link = _TEL_LINK.fullmatch(text.strip())
    raw = link.group(1) if link else text
    compact = _DIAL_CHARS.sub("", raw.replace("&lt;", "").replace("&gt;", ""))
    if not compact.startswith("+") or not compact[1:].isdigit() or not compact[1:].isascii():
        # What was typed (`(206) 555-0102`), not the digits left after removing its spaces.
        shown = "".join(c for c in raw.strip()[:30] if c.isprintable()).replace("`", "'")
        raise CommandError(
            f"`{shown}` is not a phone number in international form (`+` and digits).",
            usage=usage,
        )
    try:
        parsed = phonenumbers.parse(compact, None)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_possible_number(parsed):
        raise CommandError(f"`{compact}` is not a possible phone number.", usage=usage)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
