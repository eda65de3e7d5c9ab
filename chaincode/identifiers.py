"""The few GS1 rules the contract enforces itself.

The contract may not import the service's GS1 package (it must run alone as a chaincode service),
so the checks it needs to refuse malformed input live here: check digits, lengths, character sets.
"""

from __future__ import annotations

import re
from datetime import date

# GS1 General Specifications, "GS1 AI encodable character set 82" (lot, serial).
_CSET82 = re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]+")
_DIGITS = re.compile(r"[0-9]+")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def check_digit(data_digits: str) -> int:
    """GS1 mod-10: weights 3,1,3,1… from the rightmost data digit."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(data_digits)))
    return (10 - total % 10) % 10


def _valid_numeric_key(value: str, length: int) -> bool:
    return (
        len(value) == length
        and _DIGITS.fullmatch(value) is not None
        and check_digit(value[:-1]) == int(value[-1])
    )


def is_gtin14(value: str) -> bool:
    """A 14-digit GTIN with a correct check digit (shorter GTINs arrive padded)."""
    return _valid_numeric_key(value, 14)


def is_gln(value: str) -> bool:
    """A 13-digit Global Location Number with a correct check digit."""
    return _valid_numeric_key(value, 13)


def is_sscc(value: str) -> bool:
    """An 18-digit Serial Shipping Container Code with a correct check digit."""
    return _valid_numeric_key(value, 18)


def is_lot(value: str) -> bool:
    """AI 10: 1–20 characters of CSET 82."""
    return 1 <= len(value) <= 20 and _CSET82.fullmatch(value) is not None


def is_serial(value: str) -> bool:
    """AI 21: 1–20 characters of CSET 82."""
    return 1 <= len(value) <= 20 and _CSET82.fullmatch(value) is not None


def parse_iso_date(value: str) -> date | None:
    """A YYYY-MM-DD date, or None when it is not one (no ISO week or ordinal forms)."""
    if _ISO_DATE.fullmatch(value) is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None
