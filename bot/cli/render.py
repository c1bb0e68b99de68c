"""Plain-text tables and JSON for the terminal: domain results in, strings out."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.active.summary import ActiveSummary, Costs
from bot.commands.regions import region_name
from bot.commands.vanity import spell
from bot.core.domain import SearchQuery
from bot.core.money import Money, format_amount, format_total
from bot.core.phone import format_international, format_national, locality
from bot.search.results import ActiveResult, RegionsResult, Result, SearchResult
from bot.sinch.models import AvailableNumber

# Renting works in a sandbox (`rent --sandbox`, Rent buttons), on its fictional numbers only.
SANDBOX_BANNER = (
    "SANDBOX DATA: fictional numbers from a Sinch sandbox; renting one changes only the sandbox."
)


def _money(money: Money | None) -> str:
    return "-" if money is None else format_amount(money.amount, money.currency_code)


def _currency(money: Money | None) -> str:
    return "-" if money is None else money.currency_code


def _count(n: int, word: str) -> str:
    """``1 region``, ``10,000 numbers``: thousands separated, like the costs beside them."""
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _cell(text: str) -> str:
    """One table line per row: a newline or tab in a value (a display name) becomes a space."""
    if all(c.isprintable() for c in text):
        return text
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    rows = [[_cell(c) for c in r] for r in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def render_text(result: Result, *, sandbox: bool) -> str:
    parts = [SANDBOX_BANNER] if sandbox else []
    if isinstance(result, SearchResult):
        parts.append(_search_text(result))
    elif isinstance(result, RegionsResult):
        rows = [[r.region_code, r.region_name, ", ".join(r.types)] for r in result.regions]
        parts.append(_table(["region", "name", "types"], rows) if rows else "No regions found.")
    elif isinstance(result, ActiveSummary):
        parts.append(_summary_text(result))
    else:
        parts.append(_active_text(result))
    return "\n".join(parts)


def _search_text(result: SearchResult) -> str:
    q = result.query
    title = f"Available {q.type.value} numbers in {q.region}"
    if q.place is not None:
        title += f", {q.place.label}"
    notes = _search_notes(result)
    if result.type_not_offered:
        where = f"{region_name(q.region)} ({q.region})"
        offered = [f"numbers-bot search {q.region} {t}" for t in result.region_types or ()]
        line = (
            f"Sinch offers no {q.type.value} numbers in {where}. Try {' or '.join(offered)}."
            if offered
            else f"Sinch offers no numbers in {where}; `numbers-bot regions` lists where it does."
        )
        return "\n".join([*notes, line])
    if not result.shown:
        return "\n".join(
            [
                *notes,
                f"{title}: none matched. Try fewer filters, another area code, or another type.",
            ]
        )
    word = q.pattern.word if q.pattern is not None else None
    rows = [
        [
            format_international(n.phone_number),
            *([_word(n, result) or ""] if word else []),
            locality(n.phone_number) or "",
            "+".join(n.capability) or "-",
            _money(n.setup_price),
            _money(n.monthly_price),
            _currency(n.monthly_price or n.setup_price),
            "yes" if n.supporting_documentation_required else "no",
        ]
        for n in result.shown
    ]
    headers = ["number", *(["word"] if word else []), "locality", "capabilities", "setup"]
    table = _table([*headers, "monthly", "currency", "documents"], rows)
    footer = f"{len(result.shown):,} shown"
    if result.more:
        more = f"{result.more:,}+" if result.more_is_lower_bound else f"{result.more:,}"
        footer += f", {more} more (narrow the search or raise limit:N)"
    return "\n".join([*notes, title, table, footer])


def _search_notes(result: SearchResult) -> list[str]:
    """Plain-text twins of the Slack reply's notes: where it looked, what it left out."""
    q, notes = result.query, []
    if q.note:
        notes.append(q.note.replace("/numbers ", "numbers-bot search "))
    if q.place is not None:
        notes.append(
            f"Searched {q.place.label} ({region_name(q.region)}): {', '.join(q.place.areas)}"
        )
        if q.place.widened:
            notes.append(f"{q.place.widened_note}.")
        if q.place.skipped:
            notes.append(f"{q.place.skipped} less prominent area codes not searched.")
        if q.place.others:
            # " · ", not ", ": a comma would read as the `,ST` of `in:austin,mn`.
            others = " · ".join(f"numbers-bot search {o}" for o in q.place.others)
            notes.append(f"Not this one? {others}")
    if result.failed_areas:
        notes.append(
            f"Warning: Sinch did not answer for {', '.join(result.failed_areas)}; showing the rest."
        )
    if result.hidden_for_docs:
        notes.append(f"{result.hidden_for_docs} hidden: they need supporting documents (nodocs).")
    if result.over_max:
        notes.append(f"{result.over_max} hidden: over max:{q.max_monthly} a month.")
    return notes


def _word(number: AvailableNumber, result: SearchResult) -> str | None:
    pattern = result.query.pattern
    if pattern is None or pattern.word is None:
        return None
    return spell(format_international(number.phone_number), pattern.digits, pattern.word)


