"""Block Kit renderers: domain results and errors in, Slack messages (`text` + `blocks`) out."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from bot.commands.parser import format_query
from bot.commands.usage import COMMAND
from bot.commands.vanity import spell
from bot.core.domain import Capability, NumberPattern, NumberType, Query
from bot.core.money import Money, format_money
from bot.core.phone import format_international, format_national, locality

Message = dict[str, Any]
Block = dict[str, Any]


# Slack's limits (slack-platform.md §6), kept with headroom: Slack does not document how it
# counts characters, and emoji flags are two code points but four UTF-16 units.
MAX_BLOCKS = 50
_HEADER_MAX = 140
_SECTION_MAX = 2900
_CONTEXT_ELEMENTS_MAX = 10
_BUTTON_VALUE_MAX = 2000
_TEXT_MAX = 3900
# Lengths for single values from Sinch or the user: one bad value must not crowd out the rest.
_SHORT = 24
_NAME = 80

_TYPE_NAMES = {
    NumberType.LOCAL: "local",
    NumberType.MOBILE: "mobile",
    NumberType.TOLL_FREE: "toll-free",
}
_CAPABILITY_NAMES = {Capability.SMS.value: "SMS", Capability.VOICE.value: "voice"}
_SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}")
# Mentions an admin may put in ACCESS_CONTACT: <@U…>, <#C…>, <!subteam^S…>.
_SLACK_REFERENCE = re.compile(
    r"<(?:@[UW][A-Z0-9]+|#C[A-Z0-9]+|!subteam\^S[A-Z0-9]+)(?:\|[^<>&]*)?>"
)


# --- text helpers -----------------------------------------------------------------------


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as markup (mentions, links)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters with "…", never inside an &entity; or <link>."""
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - 1)]
    amp, semi = cut.rfind("&"), cut.rfind(";")
    if amp > semi:
        cut = cut[:amp]
    left, right = cut.rfind("<"), cut.rfind(">")
    if left > right:
        cut = cut[:left]
    return cut + "…"


def _user(text: str, limit: int = _NAME) -> str:
    """Untrusted text (from the user or Sinch) made safe for mrkdwn."""
    return clip(escape(" ".join(text.split())), limit)


def _mention(user_id: str) -> str:
    return f"<@{user_id}>" if _SLACK_USER_ID.fullmatch(user_id) else _user(user_id or "someone")


def _command(query: Query) -> str:
    """The query as a `/numbers …` code span, escaped: an ActiveQuery may come from a button."""
    text = f"{COMMAND} {format_query(query)}".replace("`", "'")
    return f"`{_user(text, 200)}`"


def _flag(region: str) -> str:
    """🇸🇪 for SE: regional indicator symbols; empty for anything that is not two letters."""
    if len(region) != 2 or not region.isascii() or not region.isalpha():
        return ""
    return "".join(chr(0x1F1E6 + ord(c) - ord("A")) for c in region.upper())


# --- block helpers ----------------------------------------------------------------------


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text, _SECTION_MAX) if text.strip() else "\u200b"}


def _header(text: str) -> Block:
    text = clip(" ".join(text.split()), _HEADER_MAX) or "/numbers"
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}


def _section(text: str) -> Block:
    return {"type": "section", "text": _mrkdwn(text)}


def _context(*texts: str) -> Block:
    parts = [t for t in texts if t.strip()][:_CONTEXT_ELEMENTS_MAX] or ["\u200b"]
    return {"type": "context", "elements": [_mrkdwn(t) for t in parts]}


def _button(text: str, action_id: str, value: str) -> Block:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }


def _message(text: str, blocks: Sequence[Block]) -> Message:
    """The final message; cutting to MAX_BLOCKS is a last resort the renderers never need."""
    return {
        "text": clip(" ".join(text.split()), _TEXT_MAX) or "/numbers",
        "blocks": list(blocks[:MAX_BLOCKS]),
    }


def _sections(lines: Iterable[str], budget: int) -> list[Block]:
    """Pack lines into as few sections as fit; past ``budget`` sections, say how many are left."""
    lines = list(lines)
    budget = max(1, budget)
    blocks: list[Block] = []
    chunk: list[str] = []
    for index, line in enumerate(lines):
        line = clip(line, _SECTION_MAX)
        if chunk and len("\n".join([*chunk, line])) > _SECTION_MAX:
            if len(blocks) == budget - 1:
                rest = len(lines) - index
                # The note must fit too: drop lines from the last chunk until it does.
                note = f"…and {rest} more."
                while chunk and len("\n".join([*chunk, note])) > _SECTION_MAX:
                    chunk.pop()
                    rest += 1
                    note = f"…and {rest} more."
                blocks.append(_section("\n".join([*chunk, note])))
                return blocks
            blocks.append(_section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(_section("\n".join(chunk)))
    return blocks


# --- values -----------------------------------------------------------------------------


def _price(money: Money | None) -> str:
    """By the currency's rules (bot/core/money.py): "USD 0.80", "JPY 100", "USD 0.0035"."""
    if money is None:
        return "price unknown"
    code = _user(money.currency_code, 12)
    if abs(money.amount.adjusted()) > 12:  # absurd values: say them, briefly
        return f"{code} {clip(str(money.amount), _SHORT)}"
    return _user(format_money(money), _SHORT + 13)


def _interval(months: int | None) -> str:
    if months is None or months == 1:
        return "/month"
    if months > 1:
        return f" every {clip(str(months), 6)} months"
    # paymentIntervalMonths 0 (in Sinch's SDK fixtures): a price, but not a monthly one.
    return f" (payment interval {clip(str(months), 6)} months: not monthly)"


def _capabilities(capabilities: Sequence[str]) -> str:
    names = [_CAPABILITY_NAMES.get(c, _user(c, _SHORT)) for c in capabilities[:5]]
    return " + ".join(names) if names else "no SMS or voice listed"


def _type_name(number_type: NumberType | str) -> str:
    try:
        return _TYPE_NAMES[NumberType(number_type)]
    except ValueError:
        return _user(str(number_type), _SHORT)


def _number_line(phone: str, pattern: NumberPattern | None = None) -> str:
    """International form in bold, then the national form people dial locally, then the place."""
    international = format_international(phone)
    parts = [f"*{_user(international, 40)}*"]
    national = format_national(phone)
    if national and national != international:
        parts.append(_user(national, 40))
    place = locality(phone)
    if place:
        parts.append(_user(place, 60))
    if pattern is not None and pattern.word is not None:
        spelled = spell(international, pattern.digits, pattern.word)
        if spelled:
            parts.append(f"spells `{_user(spelled, 40)}`")
    return "  ·  ".join(parts)


def _sandbox_note() -> str:
    # Rent buttons work in the sandbox: they rent its fictional numbers, never real ones.
    return (
        ":test_tube: Sandbox data — fictional numbers; renting one changes only the sandbox,"
        " not a Sinch account."
    )


# --- searches ---------------------------------------------------------------------------


# --- regions ----------------------------------------------------------------------------


# --- active numbers ---------------------------------------------------------------------


# --- help and errors --------------------------------------------------------------------
