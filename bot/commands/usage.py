"""What each form of the command looks like: the usage lines and the help text."""

from __future__ import annotations

from bot.commands.number_change import USAGE_LINES as NUMBER_USAGE_LINES
from bot.core.domain import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    ActiveQuery,
    HelpQuery,
    RegionsQuery,
    SearchQuery,
)

COMMAND = "/numbers"

_SEARCH_USAGE = (
    f"`{COMMAND} REGION [TYPE] [sms] [voice] [206 | contains:555 | ends:00] [nodocs]"
    f" [max:2.50] [sort:price] [limit:N]` (REGION or a place: `seattle`, `US texas`), e.g."
    f" `{COMMAND} US LOCAL sms 206` or `{COMMAND} sweden mobile`"
)
_REGIONS_USAGE = f"`{COMMAND} regions [TYPE]`, e.g. `{COMMAND} regions MOBILE`"
_ACTIVE_USAGE = f"`{COMMAND} active [REGION] [TYPE]`, e.g. `{COMMAND} active US LOCAL`"
_HELP_USAGE = f"`{COMMAND} help`"

# The search grammar: Slack's help, and the CLI's `numbers-bot search help` in its own words.
SEARCH_HELP_LINES = (
    f"`{COMMAND} REGION [TYPE] [filters]`: numbers you can rent",
    "  • REGION: ISO code or country name: `US`, `GB` (or `UK`), `SE`, `sweden`, `united states`",
    "  • TYPE: `LOCAL` (default), `MOBILE` or `TOLL_FREE`",
    "  • filters: `sms`, `voice`, one pattern (`206` = starts with 206 after the country"
    f" code, `contains:555`, `ends:00`) and `limit:N` (1–{MAX_LIMIT},"
    f" default {DEFAULT_LIMIT})",
    f"  • e.g. `{COMMAND} US LOCAL sms 206`, `{COMMAND} GB MOBILE ends:00 limit:5`",
    f"`{COMMAND} PLACE [TYPE] [filters]`: numbers in a city, state or near a number",
    f"  • `{COMMAND} seattle`, `{COMMAND} GB london`, `{COMMAND} portland me` or"
    f" `{COMMAND} US in:portland,me` (a state picks among same-named places)",
    f"  • `{COMMAND} US texas` or `US TX`, `{COMMAND} CA ontario`: a state's area codes",
    f"  • `{COMMAND} near:+12065550123`: same exchange first, then the area code",
    "  • prefixes as dialled at home work too: `US 1206`, `GB 020`, `SE 08`, `+1206`",
    f"  • `{COMMAND} US contains:PIZZA`: letters are keypad digits (74992)",
    "  • `nodocs` hides numbers needing documents, `max:2.50` caps the monthly price,"
    " `sort:price` puts the cheapest first",
)
USAGE = "\n".join(
    [
        *SEARCH_HELP_LINES,
        f"`{COMMAND} regions [TYPE]`: regions that offer numbers",
        f"`{COMMAND} active [TYPE]`: what this project rents, summarised; add REGION to list them",
        *NUMBER_USAGE_LINES,
        f"`{COMMAND} watch SEARCH`: a DM for each new number that search finds, e.g."
        f" `{COMMAND} watch seattle sms max:2`",
        f"`{COMMAND} watches`: your watches; `{COMMAND} unwatch ID` stops one",
        f"`{COMMAND} help`: this message",
    ]
)

Kind = type[SearchQuery] | type[RegionsQuery] | type[ActiveQuery] | type[HelpQuery]


def usage_for(kind: Kind | None = None) -> str:
    """The usage line, with examples, for one kind of query (searching when None)."""
    if kind is RegionsQuery:
        return _REGIONS_USAGE
    if kind is ActiveQuery:
        return _ACTIVE_USAGE
    if kind is HelpQuery:
        return _HELP_USAGE
    return _SEARCH_USAGE
