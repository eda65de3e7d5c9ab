"""GS1 mod-10 check digits and the numeric keys that carry one (GTIN, GLN, SSCC).

The arithmetic itself is biip's `gs1_standard_check_digit`. This module adds the input rule biip
does not enforce: biip accepts any Unicode decimal digit (`str.isdecimal`, so Arabic-Indic or
full-width digits pass), while a barcode carries ASCII digits only. Everything here insists on
ASCII `0`-`9`, so a look-alike digit is an invalid key rather than a silently accepted one.
"""

from biip.checksums import gs1_standard_check_digit

from services.gs1.errors import GS1Error

__all__ = [
    "gs1_check_digit",
    "has_valid_check_digit",
    "is_ascii_digits",
    "is_valid_gln",
    "is_valid_gtin",
    "is_valid_sscc",
    "normalize_gtin",
]

GTIN_LENGTHS = (8, 12, 13, 14)


def is_ascii_digits(value: str) -> bool:
    """True if `value` is non-empty and made only of ASCII digits 0-9."""
    return value.isascii() and value.isdigit()


def gs1_check_digit(data_digits: str) -> int:
    """Return the GS1 mod-10 check digit for `data_digits` (the key without its check digit).

    Weights 3, 1, 3, 1... are applied from the rightmost data digit; the check digit is
    (10 - sum mod 10) mod 10. Example: ``gs1_check_digit("629104150021") == 3``.

    Raises:
        GS1Error: if `data_digits` is empty or contains anything but ASCII digits.
    """
    if not is_ascii_digits(data_digits):
        msg = f"A GS1 check digit needs ASCII digits only, got {data_digits!r}."
        raise GS1Error(msg)
    return gs1_standard_check_digit(data_digits)


def has_valid_check_digit(value: str) -> bool:
    """True if `value` is at least two ASCII digits and its last digit is the right check digit."""
    if len(value) < 2 or not is_ascii_digits(value):
        return False
    return gs1_check_digit(value[:-1]) == int(value[-1])


def is_valid_gtin(value: str) -> bool:
    """True for a GTIN-8, -12, -13 or -14 (ASCII digits only) with a correct check digit."""
    return len(value) in GTIN_LENGTHS and has_valid_check_digit(value)


def normalize_gtin(value: str) -> str:
    """Return the GTIN left-padded with zeros to 14 digits (the form used in AI 01).

    Raises:
        GS1Error: if `value` is not a valid GTIN-8/12/13/14.
    """
    if not is_valid_gtin(value):
        msg = f"{value!r} is not a valid GTIN (8, 12, 13 or 14 digits with a correct check digit)."
        raise GS1Error(msg)
    return value.zfill(14)


def is_valid_gln(value: str) -> bool:
    """True for a 13-digit Global Location Number with a correct check digit."""
    return len(value) == 13 and has_valid_check_digit(value)


def is_valid_sscc(value: str) -> bool:
    """True for an 18-digit Serial Shipping Container Code with a correct check digit."""
    return len(value) == 18 and has_valid_check_digit(value)
