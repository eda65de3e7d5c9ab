"""From a scanned code to a pack the system knows: parse, then find its serial and batch."""

from __future__ import annotations

from services.errors import PharmaTraceError, invalid, not_found
from services.gs1 import PackIdentifier, parse_code
from services.readmodel.tables import SerialNumber
from services.runtime import Runtime


def parse_pack_code(code: str) -> PackIdentifier:
    """A pack identifier with GTIN, lot and serial, or an INVALID_CODE error listing problems."""
    result = parse_code(code)
    if result.problems or result.identifier is None:
        sentences = "; ".join(p.message for p in result.problems) or "Unrecognised code."
        raise invalid("INVALID_CODE", sentences)
    pack = result.identifier
    if not (pack.gtin and pack.serial and pack.lot):
        raise invalid(
            "INCOMPLETE_CODE",
            "The code lacks a GTIN, lot or serial number: scan the "
            "2D code (DataMatrix or QR) rather than the linear barcode.",
        )
    return pack


def locate_serial(rt: Runtime, pack: PackIdentifier) -> SerialNumber:
    """The registered serial of the scanned pack, checked against the scanned lot."""
    if not (pack.gtin and pack.serial):
        raise invalid("INCOMPLETE_CODE", "The code lacks a GTIN or serial number.")
    serial = rt.serials.lookup(pack.gtin, pack.serial)
    if serial is None:
        raise not_found(
            "UNKNOWN_SERIAL", f"Serial {pack.serial} was never registered for GTIN {pack.gtin}."
        )
    if serial.lot != pack.lot:
        raise PharmaTraceError(
            "BATCH_MISMATCH",
            f"Serial {pack.serial} belongs to batch {serial.lot}, not {pack.lot}.",
            status=422,
        )
    return serial
