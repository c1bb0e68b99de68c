"""Block Kit renderers: domain results and errors in, Slack messages (`text` + `blocks`) out."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any

from bot.commands.parser import format_query
from bot.commands.regions import region_name
from bot.commands.usage import COMMAND, USAGE
from bot.commands.vanity import spell
from bot.core.domain import (
    MAX_LIMIT,
    ActiveQuery,
    Capability,
    NumberPattern,
    NumberType,
    Query,
    SearchPattern,
    SearchQuery,
)
from bot.core.errors import (
    CommandError,
    SinchApiError,
    SinchAuthError,
    SinchBadRequestError,
    SinchConnectionError,
    SinchError,
    SinchNotFoundError,
    SinchPermissionError,
    SinchRateLimitedError,
    SinchTimeoutError,
    SinchUnavailableError,
    TokenUnavailableError,
)
from bot.core.money import Money, format_money
from bot.core.phone import format_international, format_national, locality, national_prefix
from bot.search.results import ActiveResult, RegionsResult, SearchResult
from bot.sinch.models import ActiveNumber, AvailableNumber

Message = dict[str, Any]
Block = dict[str, Any]

SHARE_ACTION = "numbers_share"
NEXT_PAGE_ACTION = "numbers_active_next"
SHOW_MORE_ACTION = "numbers_search_more"
# Opens the search form (bot/slack/search_form.py): in the help message and the Home tab.
SEARCH_FORM_ACTION = "numbers_search_form"

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


def render_search(
    result: SearchResult,
    *,
    sandbox: bool = False,
    shareable: bool = True,
    shared_by: str | None = None,
    accessory: Callable[[AvailableNumber], Block | None] | None = None,
) -> Message:
    """Available numbers: one compact section each, a footer, and a Share button.

    ``accessory`` gives each number's section a button (the Rent button), or None for none.
    """
    query = result.query
    type_name, name = _TYPE_NAMES[query.type], region_name(query.region)
    if query.place is not None:
        name = (
            f"{query.place.label}, {name}"
            if not query.place.text.startswith("near:")
            else (f"{name}, {query.place.label}")
        )
    place = escape(name)
    blocks: list[Block] = [
        _header(f"{_flag(query.region)} Available {type_name} numbers in {name}")
    ]
    if shared_by is not None:
        blocks.append(_context(f"Shared by {_mention(shared_by)} · {_command(query)}"))
    if sandbox:
        blocks.append(_context(_sandbox_note()))
    about = _search_notes(result)
    if about:
        blocks.append(_context(*about))
    shown = result.shown
    if not shown:
        blocks.append(_section(_empty_search_text(result)))
        if result.cache_age is not None:
            blocks.append(_context(*_cache_note(result)))
        return _message(f"No available {type_name} numbers in {place} match.", blocks)

    footer = _search_footer(result, with_command=shared_by is None)
    with_button = shareable and shared_by is None
    budget = MAX_BLOCKS - len(blocks) - 1 - int(with_button) - 1
    blocks += [
        _with_accessory(_section(_available_text(n, query.pattern)), n, accessory)
        for n in shown[:budget]
    ]
    if len(shown) > budget:
        blocks.append(_context(f"…and {len(shown) - budget} more not shown."))
    blocks.append(footer)
    value = format_query(query)
    buttons = []
    more = show_more_value(result) if with_button else None
    if more is not None:
        buttons.append(
            _button(f"Show {min(result.more, query.limit)} more", SHOW_MORE_ACTION, more)
        )
    if with_button and len(value) <= _BUTTON_VALUE_MAX:
        buttons.append(_button("Share to channel", SHARE_ACTION, value))
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    count = len(shown)
    noun = "number" if count == 1 else "numbers"
    return _message(f"{count} available {type_name} {noun} in {place}", blocks)


def _with_accessory(
    block: Block,
    number: AvailableNumber,
    accessory: Callable[[AvailableNumber], Block | None] | None,
) -> Block:
    element = accessory(number) if accessory is not None else None
    return block if element is None else {**block, "accessory": element}


def _search_notes(result: SearchResult) -> list[str]:
    """Where a place search looked, what it left out or could not reach, what was hidden."""
    query, notes = result.query, []
    if query.note:
        notes.append(f":information_source: {escape(query.note)}")
    place = query.place
    if place is not None:
        areas = ", ".join(_user(a, 16) for a in place.areas)
        if place.nearest_first:
            notes.append(f"Searched {_user(place.label, 100)}: prefixes {areas}, nearest first")
        else:
            noun = "area code" if len(place.areas) == 1 else "area codes"
            notes.append(f"Searched {_user(place.label, 100)}: {noun} {areas}")
        if place.widened:
            notes.append(escape(place.widened_note))
        if place.skipped:
            notes.append(
                f"{place.skipped} less prominent area codes not searched: name a city, or give"
                f" one, e.g. `{COMMAND} {_user(query.region, 8)} in:CITY`"
            )
        if place.others:
            options = " · ".join(f"`{COMMAND} {_user(o, 60)}`" for o in place.others)
            notes.append(f"Not this one? {options}")
    if result.failed_areas:
        failed = ", ".join(_user(a, 16) for a in result.failed_areas)
        notes.append(
            f":warning: Sinch did not answer for {failed}; showing what the other area codes"
            " have. Try again for the rest."
        )
    if result.hidden_for_docs:
        notes.append(f"{result.hidden_for_docs} hidden: they need supporting documents (`nodocs`)")
    if result.over_max:
        notes.append(f"{result.over_max} hidden: over `max:{query.max_monthly}` a month")
    return notes


def show_more_value(result: SearchResult) -> str | None:
    """The Show-more button's value: the command text and where the next page starts."""
    if result.more <= 0:
        return None
    query = result.query
    data = {"q": format_query(query), "o": query.offset + query.limit}
    value = json.dumps(data, separators=(",", ":"), sort_keys=True)
    return value if len(value) <= _BUTTON_VALUE_MAX else None


