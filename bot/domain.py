"""Domain vocabulary shared by parsing, the service and the Sinch client: types, queries, limits."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class SearchQuery:
    region: str
    type: NumberType = NumberType.LOCAL
    capabilities: tuple[Capability, ...] = ()
    pattern: NumberPattern | None = None
    limit: int = DEFAULT_LIMIT


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
