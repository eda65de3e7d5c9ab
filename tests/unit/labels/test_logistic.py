"""Case and pallet labels: the SSCC, its GS1-128 barcode, the contents; SSCC numbering."""

import io

import pytest
import zxingcpp
from PIL import Image

from services.gs1 import is_valid_sscc, parse_code
from services.labels import LabelDataError, LabelLayoutError, next_sscc, render_logistic_label
from services.labels.fonts import pillow_measure
from services.labels.logistic import ContentLine, plan_logistic_label
from tests.unit.labels.support import decode, only

pytestmark = pytest.mark.unit

SSCC = "395060000123456783"
CONTENTS = [("09506000134352", "LOT001", 120), ("9506000134352", "LOT002", 24)]


def test_label_decodes_to_ai_00_with_the_sscc() -> None:
    png = render_logistic_label(SSCC, contents=CONTENTS, shipper="Acme Pharma GmbH")

    barcode = only(decode(png), zxingcpp.BarcodeFormat.Code128)
    assert barcode.symbology_identifier == "]C1"
    assert barcode.content_type == zxingcpp.ContentType.GS1
    assert barcode.text == f"00{SSCC}"
    scanned = parse_code(barcode.symbology_identifier + barcode.text)
    assert scanned.ok
    assert scanned.identifier is not None
    assert scanned.identifier.sscc == SSCC


@pytest.mark.parametrize(
    ("size_mm", "dpi", "pixels"),
    [((105, 148), 300, (1240, 1748)), ((101.6, 152.4), 203, (812, 1218))],
)
def test_label_renders_at_the_requested_size(
    size_mm: tuple[float, float], dpi: int, pixels: tuple[int, int]
) -> None:
    png = render_logistic_label(SSCC, contents=CONTENTS, size_mm=size_mm, dpi=dpi)

    image = Image.open(io.BytesIO(png))
    assert image.size == pixels
    assert only(decode(image), zxingcpp.BarcodeFormat.Code128).text == f"00{SSCC}"


def test_barcode_keeps_gs1_logistics_dimensions() -> None:
    layout = plan_logistic_label(
        SSCC, [], shipper="", size_mm=(105, 148), dpi=300, measure=pillow_measure
    )

    (bars,) = layout.symbols
    assert bars.module * 25.4 / 300 >= 0.495  # minimum X-dimension
    assert bars.height * 25.4 / 300 == pytest.approx(31.75, abs=0.1)
    quiet = bars.matrix.quiet_zone * bars.module
    assert bars.x >= quiet
    assert bars.x + bars.width + quiet <= layout.width
    assert layout.lines[-1].text == f"(00) {SSCC}"


def test_contents_are_listed_and_cut_when_too_many() -> None:
    many = [ContentLine("09506000134352", f"LOT{i:03d}", i + 1) for i in range(200)]

    layout = plan_logistic_label(
        SSCC, many, shipper="Acme", size_mm=(105, 148), dpi=300, measure=pillow_measure
    )

    texts = [line.text for line in layout.lines]
    assert SSCC in texts
    assert texts[5].startswith("09506000134352 LOT000")
    assert texts[-2].startswith("… and ")
    assert texts[-2].endswith(" more lines")
    bar_top = layout.symbols[0].y
    assert all(line.baseline < bar_top for line in layout.lines[:-1])


@pytest.mark.parametrize(
    ("sscc", "contents", "match"),
    [
        ("395060000123456784", CONTENTS, "SSCC"),
        (SSCC, [("09506000134353", "L", 1)], "GTIN"),
        (SSCC, [("09506000134352", "L O T", 1)], "lot"),
        (SSCC, [("09506000134352", "LOT", 0)], "quantity"),
    ],
)
def test_invalid_data_is_refused(
    sscc: str, contents: list[tuple[str, str, int]], match: str
) -> None:
    with pytest.raises(LabelDataError, match=match):
        render_logistic_label(sscc, contents=contents)


def test_a_label_too_narrow_for_the_barcode_is_refused() -> None:
    with pytest.raises(LabelLayoutError, match="wide"):
        render_logistic_label(SSCC, contents=CONTENTS, size_mm=(60, 148))


def test_next_sscc_pads_the_serial_reference_and_adds_the_check_digit() -> None:
    sscc = next_sscc(3, "9506000", 12345678)

    assert sscc == "395060000123456783"
    assert is_valid_sscc(sscc)
    assert next_sscc(0, "950600012345", "1") == "095060001234500012"


@pytest.mark.parametrize(
    ("extension", "prefix", "reference", "match"),
    [
        (10, "9506000", 1, "extension"),
        (-1, "9506000", 1, "extension"),
        (3, "950", 1, "company prefix"),
        (3, "95060001234567", 1, "company prefix"),
        (3, "95060A0", 1, "company prefix"),
        (3, "9506000", 10**9, "at most 9 digits"),
        (3, "9506000", -1, "serial reference"),
    ],
)
def test_next_sscc_refuses_parts_out_of_range(
    extension: int, prefix: str, reference: int, match: str
) -> None:
    with pytest.raises(LabelDataError, match=match):
        next_sscc(extension, prefix, reference)
