"""The GS1 rules for each field of a pack identifier, as (code, message) findings.

One set of rules serves two callers: `PackIdentifier` refuses to exist with a broken field
(raising `GS1Error` with the message), and the parsers turn the same finding into a `Problem`
for the field. Returning plain (code, message) pairs keeps this module free of the model, so
the model can import it without a cycle.

Dates go through biip's AI (17) element parser, which applies the GS1 century rule (General
Specifications 7.12: a two-digit year lies within 49 years back and 50 years ahead of today) and
the "day 00 means the last day of the month" rule. We pre-check digits, month and day ourselves
only to say precisely what is wrong; biip would just say "failed to parse".
"""

import datetime as dt

from biip import ParseError
from biip.gs1_element_strings import GS1ElementString

from services.gs1.charset import invalid_characters
from services.gs1.checkdigit import gs1_check_digit, is_ascii_digits

__all__ = [
    "FIELD_LABELS",
    "NATIONAL_NUMBER_AIS",
    "Issue",
    "describe_characters",
    "expiry_issue_or_date",
    "gtin_issue",
    "national_number_issue",
    "sscc_issue",
    "text_issue",
]

Issue = tuple[str, str]
"""A broken rule: (machine code, sentence for a pharmacist)."""

FIELD_LABELS: dict[str, str] = {
    "gtin": "product code (GTIN)",
    "sscc": "shipping container code (SSCC)",
    "lot": "batch number",
    "serial": "serial number",
    "expiry": "expiry date",
    "national_number": "national reimbursement number",
    "code": "code",
}

NATIONAL_NUMBER_AIS = ("710", "711", "712", "713", "714")
"""AIs for national healthcare reimbursement numbers: DE PZN, FR CIP, ES CN, BR DRN, PT AIM."""

MAX_TEXT_LENGTH = 20


def describe_characters(chars: str) -> str:
    """Name characters so a person can see them, including invisible ones."""
    names: list[str] = []
    for char in chars:
        if char == " ":
            names.append("a space")
        elif char == "\x1d":
            names.append("a group separator (GS)")
        elif char.isprintable():
            names.append(f"'{char}'")
        else:
            names.append(f"an invisible character (U+{ord(char):04X})")
    return ", ".join(names)


def _numeric_key_issue(label: str, value: str, length: int) -> Issue | None:
    if not value:
        return "INVALID_LENGTH", f"The {label} is empty."
    if not is_ascii_digits(value):
        bad = "".join(dict.fromkeys(c for c in value if not ("0" <= c <= "9")))
        return (
            "INVALID_CHARACTERS",
            f"The {label} may contain only digits, but it contains {describe_characters(bad)}.",
        )
    if len(value) != length:
        return (
            "INVALID_LENGTH",
            f"The {label} must have {length} digits, but it has {len(value)}.",
        )
    expected = gs1_check_digit(value[:-1])
    if expected != int(value[-1]):
        return (
            "INVALID_CHECK_DIGIT",
            f"The {label} {value} fails its check digit (the last digit should be {expected}): "
            "the code was misread or mistyped, or it is not genuine.",
        )
    return None


def gtin_issue(value: str) -> Issue | None:
    """What is wrong with a 14-digit GTIN (AI 01), or None if it is valid."""
    return _numeric_key_issue(FIELD_LABELS["gtin"], value, 14)


def sscc_issue(value: str) -> Issue | None:
    """What is wrong with an 18-digit SSCC (AI 00), or None if it is valid."""
    return _numeric_key_issue(FIELD_LABELS["sscc"], value, 18)


def text_issue(field: str, value: str) -> Issue | None:
    """What is wrong with a lot, serial or national number (1-20 characters of CSET 82)."""
    label = FIELD_LABELS[field]
    if not value:
        return "INVALID_LENGTH", f"The {label} is empty."
    bad = invalid_characters(value)
    if bad:
        return (
            "INVALID_CHARACTERS",
            f"The {label} contains characters that GS1 barcodes do not allow: "
            f"{describe_characters(bad)}.",
        )
    if len(value) > MAX_TEXT_LENGTH:
        return (
            "INVALID_LENGTH",
            f"The {label} has {len(value)} characters; at most {MAX_TEXT_LENGTH} are allowed.",
        )
    return None


def national_number_issue(ai: str, value: str) -> Issue | None:
    """What is wrong with a national reimbursement number (AI 710-714 and its value)."""
    if ai not in NATIONAL_NUMBER_AIS:
        return (
            "UNKNOWN_AI",
            f"({ai}) is not a national reimbursement number; expected one of "
            f"{', '.join(NATIONAL_NUMBER_AIS)}.",
        )
    return text_issue("national_number", value)


def expiry_issue_or_date(raw: str) -> Issue | dt.date:
    """Turn a YYMMDD expiry into a date (day 00 = last day of the month), or say what is wrong."""
    label = FIELD_LABELS["expiry"]
    if len(raw) != 6 or not is_ascii_digits(raw):
        return (
            "INVALID_LENGTH" if is_ascii_digits(raw) or not raw else "INVALID_CHARACTERS",
            f"The {label} must be 6 digits (YYMMDD), but it is '{raw}'.",
        )
    month, day = int(raw[2:4]), int(raw[4:6])
    if not 1 <= month <= 12:
        return "INVALID_DATE", f"The {label} {raw} has month {raw[2:4]}, which does not exist."
    try:
        parsed = GS1ElementString.parse(f"17{raw}").date
    except ParseError:
        parsed = None
    if parsed is None:
        return (
            "INVALID_DATE",
            f"The {label} {raw} has day {day:02d}, which does not exist in month {raw[2:4]}.",
        )
    return parsed