# Pure, and the same offers are shown again and again (every search of a region, Show more,
# Share): a cached line saves about 15 µs of formatting per number shown. The models are
# frozen, so equal offers share a line; the cache holds strings only, never a mutable block.
@lru_cache(maxsize=4096)
def _available_text(number: AvailableNumber, pattern: NumberPattern | None = None) -> str:
    setup = _price(number.setup_price)
    if number.setup_price is not None and number.setup_price.amount == 0:
        setup = "no setup fee"
    else:
        setup = f"setup {setup}"
    monthly = _price(number.monthly_price) + _interval(number.payment_interval_months)
    lines = [
        _number_line(number.phone_number, pattern),
        f"{_capabilities(number.capability)}  ·  {monthly}  ·  {setup}",
    ]
    if number.supporting_documentation_required:
        lines.append(":page_facing_up: Supporting documents required to rent")
    return "\n".join(lines)


def _search_footer(result: SearchResult, *, with_command: bool) -> Block:
    query, shown, fetched = result.query, len(result.shown), len(result.numbers)
    plus = "+" if result.more_is_lower_bound else ""
    parts = [_command(query)] if with_command else []
    if query.offset:
        first = query.offset + 1
        parts.append(f"{first}–{query.offset + shown} of {fetched}{plus} shown")
    else:
        parts.append(f"{shown} of {fetched}{plus} shown" if result.more else f"{shown} shown")
    if result.more or result.more_is_lower_bound:
        count = f"{result.more}{plus} more" if result.more else "Maybe more"
        parts.append(f"{count} — narrow with {_narrowing(query, fetched)}")
    parts += _cache_note(result)
    return _context(*parts)


def _narrowing(query: SearchQuery, fetched: int) -> str:
    ideas = []
    if query.pattern is None:
        # A place search already fixes the area codes: only a contains:/ends: pattern fits.
        ideas += ["`contains:`"] if query.place is not None else ["`206`", "`contains:`"]
    if not query.capabilities:
        ideas.append("`sms`")
    text = ", ".join(ideas) + "…" if ideas else "a longer pattern"
    if query.limit < MAX_LIMIT:
        text += f" or `limit:{max(query.limit + 1, min(MAX_LIMIT, fetched))}`"
    return text


