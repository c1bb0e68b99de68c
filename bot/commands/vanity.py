"""Vanity patterns: letters typed in a number pattern become keypad digits (ITU E.161)."""

from __future__ import annotations

import re

# ITU-T E.161 keypad: 2 ABC, 3 DEF, 4 GHI, 5 JKL, 6 MNO, 7 PQRS, 8 TUV, 9 WXYZ.
_KEYPAD = str.maketrans(
    {
        letter: digit
        for digit, letters in {
            "2": "ABC",
            "3": "DEF",
            "4": "GHI",
            "5": "JKL",
            "6": "MNO",
            "7": "PQRS",
            "8": "TUV",
            "9": "WXYZ",
        }.items()
        for letter in letters
    }
)
_VANITY = re.compile(r"[0-9A-Za-z]*[A-Za-z][0-9A-Za-z]*")


def is_vanity(value: str) -> bool:
    """Letters (and maybe digits) only, at least one letter: "PIZZA", "1800FLOWERS"."""
    return value.isascii() and _VANITY.fullmatch(value) is not None


def keypad_digits(word: str) -> str:
    """``PIZZA`` -> ``74992``; digits stay as they are."""
    return word.upper().translate(_KEYPAD)


def spell(national: str, digits: str, word: str) -> str | None:
    """``national`` with the last occurrence of ``digits`` written as ``word`` ("206555PIZZA")."""
    at = national.rfind(digits)
    if at < 0:
        return None
    return national[:at] + word.upper() + national[at + len(digits) :]
