"""Plain-text tables and JSON for the terminal: domain results in, strings out."""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from bot.active_summary import ActiveSummary, Costs
from bot.phone import format_international, locality
from bot.results import ActiveResult, RegionsResult, Result, SearchResult
from bot.sinch.models import Money

SANDBOX_BANNER = "SANDBOX DATA: fictional numbers from the built-in Sinch sandbox, not rentable."


def _money(money: Money | None) -> str:
    return "-" if money is None else f"{money.amount}"


def _currency(money: Money | None) -> str:
    return "-" if money is None else money.currency_code


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
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
    if not result.shown:
        return f"{title}: none matched. Try fewer filters, another area code, or another type."
    rows = [
        [
            format_international(n.phone_number),
            locality(n.phone_number) or "",
            "+".join(n.capability) or "-",
            _money(n.setup_price),
            _money(n.monthly_price),
            _currency(n.monthly_price or n.setup_price),
            "yes" if n.supporting_documentation_required else "no",
        ]
        for n in result.shown
    ]
    table = _table(
        ["number", "locality", "capabilities", "setup", "monthly", "currency", "documents"], rows
    )
    footer = f"{len(result.shown)} shown"
    if result.more:
        more = f"{result.more}+" if result.more_is_lower_bound else str(result.more)
        footer += f", {more} more (narrow the search or raise limit:N)"
    return f"{title}\n{table}\n{footer}"


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
    total = f" of {result.total_size}" if result.total_size is not None else ""
    footer = f"{len(result.numbers)} shown{total}"
    if result.next_page_token:
        footer += " (more pages exist)"
    return (
        _table(["number", "region", "type", "capabilities", "monthly", "currency", "name"], rows)
        + "\n"
        + footer
    )


def _costs(costs: Costs) -> str:
    return " + ".join(f"{code} {amount.quantize(Decimal('0.01')):,}" for code, amount in costs)


def _summary_text(summary: ActiveSummary) -> str:
    if not summary.counted and not summary.partial:
        return "The project rents no numbers matching that."
    rows = [
        [
            r.region,
            str(r.count),
            ", ".join(f"{n} {t}" for t, n in r.by_type),
            str(r.sms),
            str(r.voice),
            str(r.releasing),
            _costs(r.monthly) or "-",
        ]
        for r in summary.regions
    ]
    table = _table(["region", "numbers", "types", "sms", "voice", "releasing", "monthly"], rows)
    lines = [
        table,
        f"{summary.counted} numbers in {len(summary.regions)} regions, "
        f"{summary.releasing} releasing (not in the cost); "
        f"monthly cost {_costs(summary.monthly) or '-'} ({summary.pages} pages)",
    ]
    if summary.partial:
        of = f" of {summary.total_size}" if summary.total_size is not None else ""
        lines.append(f"PARTIAL: first {summary.counted}{of} counted.")
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


def render_json(result: Result, *, sandbox: bool) -> str:
    payload: dict[str, Any] = {"sandbox": sandbox}
    if isinstance(result, SearchResult):
        payload |= {
            "numbers": [n.model_dump(mode="json") for n in result.shown],
            "more": result.more,
            "more_is_lower_bound": result.more_is_lower_bound,
        }
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