def _cache_note(result: SearchResult) -> list[str]:
    age = result.cache_age
    if age is None or not math.isfinite(age):
        return []
    return [f"(cached, {max(0, round(age))} s old)"]


def _empty_search_text(result: SearchResult) -> str:
    query = result.query
    type_name, place = _TYPE_NAMES[query.type], escape(region_name(query.region))
    if result.type_not_offered:
        # From Sinch's regions list: no filter would help, so none is suggested.
        region = _user(query.region, 8)
        offered = [f"`{COMMAND} {region} {_user(t, 20)}`" for t in result.region_types or ()]
        if not offered:
            return f"Sinch offers no numbers in {place}; `{COMMAND} regions` lists where it does."
        return f"Sinch offers no {type_name} numbers in {place}. Try {' or '.join(offered)}."
    if query.place is not None:
        place = f"{_user(query.place.label, 100)} ({place})"
    lines = [f"No {type_name} numbers in {place} match {_command(query)} right now. Try:"]
    if query.nodocs or query.max_monthly is not None:
        lines.append("• without `nodocs` / `max:`")
    region = _user(query.region, 8)
    pattern = query.pattern
    if pattern is not None:
        prefix = national_prefix(query.region)
        if (
            pattern.kind is SearchPattern.START
            and prefix
            and pattern.digits.startswith(prefix)
            and len(pattern.digits) > len(prefix)
        ):
            # "020" is how GB numbers are dialled at home; after +44 the 0 is not there.
            lines.append(
                f"• without the leading `{prefix}` (the national prefix):"
                f" `{COMMAND} {region} {query.type.value} {_user(pattern.digits[len(prefix) :])}`"
            )
        lines.append("• a shorter or different pattern, or none")
    if query.capabilities:
        lines.append("• without `sms` / `voice`")
    others = [t.value for t in NumberType if t is not query.type]
    lines.append(f"• another type: `{COMMAND} {region} {others[0]}` or `{others[1]}`")
    lines.append(f"• `{COMMAND} regions` to see which types each region offers")
    return "\n".join(lines)


def render_shared_notice(user_id: str) -> Message:
    """Replaces the ephemeral results once they were posted to the channel."""
    text = f":white_check_mark: {_mention(user_id)} shared these results to the channel."
    return _message(text, [_section(text)])


# --- regions ----------------------------------------------------------------------------


def render_regions(result: RegionsResult, *, sandbox: bool = False) -> Message:
    """Regions and the number types each offers, packed into a few sections."""
    wanted = result.query.type
    kind = f"{_TYPE_NAMES[wanted]} numbers" if wanted else "numbers"
    count = len(result.regions)
    blocks: list[Block] = [_header(f"Regions with {kind} to rent ({count})")]
    if sandbox:
        blocks.append(_context(_sandbox_note()))
    if not result.regions:
        blocks.append(_section(f"Sinch offers no {kind} to this project right now."))
        return _message(f"No regions offer {kind} right now.", blocks)

    regions = sorted(
        result.regions, key=lambda r: (r.region_name or region_name(r.region_code)).casefold()
    )
    lines = []
    for region in regions:
        code = region.region_code
        name = region.region_name or region_name(code)
        types = ", ".join(_type_name(t) for t in region.types[:5]) or "no types listed"
        lines.append(f"{_flag(code)} *{_user(code, 8)}* {_user(name)}: {types}".lstrip())
    blocks += _sections(lines, MAX_BLOCKS - len(blocks) - 1)
    known_types = {t.value for t in NumberType}
    sample = next(
        (
            f"{r.region_code} {t}"
            for r in regions
            if _flag(r.region_code) and r.region_code.isupper()
            for t in r.types
            if t in known_types
        ),
        "US LOCAL",
    )
    blocks.append(_context(f"Search one: `{COMMAND} {sample}`"))
    noun = "region offers" if count == 1 else "regions offer"
    return _message(f"{count} {noun} {kind}", blocks)


