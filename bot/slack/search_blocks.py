"""Block Kit for a search: the numbers with their Rent buttons, the notes (cache
age, narrowing, failed areas), Show more and Share, the empty result's advice.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from functools import lru_cache

from bot.commands.parser import format_query
from bot.commands.regions import region_name
from bot.commands.usage import COMMAND
from bot.core.domain import MAX_LIMIT, NumberPattern, NumberType, SearchPattern, SearchQuery
from bot.core.phone import national_prefix
from bot.search.results import SearchResult
from bot.sinch.models import AvailableNumber
from bot.slack.blocks import (
    _BUTTON_VALUE_MAX,
    _TYPE_NAMES,
    MAX_BLOCKS,
    Block,
    Message,
    _button,
    _capabilities,
    _command,
    _context,
    _flag,
    _header,
    _interval,
    _mention,
    _message,
    _number_line,
    _price,
    _sandbox_note,
    _section,
    _user,
    escape,
)

SHARE_ACTION = "numbers_share"

SHOW_MORE_ACTION = "numbers_search_more"


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
        _with_accessory(_section(available_text(n, query.pattern)), n, accessory)
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
def available_text(number: AvailableNumber, pattern: NumberPattern | None = None) -> str:
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
