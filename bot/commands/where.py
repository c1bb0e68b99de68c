"""The place part of a search: `seattle`, `in:portland,me`, `US texas`, `near:+1206…`, `+1206`.

Pure functions from words to a PlaceFilter (or a CommandError with the nearest valid usage);
the data comes from bot/commands/places.py.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import phonenumbers

from bot.commands import places
from bot.commands.places import CountryOnly, Division, DivisionMatch, Place, PlaceMatch
from bot.commands.regions import display_word, normalize_name, region_name
from bot.core.domain import MAX_PLACE_AREAS, PlaceFilter
from bot.core.errors import CommandError
from bot.core.phone import format_international

COMMAND = "/numbers"
PLACE_USAGE = (
    f"`{COMMAND} seattle`, `{COMMAND} US in:portland,me`, `{COMMAND} US texas`,"
    f" `{COMMAND} GB london` or `{COMMAND} near:+12065550123`"
)


@dataclass(frozen=True)
class PlaceWords:
    """Words naming a place: bare (`san francisco`) or after `in:` with an optional `,ST`."""

    words: tuple[str, ...]  # lower-case
    typed: str  # as typed, for messages
    qualifier: str | None = None  # "me" in `in:portland,me`
    explicit: bool = False  # given with in:


def resolve(region: str | None, given: PlaceWords) -> tuple[str, PlaceFilter | None]:
    """The region and PlaceFilter that ``given`` names, in ``region`` when one was given.

    The whole run is tried first, then its last word or two as a state or province
    (`springfield il`, `london ontario`, `paris, texas`); the place keeps its own country.
    """
    text = " ".join(given.words)
    if given.qualifier is not None:
        found = _find(region, text, given.qualifier)
    else:
        found = _find(region, text, None)
        for size in (1, 2):
            if found is not None or len(given.words) <= size:
                break
            division = places.find_qualifier(" ".join(given.words[-size:]))
            if division is not None:
                found = _find(region, " ".join(given.words[:-size]), division.code)
    if found is not None:
        return found
    raise _not_a_place(region, given)


def continues_place(words: tuple[str, ...], word: str) -> bool:
    """Whether ``word`` (also a region: `il`, `georgia`, `jersey`) belongs to the place before it.

    `springfield il` is Springfield, Illinois, not Springfield in Israel; `new jersey` is the
    state. A word that neither qualifies nor extends a place stays a region (`london uk`).
    """
    try:
        resolve(None, PlaceWords((*words, word), " ".join((*words, word))))
    except CommandError:
        return False
    return (
        places.find_anywhere(" ".join(words)) is None
        or len(word) == 2
        or (places.find_qualifier(word) is not None)
    )


def _find(
    region: str | None, text: str, qualifier: str | None
) -> tuple[str, PlaceFilter | None] | None:
    if region is not None:
        match = places.find_place(text, region, qualifier)
        if match is not None:
            return region, _from_place(match)
        division = places.find_division(text, region) if qualifier is None else None
        return (region, _from_division(division)) if division is not None else None
    found = places.find_anywhere(text)
    if qualifier is not None:
        # `portland me`: among every namesake (a state's towns too), the one in that state.
        if isinstance(found, PlaceMatch):
            namesakes = [found.best, *found.others]
        elif isinstance(found, DivisionMatch):
            namesakes = list(found.others)
        else:
            return None
        chosen = [p for p in namesakes if p.qualifier == qualifier.upper()]
        if not chosen:
            return None
        found = PlaceMatch(best=chosen[0], others=tuple(p for p in namesakes if p is not chosen[0]))
    if isinstance(found, PlaceMatch):
        return found.best.region, _from_place(found)
    if isinstance(found, DivisionMatch):
        return found.division.region, _from_division(found.division, found.others)
    if isinstance(found, CountryOnly):
        return found.region, None
    return None


def _from_place(match: PlaceMatch) -> PlaceFilter:
    best = match.best
    # Namesakes abroad first (one per country: London, Ontario beside London, England), then
    # the rest at home; five at most.
    abroad: dict[str, Place] = {}
    for place in match.others:
        if place.region != best.region:
            abroad.setdefault(place.region, place)
    rest = [p for p in match.others if p not in abroad.values()]
    others = tuple(_typed_form(p) for p in [*abroad.values(), *rest][:5])
    return PlaceFilter(
        text=best.in_form, label=best.name, areas=best.areas, others=others, widened=best.widened
    )


def _typed_form(place: Place) -> str:
    """What to type for a namesake: its country and `in:` form (`US in:austin,mn`)."""
    return f"{place.region} {place.in_form}"


def _from_division(division: Division, towns: tuple[Place, ...] = ()) -> PlaceFilter:
    areas = division.areas[:MAX_PLACE_AREAS]
    return PlaceFilter(
        text=division.code.lower(),
        label=division.name,
        areas=areas,
        skipped=len(division.areas) - len(areas),
        others=tuple(_typed_form(p) for p in towns[:5]),
    )


def _not_a_place(region: str | None, given: PlaceWords) -> CommandError:
    shown = display_word(given.typed)
    if region is None:
        return close_places(given) or CommandError(
            f"`{shown}` is not a region or a place I know.",
            usage=f"Give the country too, e.g. `{COMMAND} GB london`; or {PLACE_USAGE}.",
        )
    where = region_name(region)
    what = "a place" if given.explicit else "a type, filter or place"
    hint = f"`{shown}` is not {what} I know in {where}."
    close = suggest_places(" ".join(given.words), region)
    if close:
        hint += " Did you mean " + ", ".join(f"`{region} {c}`" for c in close) + "?"
    return CommandError(hint, usage=PLACE_USAGE)


def close_places(given: PlaceWords) -> CommandError | None:
    """For words that name nothing here: close prominent places (`seatle`), else the same name
    in a country a search without a country does not look in (`tokyo`: `JP tokyo`)."""
    text = " ".join(given.words)
    shown = display_word(given.typed)
    close = places.suggest_anywhere(text)
    if not close and len(given.words) > 1 and places.find_qualifier(given.words[-1]):
        # `seatle wa`: the typo is in the place, the state is fine.
        close = places.suggest_anywhere(" ".join(given.words[:-1]))
    if close:
        hint = f"`{shown}` is not a place I know. Did you mean"
    else:
        close = places.named_elsewhere(text)
        hint = f"`{shown}` needs its country:"
    if not close:
        return None
    offered = ", ".join(f"`{COMMAND} {s.words}` ({s.label})" for s in close)
    ending = "?" if hint.endswith("mean") else "."
    return CommandError(f"{hint} {offered}{ending}", usage=PLACE_USAGE)


def suggest_places(text: str, region: str) -> list[str]:
    """`in:` forms of places in ``region`` whose names are close to ``text`` (typos)."""
    calling_code = places.calling_code_of(region)
    key = normalize_name(text[:40])
    if calling_code is None or len(key) < 4:
        return []
    index = places.index_for(calling_code)
    close = difflib.get_close_matches(key, index.names, n=3, cutoff=0.85)
    found = []
    for name in close:
        match = places.find_place(name, region)
        if match is not None:
            found.append(match.best.in_form)
    return found


def place_in(region: str, typed: str) -> bool:
    """Whether a second "region" (`US CA`, `US georgia`) is a state or place of ``region``."""
    return (
        places.find_division(typed, region) is not None
        or places.find_place(typed, region) is not None
    )


def country_note(code: str, typed: str) -> str | None:
    """For a country also named by a US/CA state or place: how to get the place instead."""
    if typed.upper() == code or len(normalize_name(typed)) <= 3:
        return None
    other = places.names_place_elsewhere(typed)
    if other is None:
        return None
    shown = display_word(typed)
    return (
        f"`{shown}` means the country {region_name(code)} ({code}); for the place, type"
        f" `{COMMAND} {other.region} {normalize_name(typed)}`."
    )


def near(value: str, region: str | None) -> tuple[str, PlaceFilter]:
    """`near:+12065550123`: the number's exchange, then its area (NANP); else its area."""
    digits = "".join(c for c in value if c.isdigit())
    found = places.near(f"+{digits}") if value.startswith("+") and digits else None
    if found is None and region is not None and digits:
        found = _near_national(digits, region)
    if found is None:
        raise CommandError(
            f"`near:{display_word(value)}` needs a phone number I can place, in international"
            " form.",
            usage=f"`{COMMAND} near:+12065550123`",
        )
    if region is not None and found.region != region:
        raise CommandError(
            f"`near:{display_word(value)}` is a number of {region_name(found.region)}, not"
            f" {region_name(region)}.",
            usage=f"`{COMMAND} near:+12065550123`",
        )
    e164 = f"+{digits}" if value.startswith("+") else value
    label = f"near {format_international(e164)} ({found.label})"
    return found.region, PlaceFilter(
        text=f"near:{e164}", label=label, areas=found.areas, nearest_first=True
    )


