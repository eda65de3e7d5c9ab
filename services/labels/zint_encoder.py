"""The GS1 encoder behind our DataMatrix and GS1-128 symbols: libzint, through `zint-bindings`.

Decision (copy to docs/DECISIONS.md): GS1 DataMatrix and GS1-128 are encoded with Zint
(libzint 2.15, PyPI `zint-bindings`, a maintained pybind11 wheel that bundles the C library, so no
Debian package is needed). Zint's GS1 mode takes "[AI]value" input, puts FNC1 in first position,
inserts FNC1 after every variable-length field that is not last, and validates each AI against
the GS1 syntax dictionary (check digits, dates, lengths, CSET 82) before encoding, refusing
rather than emitting a wrong symbol. It is fast (~0.1 ms a symbol) and it is not zxing-cpp, so
our round-trip tests decode with an independent implementation. Rejected:
  * pylibdmtx + libdmtx0b: libdmtx can emit FNC1 (`DmtxPropFnc1`), but pylibdmtx's `encode` does
    not expose it (ctypes by hand), and it has had no release since 2022; no GS1-128 either;
  * treepoem + ghostscript (BWIPP `gs1datamatrix`): correct, but a Ghostscript process per
    symbol is two orders of magnitude too slow for 500 labels a second;
  * ppf-datamatrix: pure Python, its ASCII codec has no FNC1, so no GS1 DataMatrix;
  * reportlab's `ECC200DataMatrix`: a fixed 44 x 44 C40 symbol (Royal Mail's), no FNC1;
  * zxing-cpp's writer: has GS1 support, but then the decoder that checks our symbols would be
    the same code base as the encoder.
"""

import zint
from PIL import Image

from services.labels.errors import LabelDataError
from services.labels.modules import ModuleMatrix

__all__ = ["encode_gs1"]

_ROW_STRIDE = 144
"""Bytes per row of zint's `encoded_data` (1152 modules), bits least significant first."""


def encode_gs1(
    symbology: zint.Symbology, bracketed: str, *, quiet_zone: int, option_3: int = 0
) -> ModuleMatrix:
    """Encode "[AI]value..." data in GS1 mode; every zint warning is an error.

    Raises:
        LabelDataError: if zint refuses the data (it validates every AI).
    """
    symbol = zint.Symbol()
    symbol.symbology = symbology
    symbol.input_mode = zint.InputMode.GS1
    symbol.warn_level = zint.WarningLevel.FAIL_ALL
    if option_3:
        symbol.option_3 = option_3
    try:
        symbol.encode(bracketed)
    except RuntimeError as exc:  # zint-bindings raises RuntimeError with zint's errtxt
        msg = f"The GS1 encoder refused {bracketed!r}: {exc}"
        raise LabelDataError(msg) from exc
    rows = 1 if symbol.rows == 0 else symbol.rows
    raw = bytes(symbol.encoded_data[:rows])
    # "1;IR": one bit a module, least significant bit first, 1 = dark -> Pillow's 0 = black.
    image = Image.frombytes("1", (symbol.width, rows), raw, "raw", "1;IR", _ROW_STRIDE)
    return ModuleMatrix.from_image(image, quiet_zone)
