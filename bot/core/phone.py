"""Phone-number display: readable international/national forms and offline locality names."""

from __future__ import annotations

import bisect
import contextlib
import importlib.util
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import phonenumbers
import pycountry
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat


def _parse(e164: str) -> PhoneNumber | None:
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return None
    return number if phonenumbers.is_possible_number(number) else None


@lru_cache(maxsize=4096)  # pure, and each shown number is formatted on every reply
def format_international(e164: str) -> str:
    """``+12065550100`` -> ``+1 206-555-0100``; the input unchanged when it is not a number."""
    number = _parse(e164)
    if number is None:
        return e164
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


@lru_cache(maxsize=4096)  # pure, and each shown number is formatted on every reply
def format_national(e164: str) -> str:
    """``+12065550100`` -> ``(206) 555-0100``; the input unchanged when it is not a number."""
    number = _parse(e164)
    if number is None:
        return e164
    return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)


@lru_cache(maxsize=4096)  # pure, and each shown number is formatted on every reply
def locality(e164: str) -> str | None:
    """The place a number belongs to ("London", "Washington State"), from offline data.

    None when phonenumbers knows only the country (mobile and toll-free numbers, mostly),
    or nothing at all.
    """
    number = _parse(e164)
    if number is None:
        return None
    region = phonenumbers.region_code_for_number(number)
    if region is None:
        return None
    # As phonenumbers' geocoder does for a number of the caller's own region: a mobile token
    # (Argentina's 9) is not part of the geographic prefix.
    national = phonenumbers.national_significant_number(number)
    token = phonenumbers.country_mobile_token(number.country_code or 0)
    if token and national.startswith(token):
        with contextlib.suppress(NumberParseException):
            number = phonenumbers.parse(national[len(token) :], region)
    place = _area_name(phonenumbers.format_number(number, PhoneNumberFormat.E164)[1:])
    # Some prefixes are described by the country's name, which says nothing new here.
    if not place or place in _country_names(region):
        return None
    return place


def _area_name(digits: str) -> str | None:
    """English name of the longest geocoded prefix of ``digits`` (country code first)."""
    data = _geodata()
    for length in range(min(data.longest_prefix, len(digits)), 0, -1):
        name = data.english_name(digits[:length])
        if name is not None:
            return name
    return None


@lru_cache(maxsize=256)
def _country_names(region: str) -> frozenset[str]:
    country = pycountry.countries.get(alpha_2=region)
    if country is None:
        return frozenset()
    names = (getattr(country, attr, None) for attr in ("name", "common_name", "official_name"))
    return frozenset(name for name in names if name)


class _Geodata:
    """phonenumbers' geocoding data, English names only, loaded one chunk at a time.

    ``from phonenumbers import geocoder`` loads every prefix in every language at once: about
    100 MB of memory and a quarter of a second at start-up, for a bot that shows a handful of
    numbers from a few countries. The data ships as modules ``geodata/dataN.py``, each a dict
    literal whose keys are sorted, so the first key of each file says which one holds a prefix.
    """

    def __init__(self, files: list[Path], first_keys: list[str], longest_prefix: int) -> None:
        self._files = files
        self._first_keys = first_keys
        self.longest_prefix = longest_prefix
        self._chunks: dict[int, dict[str, str]] = {}

    @classmethod
    def discover(cls) -> _Geodata | None:
        """Index the installed data files; None if their layout is not the one expected."""
        directory = Path(phonenumbers.__file__).parent / "geodata"
        try:
            header = (directory / "__init__.py").read_text(encoding="utf-8")
            longest = re.search(r"^GEOCODE_LONGEST_PREFIX = (\d+)$", header, re.MULTILINE)
            files = sorted(directory.glob("data*.py"), key=lambda f: int(f.stem[4:]))
            first_keys = []
            for file in files:
                with file.open(encoding="utf-8") as handle:
                    head = handle.read(8192)
                key = re.search(r"^ '(\d+)':", head, re.MULTILINE)
                if key is None:
                    return None
                first_keys.append(key.group(1))
        except (OSError, ValueError):
            return None
        if longest is None or not files or first_keys != sorted(first_keys):
            return None
        return cls(files, first_keys, int(longest.group(1)))

    def english_name(self, prefix: str) -> str | None:
        index = bisect.bisect_right(self._first_keys, prefix) - 1
        if index < 0:
            return None
        chunk = self._chunks.get(index)
        if chunk is None:
            try:
                chunk = self._load(self._files[index])
            except (OSError, ValueError, SyntaxError, ImportError, AttributeError):
                chunk = {}  # a damaged file costs its places, not the reply
            self._chunks[index] = chunk
        return chunk.get(prefix)

    def files_for(self, calling_code: str) -> list[Path]:
        """The chunk files that can hold prefixes starting with ``calling_code``."""
        first = max(0, bisect.bisect_right(self._first_keys, calling_code) - 1)
        # Keys sort as strings: every key starting with "46" sorts before "46" + "\x7f".
        last = bisect.bisect_left(self._first_keys, calling_code + "\x7f")
        return self._files[first:last]

    @staticmethod
    def _load(file: Path) -> dict[str, str]:
        # Executed on its own (not put in sys.modules), so the package's __init__, which
        # imports every chunk, never runs; the dotted name lets `from ..util import u` resolve.
        name = f"phonenumbers.geodata._numbers_bot_{file.stem}"
        spec = importlib.util.spec_from_file_location(name, file)
        if spec is None or spec.loader is None:
            raise ValueError(f"cannot load {file.name}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        data: dict[str, dict[str, str]] = module.data
        return {prefix: names["en"] for prefix, names in data.items() if "en" in names}


class _FullGeocoder:
    """Fallback when the data layout is unknown: phonenumbers' own (memory-hungry) tables."""

    def __init__(self) -> None:
        from phonenumbers.geodata import GEOCODE_DATA, GEOCODE_LONGEST_PREFIX

        self._data: dict[str, dict[str, str]] = GEOCODE_DATA
        self.longest_prefix: int = GEOCODE_LONGEST_PREFIX

    def english_name(self, prefix: str) -> str | None:
        names = self._data.get(prefix)
        return None if names is None else names.get("en")


@lru_cache(maxsize=1)
def _geodata() -> _Geodata | _FullGeocoder:
    return _Geodata.discover() or _FullGeocoder()


def national_prefix(region: str) -> str | None:
    """The trunk prefix dialled before national numbers (GB "0", US "1"), when there is one."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region.upper(), None)
    prefix = metadata.national_prefix if metadata is not None else None
    return str(prefix) if prefix else None


# --- whole-country reads, for place search (bot/commands/places.py) ----------------------

# One line of a data chunk: ` '1206215':{'en': 'Seattle, WA'},` (the common shape, matched
# first) or ` '4989':{'de': u('M\u00fcnchen'), 'en': 'Munich'},`.
_ENTRY = re.compile(
    r"""^ '(\d+)':\{(?:'en': '([^'\\\n]*)'\}|[^\n]*?'en': (?:u\()?"""
    r"""(?:'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)"))""",
    re.MULTILINE,
)
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|x[0-9a-fA-F]{2}|\\|'|\")")