# --- active numbers ---------------------------------------------------------------------


def render_active(result: ActiveResult, *, sandbox: bool = False, page: int = 1) -> Message:
    """One page of the project's rented numbers, with a Next-page button when there are more."""
    query = result.query
    what = f"{_TYPE_NAMES[query.type]} numbers" if query.type else "numbers"
    if query.region:
        what += f" in {region_name(query.region)}"
    total = f" ({result.total_size} in total)" if result.total_size is not None else ""
    blocks: list[Block] = [_header(f"{_flag(query.region or '')} Active {what}{total}")]
    # The header is plain text; everything below is mrkdwn.
    what = escape(what)
    if sandbox:
        blocks.append(_context(_sandbox_note()))
    numbers = result.numbers
    if not numbers:
        blocks.append(_section(f"This project rents no {what}."))
        return _message(f"This project rents no {what}.", blocks)

    value = next_page_value(query, result.next_page_token, page + 1)
    budget = MAX_BLOCKS - len(blocks) - 1 - int(value is not None) - 1
    blocks += [_section(_active_text(n)) for n in numbers[:budget]]
    if len(numbers) > budget:
        blocks.append(_context(f"…and {len(numbers) - budget} more on this page not shown."))
    footer = [f"Page {page} · {len(numbers)} shown", _command(query)]
    if result.next_page_token and value is None:
        footer.append("More pages exist: narrow by region or type to see them.")
    blocks.append(_context(*footer))
    if value is not None:
        blocks.append(
            {"type": "actions", "elements": [_button("Next page", NEXT_PAGE_ACTION, value)]}
        )
    return _message(f"Active {what}{total}: page {page}", blocks)


def _active_text(number: ActiveNumber) -> str:
    first = _number_line(number.phone_number)
    if number.display_name:
        first += f"  ·  “{_user(number.display_name, 60)}”"
    details = [
        _type_name(number.type) if number.type else "type unknown",
        _capabilities(number.capability),
        _price(number.money) + _interval(number.payment_interval_months),
    ]
    if number.next_charge_date is not None:
        details.append(f"next charge {number.next_charge_date.date().isoformat()}")
    if number.expire_at is not None:
        details.append(f"expires {number.expire_at.date().isoformat()}")
    return first + "\n" + "  ·  ".join(details)


def next_page_value(query: ActiveQuery, page_token: str | None, page: int) -> str | None:
    """The Next-page button's value (compact JSON), or None when there is no token or it won't fit.

    A page token cut short would be useless, so an oversized one means no button at all.
    """
    if not page_token:
        return None
    data: dict[str, Any] = {"page_token": page_token, "page": page}
    if query.region:
        data["region"] = query.region
    if query.type:
        data["type"] = query.type.value
    value = json.dumps(data, separators=(",", ":"), sort_keys=True)
    return value if len(value) <= _BUTTON_VALUE_MAX else None


# --- help and errors --------------------------------------------------------------------


def search_form_button() -> Block:
    """An actions block with the button that opens the search form."""
    return {
        "type": "actions",
        "elements": [{**_button("Search numbers", SEARCH_FORM_ACTION, "open"), "style": "primary"}],
    }


def render_help() -> Message:
    blocks = [
        _header(f"{COMMAND}: find Sinch phone numbers to rent"),
        _section(USAGE),
        _context(
            "Replies are visible only to you; *Share to channel* posts a search for everyone."
        ),
        search_form_button(),
    ]
    return _message(f"{COMMAND} help: {COMMAND} REGION [TYPE] [filters]", blocks)


def render_command_error(err: CommandError) -> Message:
    """What was wrong with the command, and the nearest valid usage."""
    hint = escape(err.hint)
    blocks = [_section(f":warning: {hint}")]
    if err.usage:
        blocks.append(_section(f"Try: {escape(err.usage)}"))
    blocks.append(_context(f"`{COMMAND} help` shows every option."))
    return _message(hint, blocks)


