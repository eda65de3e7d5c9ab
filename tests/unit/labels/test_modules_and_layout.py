"""Module matrices and the layout helpers: sizes, wrapping, truncation, font fitting."""

import pytest

from services.labels.layout import dots, fit_font_size, module_size, truncate, wrap
from services.labels.modules import ModuleMatrix

pytestmark = pytest.mark.unit


def mono(text: str, size: int, bold: bool) -> float:
    return 0.6 * size * len(text)


def test_matrix_checks_its_byte_count() -> None:
    with pytest.raises(ValueError, match="need 4 bytes"):
        ModuleMatrix(9, 2, b"\x00\x00", quiet_zone=1)


def test_matrix_image_scales_modules_and_bars() -> None:
    matrix = ModuleMatrix(3, 1, bytes([0b01000000]), quiet_zone=10)

    assert matrix.image(4).size == (12, 4)
    bars = matrix.image(4, bar_height=50)
    assert bars.size == (12, 50)
    assert [bars.getpixel((x, 25)) for x in (0, 4, 8)] == [0, 255, 0]
    assert [matrix.is_dark(x, 0) for x in range(3)] == [True, False, True]


def test_dots_and_module_sizes_are_whole_printer_dots() -> None:
    assert dots(25.4, 300) == 300
    assert module_size(0.34, 0.254, 300) == (4, 3)
    assert module_size(0.34, 0.254, 203) == (3, 3)
    assert module_size(0.2, 0.254, 300) == (3, 3)  # never below the minimum


def test_font_size_fits_the_longest_line() -> None:
    assert fit_font_size([("A" * 10, False), ("B" * 20, False)], 120, 50, mono) == 10
    assert fit_font_size([("short", False)], 1000, 30, mono) == 30
    assert fit_font_size([("x" * 100, False)], 10, 30, mono) == 0


def test_wrap_and_truncate() -> None:
    assert wrap("Paracetamol 500 mg tablets", 120, 10, False, mono, 2) == [
        "Paracetamol 500 mg",
        "tablets",
    ]
    assert wrap("Amoxicillin and clavulanic acid", 120, 10, True, mono, 2) == [
        "Amoxicillin and",
        "clavulanic acid",
    ]
    assert wrap("one two three four five six", 48, 10, False, mono, 2) == ["one two", "three f…"]
    assert wrap("Supercalifragilistic", 30, 10, False, mono, 2) == ["Supe…"]
    assert truncate("short", 100, 10, False, mono) == "short"
    assert truncate("x" * 50, 6, 10, False, mono) == ""
