"""Places people name ("seattle", "US texas", "near:+12065550123") resolved to area prefixes.

The data is phonenumbers' geocoder (English names), read the way bot/phone.py reads it: one
chunk file at a time and only the chunks that hold a calling code's prefixes. The files are
scanned as text with a regular expression instead of being executed, which keeps building the
whole North American index (32 000 prefixes) at 70-165 ms and 11 MB, depending on the load;
an index is built on the first search that needs it and kept for the process's life (README,
Performance; `python -m bench.place_index` measures it).

North American (NANP, +1) names end in ", ST" (state or province): "Austin, TX". Area-code
level entries name the state itself ("Texas", "Washington State"), which is where state names
come from; no other data set is loaded.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache

import phonenumbers

from bot.commands.regions import normalize_name, region_name
from bot.phone import geocoded_prefix, geodata_entries, geodata_names, locality

NANP = "1"
# Postal codes of Canada's provinces and territories; every other NANP ", ST" is a US one.
_CANADA = frozenset({"AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"})
# A state or province searches at most this many area codes, the most prominent first.
MAX_AREAS = 8
# Countries looked in for a place named without a country ("stockholm", "paris"). Only the
# names of a country are read (_name_keys) unless it holds the name; anywhere else, give the
# country: `JP osaka`.
# fmt: off
REGIONLESS_CODES = (
    "1", "44", "46", "49", "33", "353", "61", "64", "47", "45", "358", "31", "32", "34", "39",
    "41", "43", "48", "351",
)
# fmt: on


@dataclass(frozen=True)
class Place:
    """A named place of one region and the national prefixes that cover it."""

    name: str  # as the data writes it: "Austin, TX", "London"
    region: str
    areas: tuple[str, ...]  # national digits, most prominent first: ("512", "737")
    weight: int  # how many geocoded prefixes carry the name: prominence among namesakes
    qualifier: str | None = None  # "TX" for NANP places

    @property
    def in_form(self) -> str:
        """The exact `in:` words that pick this place: ``in:austin,tx``."""
        base = normalize_name(self.name.rsplit(",", 1)[0] if self.qualifier else self.name)
        return f"in:{base},{self.qualifier.lower()}" if self.qualifier else f"in:{base}"


@dataclass(frozen=True)
class Division:
    """A US state or Canadian province and its area codes, most prominent first."""

    name: str  # "Texas"
    code: str  # "TX"
    region: str  # "US"
    areas: tuple[str, ...]


@dataclass(frozen=True)
class PlaceMatch:
    best: Place
    others: tuple[Place, ...]  # other places of the same name, best first


@dataclass(frozen=True)
class _Index:
    # Normalized name without qualifier -> the data's names ("austin" -> "Austin, TX", …).
    names: dict[str, list[str]]
    # Data name -> national prefix -> how many geocoded prefixes under it carry the name.
    weights: dict[str, dict[str, int]]
    region: str | None  # the country, or None for NANP (its places say their state)
    divisions: dict[str, Division]  # normalized name or lower-case postal code -> division

    def places(self, key: str) -> tuple[Place, ...]:
        """The places called ``key``, best first; Place objects are made only when asked for."""
        return _best_first(p for p in map(self._place, self.names.get(key, ())) if p is not None)

    def _place(self, name: str) -> Place | None:
        by_prefix = self.weights[name]
        weight = sum(by_prefix.values())
        if self.region is not None:
            # "20" covers "2079": keep only the shortest prefixes.
            areas: list[str] = []
            for prefix in sorted(by_prefix, key=lambda p: (len(p), p)):
                if not any(prefix.startswith(a) for a in areas):
                    areas.append(prefix)
            return Place(name, self.region, tuple(areas[:MAX_AREAS]), weight)
        ranked = sorted(by_prefix.items(), key=lambda kv: (-kv[1], kv[0]))
        qualifier = name[-2:]
        region = _nanp_region(ranked[0][0], qualifier)
        if region is None or not qualifier.isalpha():
            return None
        areas = [npa for npa, _ in ranked[:MAX_AREAS]]
        return Place(name, region, tuple(areas), weight, qualifier)


def _entries(calling_code: str) -> Iterator[tuple[str, str]]:
    """(national digits, English name) of every geocoded prefix under ``calling_code``."""
    skip = len(calling_code)
    for prefix, name in geodata_entries(calling_code):
        if len(prefix) > skip:
            yield prefix[skip:], name


@cache
def _nanp_leading_digits() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Caribbean and Pacific NANP members are told apart by their area codes (metadata)."""
    found = []
    for region in phonenumbers.region_codes_for_country_code(1):
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(region, None)
        if metadata is not None and metadata.leading_digits:
            found.append((re.compile(metadata.leading_digits), region))
    return tuple(found)


