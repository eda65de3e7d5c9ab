"""Strategies and decoding helpers shared by the label tests.

Decoding is done with zxing-cpp, an implementation independent of the encoders (Zint for GS1
DataMatrix, GS1-128 and QR), so a round trip proves the symbols, not the encoder's
opinion of itself.
"""

from __future__ import annotations

import datetime as dt
import io

import zxingcpp
from hypothesis import strategies as st
from PIL import Image, ImageOps

from services.gs1 import PackIdentifier, gs1_check_digit
from services.gs1.charset import CSET82
from services.labels.modules import ModuleMatrix

EU_SAFE = "0123456789ABCDEFGHJKLMNPQRSTUVWX"
"""EU guidance for serials: upper case and digits, no I, O, Y, Z."""


@st.composite
def gtin14(draw: st.DrawFn) -> str:
    data = draw(st.text(alphabet="0123456789", min_size=13, max_size=13))
    return data + str(gs1_check_digit(data))


_THIS_YEAR = dt.date.today().year
expiry_dates = st.dates(dt.date(_THIS_YEAR - 40, 1, 1), dt.date(_THIS_YEAR + 45, 12, 31))
"""Inside GS1's two-digit-year window (49 years back, 50 ahead), with margin."""

lots_and_serials = st.one_of(
    st.text(alphabet=EU_SAFE, min_size=1, max_size=20),
    st.text(alphabet=sorted(CSET82), min_size=1, max_size=20),
)


@st.composite
def packs(draw: st.DrawFn) -> PackIdentifier:
    """A complete pack identifier: GTIN, expiry, lot and serial."""
    return PackIdentifier(
        gtin=draw(gtin14()),
        lot=draw(lots_and_serials),
        serial=draw(lots_and_serials),
        expiry=draw(expiry_dates),
    )


def symbol_image(
    matrix: ModuleMatrix, module: int = 4, bar_height: int | None = None
) -> Image.Image:
    """The symbol at `module` pixels a module with its quiet zone, as 8-bit gray."""
    quiet = matrix.quiet_zone * module
    return ImageOps.expand(matrix.image(module, bar_height).convert("L"), quiet, fill=255)


def decode(image: Image.Image | bytes) -> list[zxingcpp.Barcode]:
    """Every barcode zxing-cpp finds, text in Plain mode (GS kept, no HRI rewriting)."""
    if isinstance(image, bytes):
        image = Image.open(io.BytesIO(image))
    return zxingcpp.read_barcodes(image.convert("L"), text_mode=zxingcpp.TextMode.Plain)


def only(barcodes: list[zxingcpp.Barcode], fmt: zxingcpp.BarcodeFormat) -> zxingcpp.Barcode:
    found = [b for b in barcodes if b.format == fmt]
    assert len(found) == 1, f"expected one {fmt}, found {[(b.format, b.text) for b in barcodes]}"
    return found[0]