def render_sinch_error(exc: SinchError) -> Message:
    """A specific, actionable message for each kind of Sinch failure."""
    text, details = _sinch_problem(exc)
    blocks = [_section(text)]
    if details:
        blocks += _sections(details, 2)
    return _message(text, blocks)


def _sinch_problem(exc: SinchError) -> tuple[str, list[str]]:
    if isinstance(exc, TokenUnavailableError):
        # Sinch's sign-in is down, not the key's fault: nobody should be sent to check it.
        wait = _seconds(exc.retry_after)
        return (
            ":lock: The bot can't authenticate with Sinch right now: Sinch's sign-in service is"
            f" unavailable. Try again in {wait or 'a minute'}.",
            [],
        )
    if isinstance(exc, SinchTimeoutError):
        return ":hourglass: Sinch is slow to answer, try again in a minute.", []
    if isinstance(exc, SinchConnectionError):
        return (
            ":electric_plug: Can't reach Sinch right now (network problem); try again in a minute.",
            [],
        )
    if isinstance(exc, SinchAuthError):
        return (
            ":lock: The bot can't authenticate with Sinch — tell the bot's admins"
            " (check SINCH_KEY_ID/SECRET).",
            [],
        )
    if not isinstance(exc, SinchApiError):
        return ":x: Sinch failed to answer; try again in a minute.", []
    said = f"Sinch said: {_user(exc.message, 300)}" if exc.message.strip() else ""
    if isinstance(exc, SinchUnavailableError):
        return (
            f":construction: Sinch is unavailable right now (HTTP {exc.status_code});"
            " try again in a few minutes.",
            [],
        )
    if isinstance(exc, SinchRateLimitedError):
        wait = _seconds(exc.retry_after)
        when = f"in {wait}" if wait else "in a minute"
        return f":snail: Sinch is rate limiting the bot; try again {when}.", []
    if isinstance(exc, SinchBadRequestError):
        lines = [f"• `{_user(v.field, 60)}`: {_user(v.description, 200)}" for v in exc.violations]
        return (
            f":x: Sinch rejected the request. {said}",
            lines[:10] + ([f"…and {len(lines) - 10} more."] if len(lines) > 10 else []),
        )
    if isinstance(exc, SinchPermissionError):
        return (
            ":no_entry: Sinch refused: the bot's key may not do this for its project —"
            f" tell the bot's admins. {said}",
            [],
        )
    if isinstance(exc, SinchNotFoundError):
        return (
            ":mag: Sinch doesn't know the bot's project — tell the bot's admins"
            f" (check SINCH_PROJECT_ID). {said}",
            [],
        )
    return f":x: Sinch answered HTTP {exc.status_code}. {said}", []


def _seconds(value: float | None) -> str | None:
    if value is None or not math.isfinite(value) or value <= 0:
        return None
    seconds = min(math.ceil(value), 24 * 3600)
    return f"{seconds} s" if seconds < 120 else f"{math.ceil(seconds / 60)} min"


def render_internal_error() -> Message:
    text = ":boom: Something went wrong on our side. It has been logged; please try again."
    return _message(text, [_section(text)])


def render_not_permitted(contact: str) -> Message:
    """Access denied; ``contact`` (from config) may be a Slack mention such as <@U123>."""
    who = contact if _SLACK_REFERENCE.fullmatch(contact) else _user(contact or "an admin", 200)
    text = f":no_entry: You're not permitted to use {COMMAND} here. Ask {who} for access."
    return _message(text, [_section(text)])


def render_bot_misconfigured() -> Message:
    """Slack refused the bot's own token: nothing the user can do but tell someone."""
    text = (
        ":warning: The bot is misconfigured (Slack refused its token), so it can't answer."
        " Please tell the bot's admins."
    )
    return _message(text, [_section(text)])


def render_rate_limited(retry_in_seconds: float) -> Message:
    wait = _seconds(retry_in_seconds) or "1 s"
    text = f":snail: You're sending commands too fast; try again in {wait}."
    return _message(text, [_section(text)])