def _number_json(number: AvailableNumber, result: SearchResult) -> dict[str, Any]:
    data: dict[str, Any] = number.model_dump(mode="json")
    data["national"] = format_national(number.phone_number)
    data["locality"] = locality(number.phone_number)
    pattern = result.query.pattern
    if pattern is not None and pattern.word is not None:
        data["word"] = pattern.word
        data["spelled"] = _word(number, result)
    return data


def _active_text(result: ActiveResult) -> str:
    if not result.numbers:
        return "The project rents no numbers matching that."
    rows = [
        [
            format_international(n.phone_number),
            n.region_code,
            n.type,
            "+".join(n.capability) or "-",
            _money(n.money),
            _currency(n.money),
            n.display_name or "",
        ]
        for n in result.numbers
    ]
    total = f" of {result.total_size:,}" if result.total_size is not None else ""
    footer = f"{len(result.numbers):,} shown{total}"
    if result.next_page_token:
        footer += " (more pages exist)"
    return (
        _table(["number", "region", "type", "capabilities", "monthly", "currency", "name"], rows)
        + "\n"
        + footer
    )


def _costs(costs: Costs) -> str:
    return " + ".join(f"{code} {format_total(amount, code)}" for code, amount in costs)


def _summary_text(summary: ActiveSummary) -> str:
    if not summary.counted and not summary.partial:
        return "The project rents no numbers matching that."
    rows = [
        [
            r.region,
            f"{r.count:,}",
            ", ".join(f"{n:,} {t}" for t, n in r.by_type),
            f"{r.sms:,}",
            f"{r.voice:,}",
            f"{r.releasing:,}",
            _costs(r.monthly) or "-",
        ]
        for r in summary.regions
    ]
    table = _table(["region", "numbers", "types", "sms", "voice", "releasing", "monthly"], rows)
    lines = [
        table,
        f"{_count(summary.counted, 'number')} in {_count(len(summary.regions), 'region')}, "
        f"{summary.releasing:,} releasing (not in the cost); "
        f"monthly cost {_costs(summary.monthly) or '-'} ({_count(summary.pages, 'page')})",
    ]
    if summary.partial:
        of = f" of {summary.total_size:,}" if summary.total_size is not None else ""
        lines.append(f"PARTIAL: first {summary.counted:,}{of} counted.")
    return "\n".join(lines)


def _summary_json(summary: ActiveSummary) -> dict[str, Any]:
    def costs(items: Costs) -> dict[str, str]:
        return {code: str(amount) for code, amount in items}

    return {
        "counted": summary.counted,
        "total_size": summary.total_size,
        "partial": summary.partial,
        "releasing": summary.releasing,
        "monthly_cost": costs(summary.monthly),
        "pages": summary.pages,
        "regions": [
            {
                "region": r.region,
                "count": r.count,
                "types": dict(r.by_type),
                "sms": r.sms,
                "voice": r.voice,
                "releasing": r.releasing,
                "unpriced": r.unpriced,
                "monthly_cost": costs(r.monthly),
            }
            for r in summary.regions
        ],
    }


def _query_json(query: SearchQuery) -> dict[str, Any]:
    """What was searched, as the parser decided it: for scripts and tests to check."""
    pattern = query.pattern
    place = query.place
    return {
        "region": query.region,
        "type": query.type.value,
        "pattern": None
        if pattern is None
        else {"kind": pattern.kind.value, "digits": pattern.digits, "word": pattern.word},
        "place": None
        if place is None
        else {
            "label": place.label,
            "text": place.text,
            "areas": list(place.areas),
            "skipped": place.skipped,
            "widened": place.widened,
            "others": list(place.others),
        },
    }


def render_json(result: Result, *, sandbox: bool) -> str:
    payload: dict[str, Any] = {"sandbox": sandbox}
    if isinstance(result, SearchResult):
        place = result.query.place
        payload["query"] = _query_json(result.query)
        payload |= {
            "numbers": [_number_json(n, result) for n in result.shown],
            "more": result.more,
            "more_is_lower_bound": result.more_is_lower_bound,
        }
        if place is not None:
            payload["place"] = {"label": place.label, "areas": list(place.areas)}
            payload["failed_areas"] = list(result.failed_areas)
        if result.query.nodocs:
            payload["hidden_for_docs"] = result.hidden_for_docs
        if result.region_types is not None:  # nothing found: what the region does offer
            payload["region_types"] = list(result.region_types)
    elif isinstance(result, RegionsResult):
        payload["regions"] = [r.model_dump(mode="json") for r in result.regions]
    elif isinstance(result, ActiveSummary):
        payload |= _summary_json(result)
    else:
        payload |= {
            "numbers": [n.model_dump(mode="json") for n in result.numbers],
            "total_size": result.total_size,
            "next_page_token": result.next_page_token,
        }
    return json.dumps(payload, indent=2)
