"""The sandbox's fictional numbers: what is for rent, what the sandbox project rents, where.

Every number comes from a range that regulators reserve for drama and documentation, so none
can ever ring a real person:

- US and Canada: NPA 555-0100..0199 (NANPA's fictional block), local and toll-free.
- GB: Ofcom's drama ranges, e.g. 020 7946 0xxx (London), 07700 900xxx (mobile).
- SE: PTS's ranges for fiction, e.g. 08-46 500 4xx (Stockholm), 070-174 06 05..99 (mobile).
- DE: Bundesnetzagentur's "Drama Numbers" (Mitteilung 148/2021), e.g. 030 23125 xxx (Berlin);
  the mobile block 0171 39200 xx is taken from that list.

The data is built without randomness: the same numbers, prices and names on every run. All
prices are in the account currency, USD, as Sinch bills in the account's currency whatever the
number's country.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bot.core.domain import Capability, NumberType

CURRENCY = "USD"

_SV = (Capability.SMS.value, Capability.VOICE.value)
_V = (Capability.VOICE.value,)
_S = (Capability.SMS.value,)

# availableRegions lists types in this order, as Sinch's examples do.
_TYPE_ORDER = (NumberType.MOBILE, NumberType.LOCAL, NumberType.TOLL_FREE)

REGION_NAMES: dict[str, str] = {
    "CA": "Canada",
    "DE": "Germany",
    "GB": "United Kingdom",
    "SE": "Sweden",
    "US": "United States",
}

_ROLES = ("Support", "Sales", "Alerts", "Billing", "On-call", "Reception")


@dataclass(frozen=True)
class Offer:
    """A number that is available to rent."""

    phone_number: str
    region_code: str
    type: NumberType
    capabilities: tuple[str, ...]
    setup_price: str
    monthly_price: str
    documentation_required: bool

    def to_wire(self) -> dict[str, object]:
        return {
            "phoneNumber": self.phone_number,
            "regionCode": self.region_code,
            "type": self.type.value,
            "capability": list(self.capabilities),
            "setupPrice": {"currencyCode": CURRENCY, "amount": self.setup_price},
            "monthlyPrice": {"currencyCode": CURRENCY, "amount": self.monthly_price},
            "paymentIntervalMonths": 1,
            "supportingDocumentationRequired": self.documentation_required,
        }


@dataclass(frozen=True)
class Rental:
    """A number the sandbox project already rents."""

    phone_number: str
    region_code: str
    type: NumberType
    capabilities: tuple[str, ...]
    monthly_price: str
    display_name: str | None
    charge_day: int  # day of the month the rent is charged, 1..28
    # A pending release (set by releases, bot.sandbox.rentals, or by seeding): the number
    # stays active until this day, its next charge date when it was released.
    expire_at: date | None = None
    sms_service_plan_id: str = ""
    voice_app_id: str = ""
    callback_url: str = ""

    def next_charge_date(self, today: date) -> date:
        this_month = today.replace(day=self.charge_day)
        if this_month > today:
            return this_month
        next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=self.charge_day)
        return next_month

    def to_wire(self, project_id: str, today: date) -> dict[str, object]:
        charge = self.next_charge_date(today)
        wire: dict[str, object] = {
            "phoneNumber": self.phone_number,
            "projectId": project_id,
            "regionCode": self.region_code,
            "type": self.type.value,
            "capability": list(self.capabilities),
            "money": {"currencyCode": CURRENCY, "amount": self.monthly_price},
            "paymentIntervalMonths": 1,
            # RFC 3339 with microseconds, as Sinch writes it.
            "nextChargeDate": f"{charge.isoformat()}T09:00:00.000000Z",
            "callbackUrl": self.callback_url,
        }
        if self.expire_at is not None:
            wire["expireAt"] = f"{self.expire_at.isoformat()}T09:00:00.000000Z"
        # Sinch omits null fields, so a number without a name has no displayName key.
        if self.display_name is not None:
            wire["displayName"] = self.display_name
        if Capability.SMS.value in self.capabilities:
            wire["smsConfiguration"] = {
                "servicePlanId": self.sms_service_plan_id,
                "campaignId": "",
            }
        if Capability.VOICE.value in self.capabilities:
            wire["voiceConfiguration"] = {"type": "RTC", "appId": self.voice_app_id}
        return wire


@dataclass(frozen=True)
class Region:
    region_code: str
    region_name: str
    types: tuple[NumberType, ...]

    def to_wire(self) -> dict[str, object]:
        return {
            "regionCode": self.region_code,
            "regionName": self.region_name,
            "types": [t.value for t in self.types],
        }


@dataclass(frozen=True)
class _Block:
    """A reserved range: ``prefix`` followed by ``width`` digits from ``first`` to ``last``."""

    region: str
    type: NumberType
    place: str
    prefix: str
    width: int
    first: int
    last: int
    available: int
    rented: int
    setup: str
    monthly: str
    docs: bool
    caps: tuple[tuple[str, ...], ...]

    def offer(self, number: str, index: int) -> Offer:
        """``number`` for rent at this block's prices; capabilities cycle with ``index``."""
        return Offer(
            phone_number=number,
            region_code=self.region,
            type=self.type,
            capabilities=self.caps[index % len(self.caps)],
            setup_price=self.setup,
            monthly_price=self.monthly,
            documentation_required=self.docs,
        )

    def numbers(self) -> list[str]:
        """Every number of the block, in a fixed scattered order (not consecutive)."""
        size = self.last - self.first + 1
        stride = _coprime_stride(size)
        offset = size // 3
        return [
            f"{self.prefix}{self.first + (k * stride + offset) % size:0{self.width}d}"
            for k in range(size)
        ]


