"""Domain vocabulary shared by parsing, the service and the Sinch client: types, queries, limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class NumberType(StrEnum):
    LOCAL = "LOCAL"
    MOBILE = "MOBILE"
    TOLL_FREE = "TOLL_FREE"


class Capability(StrEnum):
    SMS = "SMS"
    VOICE = "VOICE"


class SearchPattern(StrEnum):
    START = "START"
    CONTAINS = "CONTAINS"
    END = "END"


# How many numbers a reply shows by default, and the most a user may ask for. The Slack reply
# needs one block per number plus a few more, and stays well under the 50-block limit.
DEFAULT_LIMIT = 10
MAX_LIMIT = 30
# Every search asks Sinch for this many, whatever the limit: "N more" can then be said, and
# identical searches with different limits share one cache entry.
SEARCH_FETCH_SIZE = MAX_LIMIT
# Longest digit pattern accepted (E.164 numbers have at most 15 digits).
MAX_PATTERN_DIGITS = 15
# Active numbers per page of /numbers active.
ACTIVE_PAGE_SIZE = 20


@dataclass(frozen=True)
class NumberPattern:
    """Digits to match; for START the digits follow the country calling code."""

    digits: str
    kind: SearchPattern
    # The letters typed for a vanity pattern ("PIZZA" for 74992), shown on each number.
    word: str | None = None


# A place search sends one request per area prefix, at most this many in flight.
MAX_PLACE_AREAS = 8


@dataclass(frozen=True)
class PlaceFilter:
    """Where a search looks: national prefixes, each searched with its own Sinch request."""

    text: str  # the words that name it again: "in:austin,tx", "tx", "near:+12065550123"
    label: str  # what to call it in a reply: "Austin, TX", "Texas"
    areas: tuple[str, ...]  # national digits, most prominent (or nearest) first
    # near: numbers of the first areas come first; otherwise the areas are interleaved.
    nearest_first: bool = False
    # What a reply says about how the place was chosen; not part of the search itself.
    skipped: int = field(default=0, compare=False)  # areas of a state left out
    others: tuple[str, ...] = field(default=(), compare=False)  # namesakes, as words to type
    # The place's own prefixes were too many: ``areas`` are their parents, shared with nearby
    # places (Paris: 1), and the reply says so.
    widened: bool = field(default=False, compare=False)

    @property
    def widened_note(self) -> str:
        """What a reply says when ``widened``: the search covers more than the place."""
        return (
            f"{self.label} has more prefixes than one search takes; these wider ones also"
            " cover nearby places"
        )


@dataclass(frozen=True)
class SearchQuery:
    region: str
    type: NumberType = NumberType.LOCAL
    capabilities: tuple[Capability, ...] = ()
    pattern: NumberPattern | None = None
    limit: int = DEFAULT_LIMIT
    place: PlaceFilter | None = None
    # Filters Sinch does not have, applied to what it returns.
    nodocs: bool = False  # hide numbers that need supporting documents
    max_monthly: Decimal | None = None  # monthly price at most this (account currency)
    sort_by_price: bool = False  # cheapest monthly price first
    offset: int = 0  # numbers already shown (Show more); not part of the command text
    # A word about how the command was read ("Georgia means the country…"); not compared.
    note: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class RegionsQuery:
    type: NumberType | None = None


@dataclass(frozen=True)
class ActiveQuery:
    region: str | None = None
    type: NumberType | None = None
    page_token: str | None = None


@dataclass(frozen=True)
class HelpQuery:
    pass


Query = SearchQuery | RegionsQuery | ActiveQuery | HelpQuery
