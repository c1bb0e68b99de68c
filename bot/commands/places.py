"""Places people name ("seattle", "US texas", "near:+12065550123") resolved to area prefixes.

The data is phonenumbers' geocoder (English names), read the way bot/core/phone.py reads it: one
chunk file at a time and only the chunks that hold a calling code's prefixes. The files are
scanned as text with a regular expression instead of being executed. The bot builds every
country's index at start-up in a child process (bot/commands/place_build.py); until then, or
without it (the CLI), an index is built on the first search that needs it and kept for the
process's life (see docs/performance.md; `python -m bench.place_index` measures both).

North American (NANP, +1) names end in ", ST" (state or province): "Austin, TX". Area-code
level entries name the state itself ("Texas", "Washington State"), which is where state names
come from. Two small data files beside the code fill what the geocoder lacks
(bot/data/nanp_overlays.json: NANPA's overlay codes; bot/data/place_aliases.json: local names
and Denmark, which has no area codes); each names its source and date.

Prominence is numbering capacity: how many numbers the prefixes carrying a name hold (a
NANP exchange 10 000, GB's 0161 ten million). Capacity is what lets Manchester (all of 0161)
beat Manchester, NH (15 exchanges of 603) and Boston, MA (56 exchanges and an overlay) beat
Boston, Lincolnshire (01205), where counting prefixes or preferring short codes could not.
"""

from __future__ import annotations

import bisect
import json
import re
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import phonenumbers

from bot.commands.regions import normalize_name, region_name
from bot.core.phone import (
    geocoded_prefix,
    geodata_entries,
    geodata_names,
    geodata_other_names,
    locality,
)

NANP = "1"
# Postal codes of Canada's provinces and territories; every other NANP ", ST" is a US one.
_CANADA = frozenset({"AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"})
# A state or province searches at most this many area codes, the most prominent first.
MAX_AREAS = 8
# A NANP place's area code counts when it holds at least this share of the place's capacity
# (New York's single exchange in New Jersey's 201 does not); its overlays always count.
_MINOR_AREA = 0.1
# Numbers behind one NANP exchange (NXX-XXXX).
_EXCHANGE = 10_000
# Countries looked in for a place named without a country ("stockholm", "paris"). Only the
# names of a country are read (_name_keys) unless it holds the name; anywhere else, give the
# country: `JP osaka`.
# fmt: off
REGIONLESS_CODES = (
    "1", "44", "46", "49", "33", "353", "61", "64", "47", "45", "358", "31", "32", "34", "39",
    "41", "43", "48", "351",
)
# fmt: on
# Typo suggestions look among this many most prominent names of each regionless country
# (NANP: of all its places): enough for every city people search, small enough to keep the
# suggestion index at a few MB.
_SUGGEST_TOP = {NANP: 1000}
_SUGGEST_TOP_OTHERS = 120
_DATA = Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True)
class Place:
    """A named place of one region and the national prefixes that cover it."""

    name: str  # as the data writes it: "Austin, TX", "London"
    region: str
    areas: tuple[str, ...]  # national digits, most prominent first: ("512", "737")
    weight: int  # numbering capacity of its prefixes: prominence among namesakes
    qualifier: str | None = None  # "TX" for NANP places
    # True when the place's own prefixes were too many to search one by one and ``areas``
    # are their shorter parents, shared with neighbouring places (Sydney: 27, 28, 29).
    widened: bool = False

    @property
    def in_form(self) -> str:
        """The exact `in:` words that pick this place: ``in:austin,tx``."""
        base = normalize_name(self.name.rsplit(",", 1)[0] if self.qualifier else self.name)
        return f"in:{base},{self.qualifier.lower()}" if self.qualifier else f"in:{base}"


@dataclass(frozen=True)
class Division:
    """A US state or Canadian province (or D.C.) and its area codes, most prominent first."""

    name: str  # "Texas"
    code: str  # "TX"
    region: str  # "US"
    areas: tuple[str, ...]


@dataclass(frozen=True)
class PlaceMatch:
    best: Place
    others: tuple[Place, ...]  # other places of the same name, best first


