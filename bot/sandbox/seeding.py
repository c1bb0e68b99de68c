"""Seeding the sandbox project with N rented numbers, for summaries and exports at scale.

Deterministic (no randomness): the same N gives the same numbers, names and prices on every
run. Numbers come from the same fictional ranges as the catalog (NANPA's 555-0100..0199 in
many area codes, Ofcom's drama ranges, PTS's and the Bundesnetzagentur's fiction numbers), and
never one the catalog offers for rent. A round-robin over weighted pools spreads them across
regions and types; every 25th has a pending release (``expireAt``), and a few display names
carry commas, quotes and formula-looking text, as real ones do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from typing import Final

from bot.core.domain import Capability, NumberType
from bot.sandbox.catalog import Catalog, Rental

_SV = (Capability.SMS.value, Capability.VOICE.value)
_V = (Capability.VOICE.value,)
_S = (Capability.SMS.value,)

_ROLES = ("Support", "Sales", "Alerts", "Billing", "On-call", "Reception", "Marketing")
# Names a CSV export must quote or neutralise; one of each per 250 numbers.
_AWKWARD_NAMES = ('Billing, "EU" desk', "=SUM(A1:A9)", "Night\nshift")
RELEASING_EVERY: Final = 25


@dataclass(frozen=True)
class _Pool:
    region: str
    type: NumberType
    place: str
    monthly: str
    caps: tuple[tuple[str, ...], ...]
    numbers: Callable[[], Iterator[str]]


def _range(
    prefixes: tuple[str, ...], width: int, first: int, last: int
) -> Callable[[], Iterator[str]]:
    def numbers() -> Iterator[str]:
        for prefix in prefixes:
            for n in range(first, last + 1):
                yield f"{prefix}{n:0{width}d}"

    return numbers


# NANPA area codes shaped NXX, without N11 service codes: 555-0100..0199 is fictional in each.
_NPAS = tuple(
    f"+1{npa}5550" for npa in range(201, 990) if npa % 100 != 11 and (npa // 10) % 10 != 9
)
_GB_GEO = tuple(
    f"+44{p}"
    for p in (
        "1134960", "1144960", "1154960", "1164960", "1174960", "1184960", "1214960",
        "1314960", "1414960", "1514960", "1614960", "1914980", "2079460", "2920180",
    )
)  # fmt: skip

_US_TOLL_FREE = tuple(f"+1{code}5550" for code in (800, 833, 844, 855, 866, 877, 888))
_SE_GEO = ("+468465004", "+463139006", "+464062804", "+469803192")
_DE_GEO = ("+493023125", "+496990009", "+494066969", "+498999998", "+492214710")

# (pool, weight): out of every 20 numbers, how many come from each pool.
_POOLS: Final[tuple[tuple[_Pool, int], ...]] = (
    (_Pool("US", NumberType.LOCAL, "US", "1.00", (_SV, _SV, _V), _range(_NPAS, 3, 100, 199)), 8),
    (_Pool("US", NumberType.TOLL_FREE, "Toll-free", "2.00", (_SV, _V),
           _range(_US_TOLL_FREE, 3, 100, 199)), 1),
    (_Pool("GB", NumberType.LOCAL, "UK", "1.25", (_V, _V, _SV), _range(_GB_GEO, 3, 0, 999)), 4),
    (_Pool("GB", NumberType.MOBILE, "UK mobile", "2.50", (_SV, _S),
           _range(("+447700900",), 3, 0, 999)), 1),
    (_Pool("SE", NumberType.LOCAL, "Sweden", "4.5", (_V,), _range(_SE_GEO, 2, 0, 99)), 1),
    (_Pool("SE", NumberType.MOBILE, "Sweden mobile", "6.00", (_SV, _S),
           _range(("+467017406",), 2, 5, 99)), 1),
    (_Pool("DE", NumberType.LOCAL, "Germany", "1.90", (_V,), _range(_DE_GEO, 3, 0, 999)), 3),
    (_Pool("DE", NumberType.MOBILE, "Germany mobile", "4.00", (_SV,),
           _range(("+4917139200",), 2, 0, 99)), 1),
)  # fmt: skip


def capacity(catalog: Catalog) -> int:
    """The most numbers the pools can seed (every fictional number the catalog does not offer)."""
    offered = {o.phone_number for o in catalog.offers}
    return sum(1 for pool, _ in _POOLS for n in pool.numbers() if n not in offered)


def seeded_rentals(count: int, catalog: Catalog, today: date) -> tuple[Rental, ...]:
    """``count`` rentals spread over the pools by weight (a full pool passes its turn on).

    Charge dates, and so the pending releases' ``expireAt``, are reckoned from ``today``.
    """
    if count < 0:
        raise ValueError("the active count cannot be negative")
    most = capacity(catalog)
    if count > most:
        raise ValueError(f"the sandbox can seed at most {most} numbers")
    offered = {o.phone_number for o in catalog.offers}
    sources = [(pool, (n for n in pool.numbers() if n not in offered)) for pool, _ in _POOLS]
    turns = [index for index, (_, weight) in enumerate(_POOLS) for _ in range(weight)]
    rentals: list[Rental] = []
    exhausted: set[int] = set()
    turn = 0
    while len(rentals) < count:
        if len(exhausted) == len(sources):
            raise ValueError(f"the sandbox can seed at most {len(rentals)} numbers")
        index = turns[turn % len(turns)]
        turn += 1
        if index in exhausted:
            continue
        pool, numbers = sources[index]
        number = next(numbers, None)
        if number is None:
            exhausted.add(index)
            continue
        rentals.append(_rental(len(rentals), pool, number, today))
    return tuple(sorted(rentals, key=lambda r: r.phone_number))


def _rental(seq: int, pool: _Pool, number: str, today: date) -> Rental:
    caps = pool.caps[seq % len(pool.caps)]
    awkward = seq % 250
    if awkward < len(_AWKWARD_NAMES):
        name: str | None = _AWKWARD_NAMES[awkward]
    elif seq % 7 == 6:
        name = None  # Sinch omits displayName when there is none
    else:
        name = f"{pool.place} {_ROLES[seq % len(_ROLES)]} {seq}"
    rental = Rental(
        phone_number=number,
        region_code=pool.region,
        type=pool.type,
        capabilities=caps,
        monthly_price=pool.monthly,
        display_name=name,
        charge_day=1 + (seq * 11) % 28,
        sms_service_plan_id=f"sandbox-plan-{seq % 3}" if Capability.SMS.value in caps else "",
        voice_app_id=f"sandbox-app-{seq % 2}" if Capability.VOICE.value in caps else "",
    )
    if seq % RELEASING_EVERY == RELEASING_EVERY - 1:
        # Released earlier: it goes at its next charge date, as a release on Sinch does.
        rental = replace(rental, expire_at=rental.next_charge_date(today))
    return rental
