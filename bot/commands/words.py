"""The grammar's words (types, capabilities, filter keys, kinds) and what a scan of
the words found (``Facts``), before it is checked against the kind of query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from bot.commands import where
from bot.commands.regions import display_word
from bot.commands.usage import Kind
from bot.core.domain import (
    ActiveQuery,
    Capability,
    HelpQuery,
    NumberType,
    RegionsQuery,
    SearchPattern,
)

TYPE_WORDS: dict[str, NumberType] = {
    "local": NumberType.LOCAL,
    "mobile": NumberType.MOBILE,
    "toll_free": NumberType.TOLL_FREE,
    "toll-free": NumberType.TOLL_FREE,
    "tollfree": NumberType.TOLL_FREE,
}
# Number types people ask for that Sinch does not sell (mostly phonenumbers' own type names).
OTHER_TYPES = frozenset(
    {"fixed_line", "fixed-line", "fixedline", "voip", "premium", "premium_rate", "shared_cost"}
    | {"pager", "uan", "personal"}
)
# Words that mean one of our types, to say "did you mean".
TYPE_SYNONYMS: dict[str, NumberType] = {
    "landline": NumberType.LOCAL,
    "fixed": NumberType.LOCAL,
    "geographic": NumberType.LOCAL,
    "cell": NumberType.MOBILE,
    "cellular": NumberType.MOBILE,
    "wireless": NumberType.MOBILE,
    "toll": NumberType.TOLL_FREE,
    "free": NumberType.TOLL_FREE,
    "freephone": NumberType.TOLL_FREE,
}
CAPABILITY_WORDS: dict[str, Capability] = {"sms": Capability.SMS, "voice": Capability.VOICE}
PATTERN_KEYS: dict[str, SearchPattern] = {
    "contains": SearchPattern.CONTAINS,
    "ends": SearchPattern.END,
    "end": SearchPattern.END,
    "starts": SearchPattern.START,
    "start": SearchPattern.START,
}
LIMIT_KEYS = frozenset({"limit"})
_PLACE_KEYS = frozenset({"in", "near", "max", "sort"})
NODOCS_WORDS = frozenset({"nodocs", "no-docs", "no_docs"})
KIND_WORDS: dict[str, Kind] = {
    "help": HelpQuery,
    "?": HelpQuery,
    "regions": RegionsQuery,
    "active": ActiveQuery,
}
KIND_ALIASES = {"region": "regions"}
KNOWN_WORDS = sorted(
    [*TYPE_WORDS, *CAPABILITY_WORDS, "nodocs"]
    + [f"{k}:" for k in (*PATTERN_KEYS, *LIMIT_KEYS, *_PLACE_KEYS)]
    + [w for w in KIND_WORDS if w != "?"]
)

KEY_VALUE = re.compile(r"([a-z_]+)[:=](.*)")


@dataclass
class Facts:
    """What the words said, before checking that they fit the kind of query."""

    regions: list[tuple[str, str]] = field(default_factory=list)  # (code, as typed)
    types: list[tuple[NumberType, str]] = field(default_factory=list)
    capabilities: list[Capability] = field(default_factory=list)
    patterns: list[tuple[SearchPattern, str, str]] = field(default_factory=list)
    limits: list[tuple[int, str]] = field(default_factory=list)
    # Place words: runs of words nothing else claimed, and `in:`/`near:` values.
    places: list[where.PlaceWords] = field(default_factory=list)
    nears: list[str] = field(default_factory=list)
    nodocs: bool = False
    max_monthly: list[Decimal] = field(default_factory=list)
    sort_by_price: bool = False
    # The first word that is only valid in a search, for kinds that do not take filters.
    filter_word: str | None = None


@dataclass(frozen=True)
class Words:
    """Lower-cased words for matching, and the same words as typed for messages."""

    lower: list[str]
    typed: list[str]

    def shown(self, start: int, size: int = 1) -> str:
        return display_word(" ".join(self.typed[start : start + size]))
