"""SSCC numbering: the 18-digit Serial Shipping Container Code of a case or pallet, AI (00).

Layout (GS1 General Specifications 2.2.1): extension digit (0-9, free for the company to use,
e.g. per packing line), GS1 company prefix (4-12 digits), serial reference (padded so the data
is 17 digits), mod-10 check digit. The caller owns the serial-reference counter; this only
builds and checks.
"""

from services.gs1 import GS1Error, gs1_check_digit
from services.labels.errors import LabelDataError

__all__ = ["next_sscc"]


def next_sscc(extension_digit: int, gs1_company_prefix: str, serial_reference: int | str) -> str:
    """The SSCC for `serial_reference` under a company prefix, with its check digit.

    >>> next_sscc(3, "9506000", 12345678)
    '395060000123456783'

    Raises:
        LabelDataError: if a part is out of range or the serial reference does not fit the
            16 - len(prefix) digits left for it.
    """
    if not 0 <= extension_digit <= 9:
        msg = f"The extension digit is one digit 0-9, got {extension_digit}."
        raise LabelDataError(msg)
    if not (gs1_company_prefix.isascii() and gs1_company_prefix.isdigit()) or not (
        4 <= len(gs1_company_prefix) <= 12
    ):
        msg = f"A GS1 company prefix is 4 to 12 digits, got {gs1_company_prefix!r}."
        raise LabelDataError(msg)
    width = 16 - len(gs1_company_prefix)
    reference = str(serial_reference)
    if not (reference.isascii() and reference.isdigit()) or len(reference) > width:
        msg = (
            f"The serial reference must be at most {width} digits after a "
            f"{len(gs1_company_prefix)}-digit company prefix, got {serial_reference!r}."
        )
        raise LabelDataError(msg)
    data = f"{extension_digit}{gs1_company_prefix}{reference.zfill(width)}"
    try:
        return data + str(gs1_check_digit(data))
    except GS1Error as exc:  # unreachable: data is 17 ASCII digits
        raise LabelDataError(str(exc)) from exc
