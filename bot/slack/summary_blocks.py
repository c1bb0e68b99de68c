"""Block Kit for the active-numbers summary: totals, a line per region, buttons that list one."""

from __future__ import annotations

import json
from decimal import Decimal

from bot.active.summary import ActiveSummary, Costs, RegionSummary
from bot.commands.regions import region_name
from bot.core.domain import ActiveQuery
from bot.core.money import format_total
from bot.slack.blocks import (
    _BUTTON_VALUE_MAX,
    MAX_BLOCKS,
    Block,
    Message,
    _button,
    _context,
    _flag,
    _header,
    _message,
    _sandbox_note,
    _section,
    _sections,
    _type_name,
    _user,
    escape,
)

# Buttons carry "numbers_active_region:<code>": action_ids must be unique in a message, and
# the listener matches the prefix.
REGION_ACTION = "numbers_active_region"
# Slack allows 25 elements per actions block; a handful of the largest regions is what helps.
MAX_REGION_BUTTONS = 10
# Sections of region lines (each up to ~2,900 characters, some 20 regions).
_REGION_SECTIONS = 8


def format_cost(amount: Decimal, currency: str) -> str:
    """ "USD 12,345.60": a summed cost, by the currency's rules (bot.core.money)."""
    return f"{_user(currency, 12)} {format_total(amount, currency)}"


def _costs(costs: Costs) -> str:
    return " + ".join(format_cost(amount, code) for code, amount in costs) or "no price known"


def _region_line(region: RegionSummary) -> str:
    code = _user(region.region, 8)
    types = ", ".join(f"{n:,} {_type_name(t)}" for t, n in region.by_type[:3])
    parts = [
        f"{_flag(region.region)} *{code}* {escape(region_name(region.region))}: *{region.count:,}*"
        f" ({types})",
        f"SMS {region.sms:,} · voice {region.voice:,}",
        f"{_costs(region.monthly)}/month",
    ]
    if region.releasing:
        parts.append(f"{region.releasing:,} releasing")
    return "  ·  ".join(parts)


def region_value(query: ActiveQuery, region: str) -> str:
    data = {"region": region, **({"type": query.type.value} if query.type else {})}
    return json.dumps(data, separators=(",", ":"), sort_keys=True)


def render_active_summary(summary: ActiveSummary, *, sandbox: bool = False) -> Message:
    query = summary.query
    what = f"{_type_name(query.type)} numbers" if query.type else "numbers"
    scope = f" in {region_name(query.region)}" if query.region else ""
    count = f"{summary.counted:,}" + ("+" if summary.partial else "")
    blocks: list[Block] = [_header(f"Rented {what}{scope}: {count}")]
    if sandbox:
        blocks.append(_context(_sandbox_note()))
    if not summary.counted and not summary.partial:
        text = f"This project rents no {escape(what)}{escape(scope)}."
        blocks.append(_section(text))
        return _message(text, blocks)

    noun = "region" if len(summary.regions) == 1 else "regions"
    totals = f"*{count} {escape(what)}* in {len(summary.regions):,} {noun}"
    if summary.releasing:
        totals += f" · {summary.releasing:,} releasing (not in the cost)"
    totals += f"\nMonthly cost: *{_costs(summary.monthly)}*"
    blocks.append(_section(totals))
    if summary.partial:
        blocks.append(_section(_partial_note(summary)))

    buttons = [
        _button(
            f"List {_user(r.region, 8)} ({r.count:,})",
            f"{REGION_ACTION}:{r.region}",
            region_value(query, r.region),
        )
        for r in summary.regions[:MAX_REGION_BUTTONS]
        if len(region_value(query, r.region)) <= _BUTTON_VALUE_MAX and r.region.isalpha()
    ]
    reserved = 1 + int(bool(buttons))  # footer, buttons
    budget = min(_REGION_SECTIONS, MAX_BLOCKS - len(blocks) - reserved)
    blocks += _sections((_region_line(r) for r in summary.regions), budget)
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    blocks.append(_context(*_footer(summary)))
    return _message(f"Rented {what}{scope}: {count}, {_costs(summary.monthly)} a month", blocks)


def _partial_note(summary: ActiveSummary) -> str:
    counted = f"{summary.counted:,}"
    of = f" of {summary.total_size:,}" if summary.total_size is not None else ""
    return (
        f":warning: *Partial:* first {counted}{of} counted before the time ran out. "
        "Use the CLI for all: `numbers-bot active --summary`."
    )


def _footer(summary: ActiveSummary) -> list[str]:
    footer = ["`/numbers active US` lists one region"]
    pages = "page" if summary.pages == 1 else "pages"
    footer.append(f"counted from {summary.pages:,} {pages}")
    if summary.cache_age is not None:
        footer.append(f"cached, {summary.cache_age:.0f} s old")
    return footer
