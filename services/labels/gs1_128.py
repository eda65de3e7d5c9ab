"""GS1-128 linear barcode of an SSCC, the (00) barcode of case and pallet labels.

Code 128 with FNC1 in first position (that is what makes it GS1-128; scanners prefix `]C1`),
encoded by Zint in GS1 mode (see `zint_encoder`). Zint checks the SSCC's length and check digit.
"""

import zint

from services.gs1 import is_valid_sscc
from services.labels.errors import LabelDataError
from services.labels.modules import ModuleMatrix
from services.labels.zint_encoder import encode_gs1

__all__ = ["GS1_128_QUIET_ZONE", "gs1_128_sscc"]

GS1_128_QUIET_ZONE = 10
"""GS1 General Specifications: ten modules of light margin left and right of a GS1-128."""


def gs1_128_sscc(sscc: str) -> ModuleMatrix:
    """The bars of "(00) SSCC" as one row of modules.

    Raises:
        LabelDataError: if `sscc` is not 18 digits with a valid check digit.
    """
    if not is_valid_sscc(sscc):
        msg = f"{sscc!r} is not an SSCC (18 digits with a valid check digit)."
        raise LabelDataError(msg)
    return encode_gs1(zint.Symbology.GS1_128, f"[00]{sscc}", quiet_zone=GS1_128_QUIET_ZONE)
