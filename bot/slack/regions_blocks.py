"""Block Kit for `/numbers regions`: the regions that offer numbers, by type."""

from __future__ import annotations

from bot.commands.regions import region_name
from bot.commands.usage import COMMAND
from bot.core.domain import NumberType
from bot.search.results import RegionsResult
from bot.slack.blocks import (
    _TYPE_NAMES,
    MAX_BLOCKS,
    Block,
    Message,
    _context,
    _flag,
    _header,
    _message,
    _sandbox_note,
    _section,
    _sections,
    _type_name,
    _user,
)


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