@dataclass(frozen=True)
class DivisionMatch:
    """A state named without a country; same-named towns are offered."""

    division: Division
    others: tuple[Place, ...]


@dataclass(frozen=True)
class CountryOnly:
    """A city of a country without area codes (Copenhagen): the whole country is searched."""

    name: str
    region: str


@dataclass(frozen=True)
class _Index:
    """One calling code's places, packed: every country's together stay under 30 MB.

    A prefix costs about 5 bytes in ``own`` (one string per place) and 8 in ``ordered`` (one
    machine integer), instead of a string object and a dict slot each (70-100 bytes).
    """

    # Normalized name without qualifier -> the data's names, tab-separated ("austin" ->
    # "Austin, TX\tAustin, MN\t…"): one string per key, not a tuple and a string.
    names: dict[str, str]
    # Data name -> its prefixes, space-separated: NANP "512=86 737=1" (NPA=exchanges, an
    # area-code-level entry counting as a thousand); elsewhere "20 1223" (national digits).
    own: dict[str, str]
    region: str | None  # the country, or None for NANP (its places say their state)
    divisions: dict[str, Division]  # normalized name or lower-case postal code -> division
    # Every geocoded national prefix right-padded with zeros to ``width`` digits, sorted: how
    # many entries a shorter prefix holds is a range count (plain indexes only).
    ordered: array[int] = field(default_factory=lambda: array("q"))
    width: int = 0
    length: int = 9  # digits of a national number: a prefix of n digits holds 10**(length-n)
    npa_state: dict[str, str] | None = None  # NANP: the state most exchanges of an NPA name

    def weights(self, name: str) -> dict[str, int]:
        """National prefix -> numbering capacity carrying ``name``."""
        if self.region is None:
            found: dict[str, int] = {}
            for item in self.own[name].split():
                npa, exchanges = item.split("=")
                found[npa] = int(exchanges) * _EXCHANGE
            return found
        return {p: 10 ** max(self.length - len(p), 0) for p in self.own[name].split()}

    def count_under(self, prefix: str) -> int:
        """How many geocoded prefixes start with ``prefix``."""
        low = int(prefix.ljust(self.width, "0"))
        high = low + 10 ** (self.width - len(prefix))
        return bisect.bisect_left(self.ordered, high) - bisect.bisect_left(self.ordered, low)

    def places(self, key: str) -> tuple[Place, ...]:
        """The places called ``key``, best first; Place objects are made only when asked for."""
        found = self.names.get(key)
        if found is None:
            return ()
        return _best_first(p for p in map(self._place, found.split("\t")) if p is not None)

    def _place(self, name: str) -> Place | None:
        by_prefix = self.weights(name)
        weight = sum(by_prefix.values())
        if self.region is not None:
            areas, widened = _plain_areas(by_prefix, self.count_under)
            return Place(name, self.region, areas, weight, widened=widened)
        ranked = sorted(by_prefix.items(), key=lambda kv: (-kv[1], kv[0]))
        qualifier = name[-2:]
        region = _nanp_region(ranked[0][0], qualifier)
        if region is None or not qualifier.isalpha():
            return None
        states = self.npa_state or {}
        main = [
            npa
            for npa, capacity in ranked
            if capacity >= ranked[0][1] * _MINOR_AREA and states.get(npa, qualifier) == qualifier
        ] or [ranked[0][0]]
        # An overlay code counts only with the code it overlays: New York's 934 is Long
        # Island's (631) overlay, named once for the city in the data.
        parents = _overlaid()
        main = [n for n in main if n not in parents or any(p in main for p in parents[n])] or main
        main += [a for a in _aliases().extra_areas.get(name, ()) if a not in main]
        areas = _with_overlays(main)
        # Overlay codes serve the same people: they count towards prominence.
        weight *= 1 + len(_overlays().get(ranked[0][0], ()))
        return Place(name, region, areas[:MAX_AREAS], weight, qualifier)