def _near_national(digits: str, region: str) -> places.Nearby | None:
    try:
        number = phonenumbers.parse(digits, region)
    except phonenumbers.NumberParseException:
        return None
    return places.near(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def region_for_calling_code(digits: str) -> str | None:
    """The main region of the calling code ``digits`` starts with (`1206` -> US, `4420` -> GB)."""
    for size in (1, 2, 3):
        region = phonenumbers.region_code_for_country_code(int(digits[:size] or 0))
        if region not in ("ZZ", "001"):
            return region
    return None


def without_trunk_prefix(region: str, digits: str) -> str:
    """A prefix as dialled at home (`020`, `08`, US `1206`) without its trunk prefix.

    Stripped only where no national number starts with the trunk digits (per the metadata's
    example numbers): Russia's 8 is also the start of 800 numbers, so there it stays.
    """
    trunk = _trunk_prefix(region)
    if trunk is None or not digits.startswith(trunk) or len(digits) <= len(trunk):
        return digits
    return digits[len(trunk) :]


def _trunk_prefix(region: str) -> str | None:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region, None)
    trunk = metadata.national_prefix if metadata is not None else None
    if not trunk:
        return None
    for number_type in (
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.TOLL_FREE,
        phonenumbers.PhoneNumberType.PREMIUM_RATE,
        phonenumbers.PhoneNumberType.SHARED_COST,
        phonenumbers.PhoneNumberType.VOIP,
        phonenumbers.PhoneNumberType.UAN,
    ):
        example = phonenumbers.example_number_for_type(region, number_type)
        if example is not None and str(example.national_number).startswith(trunk):
            return None
    return str(trunk)