def _coprime_stride(size: int) -> int:
    # A stride coprime with the size visits every number once: a permutation without a RNG.
    stride = 37
    while _gcd(stride, size) != 1:
        stride += 2
    return stride


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


_BLOCKS: tuple[_Block, ...] = (
    # United States: NPA 555-01XX in five area codes, plus toll-free 800/888.
    _Block("US", NumberType.LOCAL, "Seattle", "+12065550", 3, 100, 199, 36, 8,
           "1.00", "1.00", False, (_SV, _SV, _V)),
    _Block("US", NumberType.LOCAL, "New York", "+12125550", 3, 100, 199, 24, 5,
           "1.00", "1.50", False, (_SV, _V, _SV)),
    _Block("US", NumberType.LOCAL, "Chicago", "+13125550", 3, 100, 199, 12, 3,
           "1.00", "1.00", False, (_SV, _SV, _SV, _V)),
    _Block("US", NumberType.LOCAL, "San Francisco", "+14155550", 3, 100, 199, 18, 3,
           "1.00", "1.25", False, (_SV, _V)),
    _Block("US", NumberType.LOCAL, "Austin", "+15125550", 3, 100, 199, 8, 1,
           "0.80", "0.8", False, (_SV,)),
    # Issue 11: an area for each place the README names. Boston, Portland (OR), Maine and the
    # Texas codes are for rent only (the project rents none there); Houston needs documents.
    _Block("US", NumberType.LOCAL, "New York", "+16465550", 3, 100, 199, 12, 0,
           "1.00", "1.50", False, (_SV, _V)),
    _Block("US", NumberType.LOCAL, "Boston", "+16175550", 3, 100, 199, 10, 0,
           "1.00", "1.25", False, (_SV,)),
    _Block("US", NumberType.LOCAL, "Portland", "+15035550", 3, 100, 199, 10, 0,
           "1.00", "1.00", False, (_SV, _V)),
    _Block("US", NumberType.LOCAL, "Portland", "+12075550", 3, 100, 199, 6, 0,
           "1.00", "1.00", False, (_SV,)),
    _Block("US", NumberType.LOCAL, "Dallas", "+12145550", 3, 100, 199, 10, 0,
           "1.00", "1.10", False, (_SV, _V)),
    _Block("US", NumberType.LOCAL, "Houston", "+17135550", 3, 100, 199, 10, 0,
           "1.00", "0.90", True, (_SV,)),
    # Canada shares NANP's fictional 555-01XX block: Toronto, for `/numbers CA ontario`.
    _Block("CA", NumberType.LOCAL, "Toronto", "+14165550", 3, 100, 199, 30, 0,
           "1.00", "1.20", False, (_SV, _V)),
    # Numbers ending in 00, which the scattered picks above happen to miss (`ends:00`).
    _Block("US", NumberType.LOCAL, "Seattle", "+12065550", 3, 100, 100, 1, 0,
           "1.00", "1.00", False, (_SV,)),
    _Block("US", NumberType.LOCAL, "Austin", "+15125550", 3, 100, 100, 1, 0,
           "0.80", "0.8", False, (_SV,)),
    _Block("GB", NumberType.MOBILE, "Mobile", "+447700900", 3, 900, 900, 1, 0,
           "0.00", "2.50", False, (_SV,)),
    _Block("GB", NumberType.MOBILE, "Mobile", "+447700900", 3, 100, 100, 1, 0,
           "0.00", "2.50", False, (_SV,)),
    _Block("US", NumberType.TOLL_FREE, "Toll-free", "+18005550", 3, 100, 199, 20, 4,
           "2.00", "2.00", False, (_SV, _V)),
    _Block("US", NumberType.TOLL_FREE, "Toll-free", "+18885550", 3, 100, 199, 16, 2,
           "2.00", "2.00", False, (_V, _SV)),
    # United Kingdom: Ofcom drama ranges. Geographic numbers are mostly voice-only.
    _Block("GB", NumberType.LOCAL, "London", "+442079460", 3, 0, 999, 16, 3,
           "0.00", "1.25", True, (_V, _V, _SV)),
    _Block("GB", NumberType.LOCAL, "Manchester", "+441614960", 3, 0, 999, 8, 1,
           "0.00", "1.25", True, (_V,)),
    _Block("GB", NumberType.LOCAL, "Leeds", "+441134960", 3, 0, 999, 6, 1,
           "0.00", "1.25", True, (_V,)),
    _Block("GB", NumberType.LOCAL, "Bristol", "+441174960", 3, 0, 999, 6, 1,
           "0.00", "1.25", True, (_V, _SV)),
    _Block("GB", NumberType.LOCAL, "Birmingham", "+441214960", 3, 0, 999, 6, 0,
           "0.00", "1.25", True, (_V,)),
    _Block("GB", NumberType.MOBILE, "Mobile", "+447700900", 3, 0, 999, 40, 5,
           "0.00", "2.50", False, (_SV, _SV, _S)),
    # Sweden: PTS ranges for fiction.
    _Block("SE", NumberType.LOCAL, "Stockholm", "+468465004", 2, 0, 99, 14, 0,
           "5.00", "4.5", True, (_V,)),
    _Block("SE", NumberType.LOCAL, "Gothenburg", "+463139006", 2, 0, 99, 10, 0,
           "5.00", "4.5", True, (_V,)),
    _Block("SE", NumberType.LOCAL, "Malmö", "+464062804", 2, 0, 99, 8, 0,
           "5.00", "4.5", True, (_V,)),
    _Block("SE", NumberType.LOCAL, "Kiruna", "+469803192", 2, 0, 99, 6, 0,
           "5.00", "4.5", True, (_V,)),
    _Block("SE", NumberType.MOBILE, "Mobile", "+467017406", 2, 5, 99, 32, 4,
           "5.00", "6.00", False, (_SV, _S)),
    # Germany: Bundesnetzagentur drama numbers. German rentals need proof of address.
    _Block("DE", NumberType.LOCAL, "Berlin", "+493023125", 3, 0, 999, 12, 2,
           "2.00", "1.90", True, (_V,)),
    _Block("DE", NumberType.LOCAL, "Frankfurt am Main", "+496990009", 3, 0, 999, 8, 1,
           "2.00", "1.90", True, (_V,)),
    _Block("DE", NumberType.LOCAL, "Hamburg", "+494066969", 3, 0, 999, 8, 1,
           "2.00", "1.90", True, (_V,)),
    _Block("DE", NumberType.LOCAL, "Munich", "+498999998", 3, 0, 999, 8, 0,
           "2.00", "1.90", True, (_V,)),
    _Block("DE", NumberType.LOCAL, "Cologne", "+492214710", 3, 0, 999, 6, 0,
           "2.00", "1.90", True, (_V,)),
    _Block("DE", NumberType.MOBILE, "Mobile", "+4917139200", 2, 0, 99, 32, 0,
           "10.00", "4.00", True, (_SV,)),
)  # fmt: skip


