"""The PNG pack label: its size in pixels, both symbols decodable from it, quiet zones kept."""

import datetime as dt
import io

import pytest
import zxingcpp
from hypothesis import given, settings
from PIL import Image

from services.gs1 import PackIdentifier, parse_code, to_digital_link, to_element_string
from services.labels import LabelDataError, LabelLayoutError, render_pack_label
from services.labels.fonts import pillow_measure
from services.labels.human_readable import expiry_text, pack_lines
from services.labels.pack_layout import PackLabelSpec, plan_pack_label
from services.labels.raster import draw_label
from tests.unit.labels.support import decode, only, packs

pytestmark = pytest.mark.unit

PACK = PackIdentifier(
    gtin="09506000134352", lot="LOT001", serial="SN0001X", expiry=dt.date(2027, 1, 5)
)
LONGEST = PackIdentifier(
    gtin="09506000134352",
    lot="ABCDEFGHJK1234567890",
    serial="%&'()*+,-./:;<=>?_\"!",
    expiry=dt.date(2027, 1, 5),
)


def open_png(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return Image.open(io.BytesIO(data))


@pytest.mark.parametrize(
    ("size_mm", "dpi", "pixels"),
    [
        ((50, 25), 300, (591, 295)),
        ((50, 25), 600, (1181, 591)),
        ((60, 30), 203, (480, 240)),
        ((70, 35), 300, (827, 413)),
    ],
)
def test_label_renders_at_the_requested_size(
    size_mm: tuple[float, float], dpi: int, pixels: tuple[int, int]
) -> None:
    image = open_png(render_pack_label(PACK, product_name="Paracetamol", size_mm=size_mm, dpi=dpi))

    assert image.size == pixels
    assert image.mode == "1"
    assert image.info["dpi"] == pytest.approx((dpi, dpi), abs=0.01)
    found = decode(image)
    assert only(found, zxingcpp.BarcodeFormat.DataMatrix).bytes == to_element_string(PACK).encode()
    assert only(found, zxingcpp.BarcodeFormat.QRCode).text == to_digital_link(PACK)


@settings(max_examples=40, deadline=None)
@given(packs())
def test_both_symbols_on_the_label_decode_to_the_pack(pack: PackIdentifier) -> None:
    found = decode(render_pack_label(pack, product_name="Paracetamol 500 mg tablets"))

    datamatrix = only(found, zxingcpp.BarcodeFormat.DataMatrix)
    assert datamatrix.symbology_identifier == "]d2"
    assert datamatrix.content_type == zxingcpp.ContentType.GS1
    assert datamatrix.bytes == to_element_string(pack).encode()
    assert parse_code(datamatrix.symbology_identifier + datamatrix.text).identifier == pack
    qr = only(found, zxingcpp.BarcodeFormat.QRCode)
    assert qr.text == to_digital_link(pack)
    assert parse_code(qr.text).identifier == pack


def test_resolver_domain_is_configurable() -> None:
    found = decode(render_pack_label(PACK, product_name="", domain="resolver.example.com"))

    qr = only(found, zxingcpp.BarcodeFormat.QRCode)
    assert qr.text.startswith("https://resolver.example.com/01/09506000134352/10/LOT001/")


@pytest.mark.parametrize("pack", [PACK, LONGEST], ids=["typical", "20-character lot and serial"])
def test_quiet_zones_and_text_keep_clear_of_the_symbols(pack: PackIdentifier) -> None:
    layout = plan_pack_label(
        pack,
        product_name="A very long product name " * 4,
        spec=PackLabelSpec(),
        measure=pillow_measure,
    )
    image = draw_label(layout)

    for box in layout.symbols:
        quiet = box.matrix.quiet_zone * box.module
        left, top = box.x - quiet, box.y - quiet
        right, bottom = box.x + box.width + quiet, box.y + box.height + quiet
        assert left >= 0
        assert top >= 0
        assert right <= layout.width
        assert bottom <= layout.height
        surround = image.crop((left, top, right, bottom))
        surround.paste(1, (quiet, quiet, quiet + box.width, quiet + box.height))
        assert surround.getextrema() == (1, 1), "something is drawn in a quiet zone"
    text_left = min(line.x for line in layout.lines)
    qr = layout.symbols[1]
    assert text_left >= qr.x + qr.width + qr.matrix.quiet_zone * qr.module
    assert all(
        pillow_measure(line.text, line.size, line.bold) <= layout.width - line.x
        for line in layout.lines
    )


def test_text_shows_product_gtin_expiry_lot_and_serial() -> None:
    layout = plan_pack_label(
        PACK,
        product_name="Paracetamol 500 mg tablets",
        spec=PackLabelSpec(),
        measure=pillow_measure,
    )

    texts = [line.text for line in layout.lines]
    assert texts[-4:] == ["GTIN 09506000134352", "EXP  2027-01-05", "LOT  LOT001", "SN   SN0001X"]
    assert " ".join(line.text for line in layout.lines if line.bold) == "Paracetamol 500 mg tablets"


def test_longest_lot_and_serial_fit_the_default_label_and_decode() -> None:
    found = decode(render_pack_label(LONGEST, product_name="X"))

    assert (
        only(found, zxingcpp.BarcodeFormat.DataMatrix).bytes == to_element_string(LONGEST).encode()
    )
    assert only(found, zxingcpp.BarcodeFormat.QRCode).text == to_digital_link(LONGEST)


def test_an_expiry_with_day_00_is_printed_without_a_day() -> None:
    pack = PackIdentifier(gtin="09506000134352", lot="L", serial="S", expiry_raw="271100")

    assert expiry_text(pack) == "2027-11"
    assert expiry_text(PACK) == "2027-01-05"


def test_an_incomplete_pack_is_refused() -> None:
    with pytest.raises(LabelDataError, match="missing: expiry, serial"):
        pack_lines(PackIdentifier(gtin="09506000134352", lot="L"))


@pytest.mark.parametrize(
    ("size_mm", "match"),
    [((50, 8), "high"), ((28, 25), "text does not fit"), ((0, 25), "positive")],
)
def test_a_label_too_small_is_refused(size_mm: tuple[float, float], match: str) -> None:
    with pytest.raises(LabelLayoutError, match=match):
        render_pack_label(PACK, product_name="P", size_mm=size_mm)
