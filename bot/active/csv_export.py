"""Rented numbers as CSV rows: every field an operator needs, safe to open in a spreadsheet.

Pure: ``HEADER`` and ``row(number)`` give lists of strings for ``csv.writer`` (which does the
quoting of commas, quotes and newlines). Text that a spreadsheet would run as a formula
(starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return; OWASP's CSV injection
advice) gets a leading apostrophe, unless the whole cell is a plain number such as
``+12065550100`` or ``-1.50``, which no spreadsheet evaluates as a formula.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final, TextIO

from bot.sinch.models import ActiveNumber

HEADER: Final = (
    "phone_number",
    "region",
    "type",
    "capabilities",
    "display_name",
    "monthly_price",
    "currency",
    "payment_interval_months",
    "next_charge_date",
    "expire_at",
    "sms_service_plan_id",
    "sms_campaign_id",
    "voice_type",
    "voice_app_id",
    "voice_trunk_id",
    "voice_service_id",
    "callback_url",
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def writer(out: TextIO) -> Any:
    """csv.writer in RFC 4180 form: CRLF rows, so a lone CR or LF in a value is quoted too."""
    return csv.writer(out, dialect="excel", lineterminator="\r\n")


def neutralise(cell: str) -> str:
    """The cell, with a leading ' when a spreadsheet would read it as a formula."""
    if cell.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def _when(value: datetime | None) -> str:
    return "" if value is None else value.isoformat().replace("+00:00", "Z")


def row(number: ActiveNumber) -> list[str]:
    sms = number.sms_configuration
    voice = number.voice_configuration
    cells: Sequence[str | None] = (
        number.phone_number,
        number.region_code,
        number.type,
        "+".join(number.capability),
        number.display_name,
        None if number.money is None else f"{number.money.amount}",
        None if number.money is None else number.money.currency_code,
        None if number.payment_interval_months is None else str(number.payment_interval_months),
        _when(number.next_charge_date),
        _when(number.expire_at),
        sms.service_plan_id if sms else None,
        sms.campaign_id if sms else None,
        voice.type if voice else None,
        voice.app_id if voice else None,
        voice.trunk_id if voice else None,
        voice.service_id if voice else None,
        number.callback_url,
    )
    return [neutralise(cell or "") for cell in cells]
