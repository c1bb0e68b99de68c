"""Prices as people read them: ISO 4217 minor units per currency (Babel), one rule everywhere.

"USD 4.50" beside "USD 5.00", never "4.5"; "JPY 100"; finer amounts keep their digits
("USD 0.0035"). Sinch may send a code that is not ISO 4217 ("DOLLAR"): it is shown as sent,
with two decimals.
"""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency

from bot.sinch.models import Money

_LOCALE = "en_US"
# No grouping: amounts are small, and "1000.00" copies into a spreadsheet as a number.
_AMOUNT = "#0.00"


def format_amount(amount: Decimal, currency: str) -> str:
    """``4.5`` USD -> ``4.50``; ``100`` JPY -> ``100``; ``0.0035`` stays."""
    try:
        if not amount.is_finite():
            return str(amount)
        # The precision comes from the code (ISO 4217 minor units; 2 for codes Babel lacks).
        return format_currency(
            amount,
            currency.strip().upper() or "XXX",
            format=_AMOUNT,
            locale=_LOCALE,
            currency_digits=True,
            decimal_quantization=False,
        )
    except (ValueError, ArithmeticError, TypeError, KeyError):
        return str(amount)


def format_money(money: Money) -> str:
    """``USD 4.50``: the code as Sinch sent it (the one the account is billed in), the amount."""
    return (
        f"{money.currency_code.strip() or '?'} {format_amount(money.amount, money.currency_code)}"
    )
