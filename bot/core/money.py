"""Prices as people read them: ISO 4217 minor units per currency (Babel), one rule everywhere.

"USD 4.50" beside "USD 5.00", never "4.5"; "JPY 100"; finer amounts keep their digits
("USD 0.0035"). Sinch may send a code that is not ISO 4217 ("DOLLAR"): it is shown as sent,
with two decimals.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import get_currency_precision
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

# The bot's JSON writes prices as Sinch does (camelCase keys), so the one Money model carries
# those aliases; the Sinch wire models import it from here.
_CONFIG = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)


class Money(BaseModel):
    """An amount in a currency, exact: what a number costs to set up or per month."""

    model_config = _CONFIG

    # Sinch sends amounts as strings ("0.80", "0.8"); Decimal keeps them exact.
    currency_code: str
    amount: Decimal


def format_amount(amount: Decimal, currency: str) -> str:
    """``4.5`` USD -> ``4.50``; ``100`` JPY -> ``100``; ``0.0035`` stays; no grouping.

    Only the number of decimals comes from Babel; formatting a Decimal is then one f-string.
    (Babel's format_currency parses its locale and pattern on every call: with two prices per
    number it doubled the bot's CPU per search reply.)
    """
    if not amount.is_finite():
        return str(amount)
    exponent = amount.normalize().as_tuple().exponent
    finer = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    # Never rounded: an amount with more digits than the currency's keeps them.
    return f"{amount:.{max(_minor_units(currency), finer)}f}"


def format_total(amount: Decimal, currency: str) -> str:
    """A sum of prices, ``12,345.60``: rounded to the currency's minor units and grouped."""
    if not amount.is_finite():
        return str(amount)
    try:
        step = Decimal(1).scaleb(-_minor_units(currency))
        return f"{amount.quantize(step, rounding=ROUND_HALF_UP):,}"
    except InvalidOperation:  # more digits than the context holds
        return str(amount)


@lru_cache(maxsize=256)
def _minor_units(currency: str) -> int:
    # ISO 4217 minor units (JPY 0, USD 2, KWD 3); Babel answers 2 for codes it lacks ("DOLLAR").
    return int(get_currency_precision(currency.strip().upper() or "XXX"))


def format_money(money: Money) -> str:
    """``USD 4.50``: the code as Sinch sent it (the one the account is billed in), the amount."""
    return (
        f"{money.currency_code.strip() or '?'} {format_amount(money.amount, money.currency_code)}"
    )
