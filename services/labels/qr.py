"""GS1 Digital Link QR code of a pack: the patient- and app-facing companion of the DataMatrix.

Carries `services.gs1.to_digital_link(pack, domain=...)` (the resolver domain is configurable,
`id.gs1.org` by default) as a plain QR code, which is what GS1 Digital Link prescribes: it is not
a GS1 (FNC1) QR. Encoded with Zint (already our DataMatrix encoder, C): error correction level M
and the mask chosen by the ISO/IEC 18004 penalty rules. segno does the same in pure Python, but
its mask evaluation alone costs ~6 ms a symbol; Zint renders whole labels about four times faster
(`python -m bench.labels --alternatives`), which is what the 500 labels/s target needs.
"""

import zint
from PIL import Image

from services.gs1 import GS1Error, PackIdentifier, to_digital_link
from services.labels.errors import LabelDataError
from services.labels.modules import ModuleMatrix

__all__ = ["QR_QUIET_ZONE", "digital_link_qr", "qr_matrix"]

QR_QUIET_ZONE = 4
"""ISO/IEC 18004: four modules of light margin on every side."""

_ROW_STRIDE = 144
"""Bytes per row of zint's `encoded_data` (1152 modules), bits least significant first."""

_ERROR_CORRECTION_M = 2
"""Zint's option_1 for QR: 1 = L, 2 = M, 3 = Q, 4 = H."""


def qr_matrix(text: str) -> ModuleMatrix:
    """A QR code (never Micro QR) of `text`, error correction level M."""
    symbol = zint.Symbol()
    symbol.symbology = zint.Symbology.QRCODE
    symbol.option_1 = _ERROR_CORRECTION_M
    symbol.warn_level = zint.WarningLevel.FAIL_ALL
    try:
        symbol.encode(text)
    except RuntimeError as exc:  # zint-bindings raises RuntimeError with zint's errtxt
        raise LabelDataError(f"The QR encoder refused {text!r}: {exc}") from exc
    raw = bytes(symbol.encoded_data[: symbol.rows])
    # "1;IR": one bit a module, least significant bit first, 1 = dark -> Pillow's 0 = black.
    image = Image.frombytes("1", (symbol.width, symbol.rows), raw, "raw", "1;IR", _ROW_STRIDE)
    return ModuleMatrix.from_image(image, QR_QUIET_ZONE)


def digital_link_qr(pack: PackIdentifier, *, domain: str = "id.gs1.org") -> ModuleMatrix:
    """The QR code of the pack's GS1 Digital Link URI on `domain`.

    Raises:
        LabelDataError: if the pack has no GTIN or `domain` is not a host name.
    """
    try:
        uri = to_digital_link(pack, domain=domain)
    except GS1Error as exc:
        raise LabelDataError(str(exc)) from exc
    return qr_matrix(uri)