def _plain_areas(
    by_prefix: dict[str, int], count_under: Callable[[str], int]
) -> tuple[tuple[str, ...], bool]:
    """A place's prefixes to search: its own, each raised to the shortest parent it owns whole.

    Vienna's 12-19 are all of Austria's 1: search 1. When more than MAX_AREAS remain (Paris has
    457), they become the parents that fit, shared with neighbours: searching eight of 457 would
    leave most of the place out without saying so.
    """
    owned = sorted(by_prefix)
    raised: dict[str, int] = {}
    for prefix in owned:
        parent = prefix
        for size in range(1, len(prefix)):
            candidate = prefix[:size]
            mine = sum(1 for p in owned if p.startswith(candidate))
            if count_under(candidate) == mine:
                parent = candidate
                break
        raised[parent] = raised.get(parent, 0) + by_prefix[prefix]
    areas = [p for p in raised if not any(p != q and p.startswith(q) for q in raised)]
    widened = False
    if len(areas) > MAX_AREAS:
        widened = True
        for size in range(max(len(a) for a in areas), 0, -1):
            parents: Counter[str] = Counter()
            for area in areas:
                parents[area[:size]] += raised[area]
            if len(parents) <= MAX_AREAS:
                return tuple(
                    p for p, _ in sorted(parents.items(), key=lambda kv: (-kv[1], kv[0]))
                ), widened
    ranked = sorted(areas, key=lambda a: (-raised[a], len(a), a))
    return tuple(ranked[:MAX_AREAS]), widened


def _with_overlays(npas: list[str]) -> tuple[str, ...]:
    """Each area code followed by the codes that overlay it (NANPA data)."""
    found: list[str] = []
    for npa in npas:
        for code in (npa, *_overlays().get(npa, ())):
            if code not in found:
                found.append(code)
    return tuple(found)


@cache
def _overlays() -> dict[str, tuple[str, ...]]:
    """Geographic NPA -> the NPAs overlaying it, from bot/data/nanp_overlays.json."""
    data: dict[str, Any] = json.loads((_DATA / "nanp_overlays.json").read_text(encoding="utf-8"))
    return {npa: tuple(codes) for npa, codes in data["overlays"].items()}


@cache
def _overlaid() -> dict[str, tuple[str, ...]]:
    """Overlay NPA -> the geographic NPAs it overlays."""
    found: dict[str, list[str]] = defaultdict(list)
    for npa, codes in _overlays().items():
        for code in codes:
            found[code].append(npa)
    return {code: tuple(npas) for code, npas in found.items()}


@dataclass(frozen=True)
class _Aliases:
    names: dict[str, tuple[str, str | None]]  # normalized alias -> (region, data name or None)
    extra_areas: dict[str, tuple[str, ...]]  # data name -> area codes it also covers


