"""Block Kit for `/numbers active REGION`: the rented numbers, a page at a time."""

from __future__ import annotations

import json
from typing import Any

from bot.commands.regions import region_name
from bot.core.domain import ActiveQuery
from bot.search.results import ActiveResult
from bot.sinch.models import ActiveNumber
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
    _message,
    _number_line,
    _price,
    _sandbox_note,
    _section,
    _type_name,
    _user,
    escape,
)

NEXT_PAGE_ACTION = "numbers_active_next"


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