@cache
def _nanp_member(npa: str) -> str | None:
    """The NANP member other than US/CA that owns an area code, if any."""
    for pattern, region in _nanp_leading_digits():
        if pattern.match(npa):
            return region
    return None


def _nanp_region(npa: str, qualifier: str | None) -> str | None:
    member = _nanp_member(npa)
    if member is not None:
        return member
    if qualifier is None:
        return None
    return "CA" if qualifier in _CANADA else "US"


_indexes: dict[str, _Index] = {}


def _index(calling_code: str) -> _Index:
    """One calling code's index, built on first use and kept (a few MB for NANP, less elsewhere)."""
    index = _indexes.get(calling_code)
    if index is None:
        index = _nanp_index() if calling_code == NANP else _plain_index(calling_code)
        _indexes[calling_code] = index
    return index


def _may_name(calling_code: str, key: str) -> bool:
    """Whether a country's data names ``key``, without building its index when not built yet."""
    built = _indexes.get(calling_code)
    if built is not None:
        return key in built.names
    return key in _name_keys(calling_code)


@cache
def _name_keys(calling_code: str) -> frozenset[str]:
    """Every name in a country's data, normalized: the cheap half of an index.

    A regionless search ("stockholm") looks in many countries. Their names are read once, on
    the first such search (about 0.2 s and 2-6 MB for all of them), so every later word is a
    set lookup. Scanning the text for each new word instead cost 140-240 ms of the event loop
    per distinct word, before the ack: a run of typos paid it again and again. The full index
    (prefixes, weights) is built only for a country that holds the name.
    """
    return frozenset(_key(name) for name in geodata_names(calling_code))


def _nanp_index() -> _Index:
    entries = geodata_entries(NANP)
    # Area-code-level names without a state are the states themselves: "Texas".
    state_names = {
        prefix[1:4]: name for prefix, name in entries if len(prefix) == 4 and name[-4:-2] != ", "
    }
    # "Austin, TX" in NPA 512, counted per exchange; Counter counts in C (32 000 entries).
    counts = Counter((name, prefix[1:4]) for prefix, name in entries if name[-4:-2] == ", ")
    weights: dict[str, dict[str, int]] = defaultdict(dict)  # "Austin, TX" -> NPA -> count
    npa_state: dict[str, Counter[str]] = defaultdict(Counter)
    for (name, npa), count in counts.items():
        weights[name][npa] = count
        npa_state[npa][name[-2:]] += count
    names: dict[str, list[str]] = defaultdict(list)
    for name in weights:
        names[_key(name[:-4])].append(name)
    return _Index(
        names=dict(names),
        weights=dict(weights),
        region=None,
        divisions=_nanp_divisions(state_names, npa_state),
    )


def _nanp_divisions(
    state_names: dict[str, str], npa_state: dict[str, Counter[str]]
) -> dict[str, Division]:
    """States and provinces: each area code goes to the state most of its exchanges name."""
    by_code: dict[str, Counter[str]] = defaultdict(Counter)  # state -> NPA -> prominence
    names: dict[str, Counter[str]] = defaultdict(Counter)  # state -> area-level names
    for npa, states in npa_state.items():
        code, count = states.most_common(1)[0]
        by_code[code][npa] = states.total()
        if npa in state_names:
            names[code][state_names[npa]] += count
    divisions: dict[str, Division] = {}
    for code, npas in by_code.items():
        region = _nanp_region(next(iter(npas)), code)
        if region not in ("US", "CA"):
            continue
        areas = tuple(npa for npa, _ in sorted(npas.items(), key=lambda kv: (-kv[1], kv[0])))
        named = names[code].most_common(1)
        # "Nova Scotia/Prince Edward Island" names two provinces; keep the first.
        name = named[0][0].split("/")[0] if named else code
        division = Division(name, code, region, areas)
        divisions.setdefault(code.lower(), division)
        for key in _division_keys(name):
            divisions.setdefault(key, division)
    return divisions


def _division_keys(name: str) -> Iterable[str]:
    key = normalize_name(name)
    yield key
    if key.endswith(" state"):  # "Washington State"
        yield key.removesuffix(" state")
    if key == "washington d c":
        yield "district of columbia"


