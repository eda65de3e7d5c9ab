"""The human-readable text printed beside a pack's symbols (EU FMD Art. 7, DSCSA).

Four data lines with short keys, as EU packs print them: GTIN (the product code), EXP, LOT and SN.
The expiry is shown as YYYY-MM-DD; an expiry encoded with day 00 ("the last day of the month") is
shown as YYYY-MM, so the text never claims a day that the code does not carry.
"""

from services.gs1 import PackIdentifier
from services.labels.errors import LabelDataError

__all__ = ["expiry_text", "pack_fields", "pack_lines"]


def expiry_text(pack: PackIdentifier) -> str:
    """ "2026-12-31", or "2026-11" when the encoded day is 00; "" without an expiry."""
    if pack.expiry is None or pack.expiry_raw is None:
        return ""
    if pack.expiry_raw.endswith("00"):
        return pack.expiry.strftime("%Y-%m")
    return pack.expiry.isoformat()


def pack_fields(pack: PackIdentifier) -> list[tuple[str, str]]:
    """(key, value) of the four data lines.

    Raises:
        LabelDataError: if the pack lacks its GTIN, expiry, lot or serial: a serialised pack
            label without one of them is not a valid unique identifier.
    """
    missing = [
        name
        for name, value in (
            ("GTIN", pack.gtin),
            ("expiry", pack.expiry),
            ("lot", pack.lot),
            ("serial", pack.serial),
        )
        if value is None
    ]
    if missing:
        msg = f"A pack label needs the GTIN, expiry, lot and serial; missing: {', '.join(missing)}."
        raise LabelDataError(msg)
    return [
        ("GTIN", pack.gtin or ""),
        ("EXP", expiry_text(pack)),
        ("LOT", pack.lot or ""),
        ("SN", pack.serial or ""),
    ]


def pack_lines(pack: PackIdentifier) -> list[str]:
    """The data lines with their keys padded to one width: "GTIN 0950…", "EXP  2026-12-31"."""
    fields = pack_fields(pack)
    key_width = max(len(key) for key, _ in fields)
    return [f"{key:<{key_width}} {value}" for key, value in fields]