@dataclass(frozen=True)
class Catalog:
    offers: tuple[Offer, ...]
    rentals: tuple[Rental, ...]
    regions: tuple[Region, ...]

    def offers_for(self, region_code: str, number_type: NumberType) -> list[Offer]:
        return [o for o in self.offers if o.region_code == region_code and o.type == number_type]


def build_catalog(blocks: Sequence[_Block] = _BLOCKS) -> Catalog:
    """Split every block into numbers for rent and numbers already rented (never both)."""
    offers: list[Offer] = []
    rentals: list[Rental] = []
    for block in blocks:
        numbers = block.numbers()
        for_rent = sorted(numbers[: block.available])
        rented = sorted(numbers[block.available : block.available + block.rented])
        offers.extend(block.offer(number, i) for i, number in enumerate(for_rent))
        for i, number in enumerate(rented):
            seq = len(rentals)
            rentals.append(
                Rental(
                    phone_number=number,
                    region_code=block.region,
                    type=block.type,
                    capabilities=block.caps[i % len(block.caps)],
                    monthly_price=block.monthly,
                    # Every seventh rental is unnamed: Sinch omits displayName then.
                    display_name=None
                    if seq % 7 == 6
                    else f"{block.place} {_ROLES[seq % len(_ROLES)]}",
                    charge_day=1 + (seq * 11) % 28,
                )
            )
    types_by_region: dict[str, set[NumberType]] = {}
    for block in blocks:
        types_by_region.setdefault(block.region, set()).add(block.type)
    regions = tuple(
        Region(code, REGION_NAMES[code], tuple(t for t in _TYPE_ORDER if t in types))
        for code, types in sorted(types_by_region.items())
    )
    return Catalog(
        offers=tuple(sorted(offers, key=lambda o: o.phone_number)),
        rentals=tuple(sorted(rentals, key=lambda r: r.phone_number)),
        regions=regions,
    )


CATALOG = build_catalog()


# New stock (`POST /_sandbox/available`, `numbers-bot sandbox --new-number-every N`) comes from
# here by default: Seattle, the README's watch example.
NEW_STOCK_PREFIX = "+1206"


def fresh_offer(catalog: Catalog, prefix: str = NEW_STOCK_PREFIX) -> Offer | None:
    """A number of the fictional ranges starting with ``prefix`` that is neither for rent nor
    rented, priced like its range; None when every such number is taken."""
    taken = {o.phone_number for o in catalog.offers} | {r.phone_number for r in catalog.rentals}
    for block in _BLOCKS:
        for index, number in enumerate(block.numbers()):
            if number.startswith(prefix) and number not in taken:
                return block.offer(number, index)
    return None