def _plain_index(calling_code: str) -> _Index:
    region = phonenumbers.region_code_for_country_code(int(calling_code))
    country = normalize_name(region_name(region))
    names: dict[str, list[str]] = {}
    weights: dict[str, dict[str, int]] = defaultdict(dict)
    for national, name in _entries(calling_code):
        key = _key(name)
        if not key or key == country:
            continue
        names.setdefault(key, [name])
        # Namesakes differing only in accents or case are one place: count under the first.
        weights[names[key][0]][national] = 1
    return _Index(names=names, weights=dict(weights), region=region, divisions={})


_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def _key(name: str) -> str:
    """normalize_name, with a fast path for the ASCII names that make up most of the data."""
    if not name.isascii():
        return normalize_name(name)
    words = _NOT_ALNUM.sub(" ", name.lower()).split()
    if words[:1] == ["the"]:
        words = words[1:]
    return " ".join(words)


def _best_first(places: Iterable[Place]) -> tuple[Place, ...]:
    return tuple(sorted(places, key=lambda p: (-p.weight, p.name)))


def calling_code_of(region: str) -> str | None:
    code = phonenumbers.country_code_for_region(region)
    return str(code) if code else None


def find_place(text: str, region: str, qualifier: str | None = None) -> PlaceMatch | None:
    """The place called ``text`` in ``region`` (its namesakes as others); None if there is none."""
    calling_code = calling_code_of(region)
    if calling_code is None:
        return None
    found = [p for p in _index(calling_code).places(normalize_name(text)) if p.region == region]
    if qualifier is not None:
        found = [p for p in found if p.qualifier == qualifier.upper()]
    if not found:
        return None
    return PlaceMatch(best=found[0], others=tuple(found[1:]))


def find_division(text: str, region: str) -> Division | None:
    """The US state or Canadian province named or abbreviated ``text`` within ``region``."""
    if region not in ("US", "CA"):
        return None
    division = _index(NANP).divisions.get(normalize_name(text))
    return division if division is not None and division.region == region else None


@lru_cache(maxsize=512)
def find_anywhere(text: str) -> PlaceMatch | Division | None:
    """A place or state named without a country: the most prominent of its namesakes.

    Prominence across countries is the shortest area prefix (London's 20 over London,
    Ontario's 519), then the most geocoded prefixes.
    """
    key = normalize_name(text)
    if not key:
        return None
    found: list[Place] = []
    for calling_code in REGIONLESS_CODES:
        if calling_code == NANP or _may_name(calling_code, key):
            found += _index(calling_code).places(key)
    if not found:
        division = _index(NANP).divisions.get(key)
        return division if division is not None and len(key) > 2 else None
    ranked = sorted(found, key=lambda p: (min(len(a) for a in p.areas), -p.weight, p.name))
    return PlaceMatch(best=ranked[0], others=tuple(ranked[1:]))


def names_place_elsewhere(text: str) -> Place | Division | None:
    """A US/CA state or place that ``text`` also names (for "Georgia means the country")."""
    key = normalize_name(text)
    if len(key) <= 3:
        return None
    index = _index(NANP)
    division = index.divisions.get(key)
    if division is not None:
        return division
    places = index.places(key)
    return places[0] if places else None


@dataclass(frozen=True)
class Nearby:
    region: str
    areas: tuple[str, ...]  # national prefixes, nearest first
    label: str  # where that is: "Seattle, WA"


def near(e164: str) -> Nearby | None:
    """The area of a number: NANP exchange then area code; elsewhere its longest geocoded prefix."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    country = number.country_code
    if not country or not phonenumbers.is_possible_number(number):
        return None
    national = phonenumbers.national_significant_number(number)
    calling_code = str(country)
    region = phonenumbers.region_code_for_number(number) or (
        phonenumbers.region_code_for_country_code(country)
    )
    if region in (None, "ZZ", "001"):
        return None
    if calling_code == NANP:
        # Same exchange (NPA-NXX) first, then the rest of the area code.
        label = locality(e164) or f"area code {national[:3]}"
        return Nearby(region, (national[:6], national[:3]), label)
    found = geocoded_prefix(calling_code + national)
    if found is None or len(found[0]) <= len(calling_code):
        return None
    prefix, name = found
    return Nearby(region, (prefix[len(calling_code) :],), name)


def index_for(calling_code: str) -> _Index:
    """The place index of one calling code (built on first use)."""
    return _index(calling_code)
