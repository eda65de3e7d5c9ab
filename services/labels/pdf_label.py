"""A `LabelLayout` as PDF content-stream operators, in the label's own coordinates.

The layout is in printer dots with the origin at the top left; PDF user space is in points with
the origin at the bottom left. Operators are made relative to the label's bottom-left corner, so
the sheet places a label with one `cm` translation and a label's operators can be made in any
process (see `sheet`).
"""

from services.labels.layout import LabelLayout, SymbolBox, TextLine
from services.labels.pdf import number, pdf_text

__all__ = ["label_operations"]


def label_operations(layout: LabelLayout) -> bytes:
    """Operators that draw the label's symbols and text, origin at its bottom-left corner."""
    scale = 72 / layout.dpi
    parts = [_symbol(box, layout.height, scale) for box in layout.symbols]
    if layout.lines:
        parts.append(b"BT\n")
        parts += [_text(line, layout.height, scale) for line in layout.lines]
        parts.append(b"ET\n")
    return b"".join(parts)


def _symbol(box: SymbolBox, label_height: int, scale: float) -> bytes:
    """An inline image mask of the modules, stretched over the symbol's box (0 bits paint)."""
    matrix = box.matrix
    bottom = (label_height - box.y - box.height) * scale
    return b"q %s 0 0 %s %s %s cm\nBI /IM true /W %d /H %d /BPC 1 /F /AHx ID\n%s>\nEI Q\n" % (
        number(box.width * scale),
        number(box.height * scale),
        number(box.x * scale),
        number(bottom),
        matrix.width,
        matrix.height,
        matrix.bits.hex().encode(),
    )


def _text(line: TextLine, label_height: int, scale: float) -> bytes:
    font = b"/F2" if line.bold else b"/F1"
    return b"%s %s Tf 1 0 0 1 %s %s Tm %s Tj\n" % (
        font,
        number(line.size * scale),
        number(line.x * scale),
        number((label_height - line.baseline) * scale),
        pdf_text(line.text),
    )