@cache
def _aliases() -> _Aliases:
    data: dict[str, Any] = json.loads((_DATA / "place_aliases.json").read_text(encoding="utf-8"))
    return _Aliases(
        names={normalize_name(k): (v[0], v[1]) for k, v in data["names"].items()},
        extra_areas={k: tuple(v) for k, v in data["extra_areas"].items()},
    )


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

    A regionless search ("stockholm") looks in many countries. Their names are read once (on
    start-up, in a thread: warm()), so every later word is a set lookup. Scanning the text for
    each new word instead cost 140-240 ms of the event loop per distinct word, before the ack.
    The full index (prefixes, weights) is built only for a country that holds the name.
    """
    keys = {_key(name) for name in geodata_names(calling_code)}
    keys.update(_key(name) for _, name in geodata_other_names(calling_code))
    keys.update(list(_short_keys(keys)))
    return frozenset(keys)


def _short_keys(keys: Iterable[str]) -> Iterator[str]:
    """ "osaka osaka" (the data's "Osaka, Osaka": city, prefecture) is also "osaka"."""
    for key in keys:
        words = key.split()
        half = len(words) // 2
        if half and len(words) % 2 == 0 and words[:half] == words[half:]:
            yield " ".join(words[:half])


def _nanp_index() -> _Index:
    entries = geodata_entries(NANP)
    # Area-code-level names without a state are the states themselves: "Texas".
    state_names = {
        prefix[1:4]: name for prefix, name in entries if len(prefix) == 4 and name[-4:-2] != ", "
    }
    # "Austin, TX" in NPA 512, counted per exchange; Counter counts in C (32 000 entries).
    counts = Counter((name, prefix) for prefix, name in entries if name[-4:-2] == ", ")
    weights: dict[str, Counter[str]] = defaultdict(Counter)  # "Austin, TX" -> NPA -> exchanges
    npa_state: dict[str, Counter[str]] = defaultdict(Counter)
    for (name, prefix), count in counts.items():
        npa = prefix[1:4]
        # "1212" (all of 212) holds a thousand exchanges' numbers; "1206215" one exchange's.
        weights[name][npa] += count * 10 ** max(7 - len(prefix), 0)
        npa_state[npa][name[-2:]] += count
    names: dict[str, list[str]] = defaultdict(list)
    for name in weights:
        names[_key(name[:-4])].append(name)
    return _Index(
        names={key: "\t".join(found) for key, found in names.items()},
        own={name: " ".join(f"{n}={c}" for n, c in npas.items()) for name, npas in weights.items()},
        region=None,
        divisions=_nanp_divisions(state_names, npa_state),
        npa_state={npa: states.most_common(1)[0][0] for npa, states in npa_state.items()},
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
    # The District of Columbia: the data names all of 202 "Washington D.C." and no exchange.
    capital = Division("Washington, D.C.", "DC", "US", _with_overlays(["202"]))
    for key in ("dc", "washington dc", "washington d c", "district of columbia"):
        divisions.setdefault(key, capital)
    return divisions


def _division_keys(name: str) -> Iterable[str]:
    key = normalize_name(name)
    yield key
    if key.endswith(" state"):  # "Washington State"
        yield key.removesuffix(" state")
    else:  # "new york state", as people tell the state from its city
        yield f"{key} state"
    if key == "newfoundland and labrador":
        yield "newfoundland"


def _plain_index(calling_code: str) -> _Index:
    region = phonenumbers.region_code_for_country_code(int(calling_code))
    country = normalize_name(region_name(region))
    names: dict[str, str] = {}
    own: dict[str, list[str]] = defaultdict(list)
    english: dict[str, str] = {}  # national prefix -> English name, while building
    for national, name in _entries(calling_code):
        english[national] = name
        key = _key(name)
        if not key or key == country:
            continue
        # Namesakes differing only in accents or case are one place: count under the first.
        first = names.setdefault(key, name)
        own[first].append(national)
    for national, other in geodata_other_names(calling_code):  # "München", "Genève"
        known = names.get(_key(english.get(national, "")))
        if known is not None:
            names.setdefault(_key(other), known)
    for short in list(_short_keys(list(names))):
        names.setdefault(short, names[short + " " + short])
    width = max((len(p) for p in english), default=1)
    return _Index(
        names=names,
        own={name: " ".join(prefixes) for name, prefixes in own.items()},
        region=region,
        divisions={},
        ordered=array("q", sorted(int(p.ljust(width, "0")) for p in english)),
        width=width,
        length=_national_length(region),
    )


@cache
def _national_length(region: str) -> int:
    """Digits of a fixed-line national number, for capacities: the longest the plan allows.

    Variable-length plans (Germany: 5 to 15) give their big cities the long numbers (Berlin:
    030 and eight digits); beyond 10 digits are a few odd extensions, so 10 at most.
    """
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region, None)
    fixed_line = metadata.fixed_line if metadata is not None else None
    lengths = list(fixed_line.possible_length) if fixed_line is not None else []
    return min(max(lengths, default=9), 10)


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
    key = normalize_name(text)
    index = _index(calling_code)
    found = [p for k in _spellings(key) for p in index.places(k) if p.region == region]
    if not found:
        found = [p for p in _aliased(key) if isinstance(p, Place) and p.region == region]
    if qualifier is not None:
        found = [p for p in found if p.qualifier == qualifier.upper()]
    if not found:
        return None
    return PlaceMatch(best=found[0], others=tuple(found[1:]))


# Words the data abbreviates and people spell out, or the other way round: "saint louis"
# is St. Louis, MO (not Saint-Louis, France, for want of a match); "ft worth", Fort Worth.
_SPELLINGS = {
    "saint": "st",
    "st": "saint",
    "mount": "mt",
    "mt": "mount",
    "fort": "ft",
    "ft": "fort",
}


def _spellings(key: str) -> tuple[str, ...]:
    first, _, rest = key.partition(" ")
    other = _SPELLINGS.get(first)
    return (key, f"{other} {rest}") if other is not None and rest else (key,)


def _without_umlaut_e(key: str) -> str:
    """ä, ö, ü typed as ae, oe, ue (German and Swedish keyboards without them)."""
    return key.replace("ae", "a").replace("oe", "o").replace("ue", "u")


def _aliased(key: str) -> list[Place | CountryOnly]:
    """Places an alias names (bot/data/place_aliases.json)."""
    alias = _aliases().names.get(key)
    if alias is None:
        return []
    region, name = alias
    if name is None:
        return [CountryOnly(key, region)]
    calling_code = calling_code_of(region)
    if calling_code is None:
        return []
    places = _index(calling_code).places(
        _key(name.rsplit(",", 1)[0] if region in ("US", "CA") else name)
    )
    return [p for p in places if p.name == name]


def find_division(text: str, region: str) -> Division | None:
    """The US state or Canadian province named or abbreviated ``text`` within ``region``."""
    if region not in ("US", "CA"):
        return None
    division = _index(NANP).divisions.get(normalize_name(text))
    return division if division is not None and division.region == region else None


def find_qualifier(text: str) -> Division | None:
    """The state or province ``text`` names or abbreviates ("tx", "ontario"), any region."""
    return _index(NANP).divisions.get(normalize_name(text))


@lru_cache(maxsize=512)
def find_anywhere(text: str) -> PlaceMatch | DivisionMatch | CountryOnly | None:
    """A place or state named without a country: the most prominent of its namesakes.

    A state or province named in full beats same-named towns (Texas, not Texas, Queensland),
    unless a town of that name lies in it (New York). Across countries the most numbering
    capacity wins (module docstring).
    """
    key = normalize_name(text)
    if not key:
        return None
    found: list[Place] = []
    for spelling in _spellings(key):
        for calling_code in REGIONLESS_CODES:
            if calling_code == NANP or _may_name(calling_code, spelling):
                found += _index(calling_code).places(spelling)
    division = _index(NANP).divisions.get(key) if len(key) > 2 else None
    if division is not None and not any(p.qualifier == division.code for p in found):
        return DivisionMatch(division, tuple(_best_first(found)))
    if not found:
        aliased = _aliased(key)
        if aliased and isinstance(aliased[0], CountryOnly):
            return aliased[0]
        found = [p for p in aliased if isinstance(p, Place)]
    if not found:
        plain = _without_umlaut_e(key)  # muenchen, koeln, goeteborg (never quebec)
        return find_anywhere(plain) if plain != key else None
    ranked = _best_first(found)
    return PlaceMatch(best=ranked[0], others=ranked[1:])


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
class Suggestion:
    words: str  # what to type: "seattle"
    label: str  # what it is: "Seattle, WA"


def suggest_anywhere(text: str) -> list[Suggestion]:
    """Prominent places whose names are one typo from ``text`` (seatle, san fransisco)."""
    key = normalize_name(text[:40])
    if len(key) < 4:
        return []
    index = _suggestion_index()
    found: list[str] = []
    for variant in (key, *_deletions(key)):
        for name in index.get(variant, "").split("\t") if variant in index else ():
            if name not in found and name != key:
                found.append(name)
    suggestions = []
    for name in found:
        match = find_anywhere(name)
        if isinstance(match, PlaceMatch):
            suggestions.append((match.best.weight, Suggestion(name, match.best.name)))
        elif isinstance(match, DivisionMatch):
            suggestions.append((10**12, Suggestion(name, match.division.name)))
    suggestions.sort(key=lambda ws: -ws[0])
    # One place reached through several names (Bern, Berne, Berna) is offered once.
    unique: dict[str, Suggestion] = {}
    for _, suggestion in suggestions:
        unique.setdefault(suggestion.label, suggestion)
    return list(unique.values())[:3]


def named_elsewhere(text: str) -> list[Suggestion]:
    """Places called ``text`` in countries a search without a country does not look in.

    Only indexes already built are read (all of them once the start-up build is in): `tokyo`
    gets "`JP tokyo`" instead of a bare "not understood", and nothing is built for a typo.
    """
    key = normalize_name(text[:40])
    found = []
    for calling_code in _elsewhere().get(key, "").split():
        for place in _indexes[calling_code].places(key)[:1]:
            found.append((place.weight, Suggestion(f"{place.region} {key}", place.name)))
    found.sort(key=lambda ws: -ws[0])
    return [s for _, s in found[:3]]


_elsewhere_cache: dict[int, dict[str, str]] = {}


def _elsewhere() -> dict[str, str]:
    """Name -> the calling codes outside REGIONLESS_CODES whose built indexes hold it.

    One lookup instead of one per country (200 of them once all are built: 0.2 ms a word).
    Rebuilt when more indexes are built; the keys are the indexes' own strings.
    """
    built = len(_indexes)
    cached = _elsewhere_cache.get(built)
    if cached is None:
        codes: dict[str, list[str]] = defaultdict(list)
        for calling_code, index in list(_indexes.items()):
            if calling_code not in REGIONLESS_CODES:
                for key in index.names:
                    codes[key].append(calling_code)
        cached = {key: " ".join(found) for key, found in codes.items()}
        _elsewhere_cache.clear()
        _elsewhere_cache[built] = cached
    return cached


def _deletions(key: str) -> Iterator[str]:
    for i in range(len(key)):
        yield key[:i] + key[i + 1 :]


# A variant -> the name it comes from; several names, tab-separated (one string per entry
# keeps the index at a few MB).
_suggestions: dict[str, str] = {}
# False while a start-up build (place_build.Warmup) is bringing the typo index: building it
# here too would read every listed country on the event loop, seconds before the ack.
_build_suggestions_here = [True]


def suggestions_come_later(later: bool = True) -> None:
    """Typo suggestions wait for the start-up build (``later``) or are built on first use."""
    _build_suggestions_here[0] = not later


def _suggestion_index() -> dict[str, str]:
    """One-deletion variants of the most prominent names: a typo is a dictionary lookup.

    difflib over every name costs tens of milliseconds per word; a deletion, insertion,
    substitution or swap of one letter leaves a variant in common with the name, found in
    microseconds. Built with the indexes (bot/commands/place_build.py) or on first use.
    """
    if not _suggestions and _build_suggestions_here[0]:
        _suggestions.update(_build_suggestions())
    return _suggestions


def _build_suggestions() -> dict[str, str]:
    index: dict[str, list[str]] = defaultdict(list)
    keys: set[str] = set()
    for calling_code in REGIONLESS_CODES:
        built = _index(calling_code)
        top = _SUGGEST_TOP.get(calling_code, _SUGGEST_TOP_OTHERS)
        weight = {
            key: max(sum(built.weights(n).values()) for n in names.split("\t"))
            for key, names in built.names.items()
        }
        keys.update(sorted(weight, key=lambda k: -weight[k])[:top])
        keys.update(k for k in built.divisions if len(k) > 3)
    for key in keys:
        for variant in (key, *_deletions(key)):
            index[variant].append(key)
    return {variant: "\t".join(names) for variant, names in index.items()}


def export_indexes() -> dict[str, Any]:
    """What bot/commands/place_build.py hands over: every built index, the typo index."""
    return {"indexes": dict(_indexes), "suggestions": _suggestion_index()}


def install_indexes(data: dict[str, Any]) -> None:
    """Take indexes built elsewhere (a child process); later searches only look up."""
    _indexes.update(data["indexes"])
    if not _suggestions and data["suggestions"]:
        _suggestions.update(data["suggestions"])
    find_anywhere.cache_clear()
    if not data["indexes"]:  # the last step of a start-up build: index the names now
        _elsewhere()


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
