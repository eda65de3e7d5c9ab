"""The streaming PDF writer and label operators: escaping, numbers, structure a reader accepts."""

import io

import pytest
from pypdf import PdfReader

from services.labels.layout import LabelLayout, SymbolBox, TextLine
from services.labels.modules import ModuleMatrix
from services.labels.pdf import PdfWriter, courier_measure, number, pdf_text
from services.labels.pdf_label import label_operations

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "literal"),
    [
        ("ABC", b"(ABC)"),
        ("A(B)C\\", b"(A\\(B\\)C\\\\)"),
        ("Zäpfchen …", b"(Z\xe4pfchen \x85)"),
        ("漢", b"(?)"),
        ("a\rb", b"(a\\015b)"),
    ],
)
def test_text_is_a_winansi_literal_string(text: str, literal: bytes) -> None:
    assert pdf_text(text) == literal


@pytest.mark.parametrize(
    ("value", "text"), [(1.0, b"1"), (0.0004, b"0"), (-0.0001, b"0"), (12.34567, b"12.346")]
)
def test_numbers_have_no_exponent_and_no_trailing_zeros(value: float, text: bytes) -> None:
    assert number(value) == text


def test_courier_measure_is_six_tenths_of_an_em_a_character() -> None:
    assert courier_measure("ABCDE", 10, False) == pytest.approx(30.0)
    assert courier_measure("ABCDE", 10, True) == pytest.approx(30.0)


def test_writer_output_is_read_back_with_its_pages_and_text() -> None:
    out = io.BytesIO()
    writer = PdfWriter(out, title="Test (1)")

    writer.add_page(200, 100, b"BT /F1 12 Tf 10 50 Td (Hello) Tj ET")
    writer.add_page(300, 150, b"BT /F2 12 Tf 10 50 Td (World) Tj ET")
    writer.close()
    writer.close()  # idempotent

    reader = PdfReader(io.BytesIO(out.getvalue()), strict=True)
    assert [page.extract_text() for page in reader.pages] == ["Hello", "World"]
    assert float(reader.pages[1].mediabox.width) == 300
    assert reader.metadata is not None
    assert reader.metadata.title == "Test (1)"
    with pytest.raises(ValueError, match="closed"):
        writer.add_page(10, 10, b"")


def test_symbols_become_inline_image_masks_in_label_coordinates() -> None:
    matrix = ModuleMatrix(2, 2, bytes([0b01000000, 0b10000000]), quiet_zone=1)
    layout = LabelLayout(
        width=300,
        height=150,
        dpi=300,
        symbols=(SymbolBox(x=30, y=60, module=15, matrix=matrix),),
        lines=(TextLine(x=100, baseline=50, size=25, text="SN X", bold=True),),
    )

    ops = label_operations(layout)

    # 2x2 modules of 15 dots at 300 dpi = 7.2 pt, from (7.2 pt, (150 - 60 - 30) * 0.24 pt).
    assert b"q 7.2 0 0 7.2 7.2 14.4 cm\nBI /IM true /W 2 /H 2 /BPC 1 /F /AHx ID\n4080>\nEI Q" in ops
    assert b"/F2 6 Tf 1 0 0 1 24 24 Tm (SN X) Tj" in ops
