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


def spell(formatted: str, digits: str, word: str) -> str | None:
    """``+1 206-557-4992`` with ``74992`` written as the word: ``+1 206-55P-IZZA``.

    The last occurrence of ``digits`` among the formatted number's digits is replaced letter
    by letter, so the number keeps its usual spacing. None when the digits are not in it.
    """
    positions = [i for i, c in enumerate(formatted) if c.isdigit()]
    plain = "".join(formatted[i] for i in positions)
    at = plain.rfind(digits)
    if at < 0 or len(word) != len(digits):
        return None
    chars = list(formatted)
    for offset, letter in enumerate(word.upper()):
        chars[positions[at + offset]] = letter
    return "".join(chars)