def geodata_entries(calling_code: str) -> list[tuple[str, str]]:
    """Every (prefix, English name) under a calling code, read as text chunk by chunk.

    Unlike ``english_name`` this does not execute the chunks: a country's index needs each of
    its prefixes once, and a regular expression over the file text does that in a fraction of
    the time and memory. The chunk file stays unreferenced once read.
    """
    data = _geodata()
    if isinstance(data, _FullGeocoder):
        return sorted(
            (prefix, names["en"])
            for prefix, names in data._data.items()
            if prefix.startswith(calling_code) and "en" in names
        )
    found: list[tuple[str, str]] = []
    for text in geodata_texts(calling_code):
        found += [
            (prefix, plain or _unescaped(single or double))
            for prefix, plain, single, double in _ENTRY.findall(text)
            if prefix.startswith(calling_code)
        ]
    return found


def geodata_names(calling_code: str) -> set[str]:
    """The distinct English names under a calling code: the entries' names without prefixes."""
    line = re.compile(
        rf"""^ '{re.escape(calling_code)}\d*':\{{(?:'en': '([^'\\\n]*)'\}}|[^\n]*?'en': (?:u\()?"""
        r"""(?:'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)"))""",
        re.MULTILINE,
    )
    names: set[str] = set()
    for text in geodata_texts(calling_code):
        for plain, single, double in line.findall(text):
            names.add(plain or _unescaped(single or double))
    return names


def geodata_texts(calling_code: str) -> Iterator[str]:
    """The text of each data chunk that may hold prefixes of ``calling_code``, one at a time."""
    data = _geodata()
    if isinstance(data, _FullGeocoder):
        return
    for file in data.files_for(calling_code):
        try:
            yield file.read_text(encoding="utf-8")
        except (OSError, ValueError):
            continue  # a damaged file costs its places, not the search


def _unescaped(name: str) -> str:
    # `'Coeur d\'Alene, ID'`, `u('Malm\u00f6')`: Python string escapes in the data files.
    return _ESCAPE.sub(_unescape, name) if "\\" in name else name


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1)
    return chr(int(code[1:], 16)) if code[0] in "uUx" else code


def geocoded_prefix(digits: str) -> tuple[str, str] | None:
    """The longest geocoded prefix of ``digits`` (country code first) and its English name."""
    data = _geodata()
    for length in range(min(data.longest_prefix, len(digits)), 0, -1):
        name = data.english_name(digits[:length])
        if name is not None:
            return digits[:length], name
    return None


# A data line naming a prefix in more than one language: ` '4989':{'de': u('M\u00fcnchen'), …`.
_MULTILINGUAL = re.compile(
    r"^ '(\d+)':\{([^\n]*'[a-z_A-Z]+': [^\n]*'[a-z_A-Z]+': [^\n]*)\},$", re.M
)
_NAME = re.compile(r"""'([a-zA-Z_]+)': (?:u\()?(?:'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)")""")


def geodata_other_names(calling_code: str) -> list[tuple[str, str]]:
    """(national digits, name) for each non-English name of a prefix under ``calling_code``.

    phonenumbers names some prefixes in the local languages too ("München", "Genève", "Wien"):
    the names people there type. Names equal to the English one are left out.
    """
    found: list[tuple[str, str]] = []
    skip = len(calling_code)
    for text in geodata_texts(calling_code):
        for prefix, names in _MULTILINGUAL.findall(text):
            if not prefix.startswith(calling_code) or len(prefix) <= skip:
                continue
            parsed = {lang: _unescaped(a or b) for lang, a, b in _NAME.findall(names)}
            english = parsed.pop("en", None)
            found += [(prefix[skip:], n) for n in parsed.values() if n != english]
    return found
