"""GS1 DataMatrix of a pack: the regulated carrier of its unique identifier (EU FMD, DSCSA).

The symbol encodes exactly `services.gs1.to_element_string(pack)`: FNC1 in first position, then
(01) GTIN, (17) expiry, (10) lot, (21) serial, with FNC1 (transmitted by scanners as GS, ASCII 29)
after each variable-length field that is not last. The element string is split back into its
(AI, value) pairs with biip, the project's GS1 library, and handed to the encoder in Zint's
"[AI]value" syntax; the encoder re-validates every field. Symbols are ECC 200 and square (the
rectangular and DMRE shapes are legal but less widely supported by pharmacy scanners).
See `zint_encoder` for why Zint.
"""

import zint
from biip import ParseError
from biip.gs1_messages import GS1Message

from services.gs1 import PackIdentifier, to_element_string
from services.labels.errors import LabelDataError
from services.labels.modules import ModuleMatrix
from services.labels.zint_encoder import encode_gs1

__all__ = ["DATAMATRIX_QUIET_ZONE", "bracketed_element_string", "gs1_datamatrix"]

DATAMATRIX_QUIET_ZONE = 1
"""ISO/IEC 16022: one module of light margin on every side."""


def bracketed_element_string(element_string: str) -> str:
    """ "01095...\\x1d21XYZ" as "[01]095...[21]XYZ", the input syntax of GS1 encoders.

    Raises:
        LabelDataError: if the element string does not parse as GS1.
    """
    try:
        message = GS1Message.parse(element_string)
    except ParseError as exc:
        msg = f"Not a GS1 element string: {element_string!r} ({exc})."
        raise LabelDataError(msg) from exc
    return "".join(f"[{part.ai.ai}]{part.value}" for part in message.element_strings)


def gs1_datamatrix(pack: PackIdentifier) -> ModuleMatrix:
    """The GS1 DataMatrix (ECC 200, FNC1 first, square) of a pack's element string.

    Raises:
        LabelDataError: if the pack has no GTIN, or the encoder refuses a field.
    """
    if pack.gtin is None:
        msg = "A GS1 DataMatrix for a pack needs its GTIN."
        raise LabelDataError(msg)
    return encode_gs1(
        zint.Symbology.DATAMATRIX,
        bracketed_element_string(to_element_string(pack)),
        quiet_zone=DATAMATRIX_QUIET_ZONE,
        option_3=zint.DataMatrixOptions.SQUARE.value,
    )
