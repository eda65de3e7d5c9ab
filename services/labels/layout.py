"""Label geometry in printer dots, shared by the PNG renderer and the PDF sheet writer.

A label is planned once as a `LabelLayout` (symbols with their module size, text lines with their
baselines and font sizes) on the printer's dot grid, then drawn by either output. Planning on the
dot grid keeps every module a whole number of dots, so a 300 or 600 dpi printer reproduces module
widths exactly; the PDF writer converts dots to points only when it writes.

Text is measured through a `Measure` callback, because the two outputs use different fonts (a
TrueType font in PNGs, the PDF base-14 Courier in sheets) with nearly the same advance width.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from services.labels.errors import LabelLayoutError
from services.labels.modules import ModuleMatrix

__all__ = [
    "LINE_PITCH",
    "LabelLayout",
    "Measure",
    "SymbolBox",
    "TextLine",
    "dots",
    "fit_font_size",
    "module_size",
    "pt_to_dots",
    "require",
    "truncate",
    "wrap",
]

MM_PER_INCH = 25.4
LINE_PITCH = 1.22
"""Baseline-to-baseline distance as a multiple of the font size."""

Measure = Callable[[str, int, bool], float]
"""Width in dots of `text` at font size `size` (dots), bold or not."""


def dots(mm: float, dpi: int) -> int:
    """Millimetres to whole printer dots (rounded)."""
    return round(mm * dpi / MM_PER_INCH)


def pt_to_dots(points: float, dpi: int) -> int:
    """Typographic points (1/72 inch) to whole printer dots (rounded)."""
    return round(points * dpi / 72)


def module_size(target_mm: float, minimum_mm: float, dpi: int) -> tuple[int, int]:
    """(target, minimum) module size in dots: the target rounded, the minimum rounded up."""
    minimum = max(1, math.ceil(minimum_mm * dpi / MM_PER_INCH - 1e-9))
    return max(minimum, dots(target_mm, dpi)), minimum


@dataclass(frozen=True, slots=True)
class SymbolBox:
    """A symbol placed on the label: its top-left corner (quiet zone excluded) and module size.

    `bar_height` (dots) is set for a linear barcode, whose one row of modules is stretched.
    """

    x: int
    y: int
    module: int
    matrix: ModuleMatrix
    bar_height: int | None = None

    @property
    def width(self) -> int:
        return self.matrix.width * self.module

    @property
    def height(self) -> int:
        return self.bar_height if self.bar_height is not None else self.matrix.height * self.module


@dataclass(frozen=True, slots=True)
class TextLine:
    """One line of text: left end of its baseline, font size in dots (the em), weight."""

    x: int
    baseline: int
    size: int
    text: str
    bold: bool = False


@dataclass(frozen=True, slots=True)
class LabelLayout:
    """Everything to draw on one label, in dots at `dpi`, origin top-left."""

    width: int
    height: int
    dpi: int
    symbols: tuple[SymbolBox, ...]
    lines: tuple[TextLine, ...]


def fit_font_size(
    lines: Sequence[tuple[str, bool]], width: int, largest: int, measure: Measure
) -> int:
    """The largest size <= `largest` at which every (text, bold) line is at most `width` wide.

    Returns 0 if not even size 1 fits.
    """
    size = largest
    for text, bold in lines:
        at_largest = measure(text, largest, bold)
        if at_largest > width:  # advance widths scale linearly with the size
            size = min(size, int(largest * width / at_largest))
    while size > 0 and any(measure(text, size, bold) > width for text, bold in lines):
        size -= 1  # rounding (hinting) can make the linear estimate a dot too wide
    return size


def truncate(text: str, width: int, size: int, bold: bool, measure: Measure) -> str:
    """`text`, cut and ended with "…" if it is wider than `width`."""
    if measure(text, size, bold) <= width:
        return text
    while text and measure(text + "…", size, bold) > width:
        text = text[:-1].rstrip()
    return text + "…" if text else ""


def wrap(
    text: str, width: int, size: int, bold: bool, measure: Measure, max_lines: int
) -> list[str]:
    """Greedy word wrap into at most `max_lines` lines; the last one truncated if need be."""
    words = text.split()
    lines: list[str] = []
    while words and len(lines) < max_lines - 1:
        line = words.pop(0)
        while words and measure(f"{line} {words[0]}", size, bold) <= width:
            line = f"{line} {words.pop(0)}"
        if measure(line, size, bold) > width:  # a single over-long word: let truncate cut it
            words.insert(0, line)
            break
        lines.append(line)
    if words:
        lines.append(truncate(" ".join(words), width, size, bold, measure))
    return lines


def require(condition: bool, message: str) -> None:
    """Raise `LabelLayoutError(message)` unless `condition`."""
    if not condition:
        raise LabelLayoutError(message)
