"""A long table for reportlab that splits across pages in linear time, its header on every page.

platypus' Table measures and splits itself again on every page, which for a 10,000-row timeline
costs far more than drawing it; this flowable wraps each cell's text once (greedily), keeps
the rows' running heights, and splits by bisection. Cells are plain text (wrapped at word
boundaries, long tokens such as transaction ids at character boundaries); a cell never holds
markup, so recorded text is printed exactly as recorded.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.textobject import PDFTextObject
from reportlab.platypus import Flowable

PAD_X, PAD_Y = 3.0, 2.5
HEADER_FILL = colors.HexColor("#e6edf3")
STRIPE_FILL = colors.HexColor("#f6f8fa")
RULE = colors.HexColor("#c9d1d9")


@dataclass(frozen=True)
class Column:
    title: str
    width: float
    font: str = "Helvetica"
    size: float = 7.0

    @property
    def leading(self) -> float:
        return self.size * 1.2


@lru_cache(maxsize=4096)
def _char_width(char: str, font: str) -> float:
    """A character's width at size 1 (standard fonts have no kerning in reportlab)."""
    return stringWidth(char, font, 1.0)


def text_width(text: str, font: str, size: float) -> float:
    return float(stringWidth(text, font, size))


def _hard_split(token: str, font: str, size: float, width: float) -> list[str]:
    """A token wider than the column, cut into pieces that fit (ids, hashes)."""
    pieces, piece, used = [], "", 0.0
    for char in token:
        step = size * _char_width(char, font)
        if piece and used + step > width:
            pieces.append(piece)
            piece, used = "", 0.0
        piece += char
        used += step
    return [*pieces, piece] if piece else pieces


def _wrap_paragraph(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap; a word longer than a line is cut."""
    if text_width(text, font, size) <= width:
        return [text]
    space = size * _char_width(" ", font)
    lines: list[str] = []
    line, used = "", 0.0
    for word in text.split():
        length = text_width(word, font, size)
        if line and used + space + length <= width:
            line, used = f"{line} {word}", used + space + length
            continue
        if line:
            lines.append(line)
        if length > width:
            *full, word = _hard_split(word, font, size, width)
            lines.extend(full)
            length = text_width(word, font, size)
        line, used = word, length
    if line:
        lines.append(line)
    return lines


def wrap_cell(text: str, column: Column) -> list[str]:
    width = column.width - 2 * PAD_X
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(_wrap_paragraph(paragraph, column.font, column.size, width) or [""])
    return lines


class _Rows:
    """The wrapped cells of every row and the running sum of row heights."""

    def __init__(self, columns: list[Column], rows: list[list[str]]) -> None:
        self.columns = columns
        self.cells = [
            [wrap_cell(text, c) for text, c in zip(row, columns, strict=True)] for row in rows
        ]
        self.heights = [self.height_of(cells) for cells in self.cells]
        self.tops = [0.0, *accumulate(self.heights)]  # tops[i]: height of rows before row i
        self.header = [
            wrap_cell(c.title, Column(c.title, c.width, "Helvetica-Bold", c.size)) for c in columns
        ]
        self.header_height = self.height_of(self.header)

    def height_of(self, cells: list[list[str]]) -> float:
        return (
            max(len(lines) * c.leading for lines, c in zip(cells, self.columns, strict=True))
            + 2 * PAD_Y
        )


class LongTable(Flowable):
    """Rows [start, end) of a table; `split` hands the rows that do not fit to the next page."""

    def __init__(
        self,
        columns: list[Column],
        rows: list[list[str]] | _Rows,
        start: int = 0,
        end: int | None = None,
    ) -> None:
        super().__init__()
        self.data = rows if isinstance(rows, _Rows) else _Rows(columns, rows)
        self.start = start
        self.end = len(self.data.cells) if end is None else end
        self.width = sum(c.width for c in columns)

    def _height(self, end: int) -> float:
        return self.data.header_height + self.data.tops[end] - self.data.tops[self.start]

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803 (reportlab's names)
        self.height = self._height(self.end)
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803
        room = availHeight - self.data.header_height + self.data.tops[self.start]
        fits = min(bisect_right(self.data.tops, room, lo=self.start) - 1, self.end)
        if fits >= self.end:
            return [self]
        if fits <= self.start:
            return []  # not even one row: the frame moves to the next page
        columns = self.data.columns
        return [
            LongTable(columns, self.data, self.start, fits),
            LongTable(columns, self.data, fits, self.end),
        ]

    def _draw_row(
        self, text: PDFTextObject, top: float, cells: list[list[str]], bold: bool
    ) -> None:
        x = 0.0
        for lines, column in zip(cells, self.data.columns, strict=True):
            text.setFont("Helvetica-Bold" if bold else column.font, column.size)
            y = top - PAD_Y - column.size
            for line in lines:
                text.setTextOrigin(x + PAD_X, y)
                text.textOut(line)
                y -= column.leading
            x += column.width

    def draw(self) -> None:
        """Row bands and rules first, then all the text as one text object (fast to write)."""
        canvas = self.canv
        canvas.saveState()
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.4)
        header = self.data.header_height
        tops = [self.height, self.height - header]
        canvas.setFillColor(HEADER_FILL)
        canvas.rect(0, self.height - header, self.width, header, stroke=0, fill=1)
        canvas.setFillColor(STRIPE_FILL)
        for index in range(self.start, self.end):
            top, height = tops[-1], self.data.heights[index]
            if index % 2:
                canvas.rect(0, top - height, self.width, height, stroke=0, fill=1)
            tops.append(top - height)
        for y in tops[1:]:
            canvas.line(0, y, self.width, y)
        canvas.setFillColor(colors.black)
        text = canvas.beginText()
        self._draw_row(text, tops[0], self.data.header, bold=True)
        for offset, index in enumerate(range(self.start, self.end)):
            self._draw_row(text, tops[offset + 1], self.data.cells[index], bold=False)
        canvas.drawText(text)
        canvas.restoreState()
