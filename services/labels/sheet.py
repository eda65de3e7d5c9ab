"""`render_sheet_pdf`: pack labels in a grid on A4 or Letter sheets, streamed to a PDF.

Labels are read from any iterable (such as `labels_for_batch`, which streams from the database),
laid out one by one and written page by page (see `pdf` for why a small writer of our own), so
memory stays flat whether a run has forty labels or a million. Each label is the same layout as
the PNG label (`pack_layout`), on the printer's dot grid, drawn as vectors and image masks.

Speed: laying out and encoding a label costs ~2 ms of CPU (QR mask selection the largest
part), so `workers=2` lays labels out in two spawned processes, in chunks, with a bounded number
of chunks in flight (memory stays bounded) and the page order kept.
"""

import multiprocessing
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import chain, islice
from typing import BinaryIO, Literal

from services.gs1 import PackIdentifier
from services.labels.errors import LabelDataError
from services.labels.layout import MM_PER_INCH, require
from services.labels.pack_layout import PackLabelSpec, plan_pack_label
from services.labels.pdf import PdfWriter, courier_measure, number
from services.labels.pdf_label import label_operations

__all__ = ["PAPER_MM", "Paper", "Progress", "SheetGrid", "render_sheet_pdf", "sheet_grid"]

Paper = Literal["A4", "Letter"]
PAPER_MM: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}

Progress = Callable[[int, int | None], None]
"""Called as progress(labels done, total or None) after every page."""

_CHUNK = 64
"""Labels per task sent to a worker process."""

_POINTS_PER_MM = 72 / MM_PER_INCH


@dataclass(frozen=True, slots=True)
class SheetGrid:
    """Where labels go on a sheet: columns x rows, filled row by row from the top left."""

    paper_mm: tuple[float, float]
    label_mm: tuple[float, float]
    margins_mm: tuple[float, float]
    gap_mm: tuple[float, float]
    columns: int
    rows: int

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    @property
    def page_points(self) -> tuple[float, float]:
        return self.paper_mm[0] * _POINTS_PER_MM, self.paper_mm[1] * _POINTS_PER_MM

    def slot_points(self, index: int) -> tuple[float, float]:
        """Bottom-left corner, in points, of the `index`-th label on a page."""
        row, column = divmod(index, self.columns)
        left = self.margins_mm[0] + column * (self.label_mm[0] + self.gap_mm[0])
        top = self.margins_mm[1] + row * (self.label_mm[1] + self.gap_mm[1])
        bottom = self.paper_mm[1] - top - self.label_mm[1]
        return left * _POINTS_PER_MM, bottom * _POINTS_PER_MM


def sheet_grid(
    paper: Paper,
    label_size_mm: tuple[float, float],
    margins_mm: tuple[float, float],
    gap_mm: tuple[float, float],
) -> SheetGrid:
    """As many columns and rows as fit inside the margins (left/right, top/bottom) with gaps.

    Raises:
        LabelLayoutError: if not one label fits, or a size is negative.
    """
    require(paper in PAPER_MM, f"paper must be one of {', '.join(PAPER_MM)}, got {paper!r}.")
    require(
        min(*margins_mm, *gap_mm) >= 0 and min(label_size_mm) > 0,
        "Margins and gaps must not be negative, and the label size must be positive.",
    )
    paper_mm = PAPER_MM[paper]
    columns, rows = (
        int((paper_mm[i] - 2 * margins_mm[i] + gap_mm[i]) // (label_size_mm[i] + gap_mm[i]))
        for i in (0, 1)
    )
    require(
        columns > 0 and rows > 0,
        f"A {label_size_mm[0]} x {label_size_mm[1]} mm label does not fit on {paper} inside "
        f"{margins_mm} mm margins.",
    )
    return SheetGrid(paper_mm, label_size_mm, margins_mm, gap_mm, columns, rows)


def render_sheet_pdf(
    labels: Iterable[tuple[PackIdentifier, str]],
    out: BinaryIO,
    *,
    paper: Paper = "A4",
    label_size_mm: tuple[float, float] = (50.0, 25.0),
    margins_mm: tuple[float, float] = (10.0, 10.0),
    gap_mm: tuple[float, float] = (2.0, 2.0),
    domain: str = "id.gs1.org",
    dpi: int = 300,
    total: int | None = None,
    progress: Progress | None = None,
    workers: int = 1,
) -> int:
    """Write (pack, product name) labels to `out` as printable sheets; return the page count.

    Args:
        labels: the packs and their product names, in print order; read once, lazily.
        out: a binary stream; only `write` is used (a file, a socket, a response body).
        paper: "A4" (210 x 297 mm) or "Letter" (8.5 x 11 in).
        label_size_mm: width and height of one label.
        margins_mm: (left and right, top and bottom) page margins.
        gap_mm: (horizontal, vertical) space between labels.
        domain: resolver domain of the Digital Links in the QR codes.
        dpi: the printer's dot grid that module sizes are whole multiples of.
        total: the number of labels, if known, passed on to `progress`.
        progress: called as progress(done, total) after each page.
        workers: processes that lay labels out (2 on a 2-core machine); 1 lays them out here.

    Raises:
        LabelDataError: if there are no labels, or a pack cannot be encoded (nothing useful
            is left in `out` then: the PDF is incomplete).
        LabelLayoutError: if a label does not fit its size or the paper.
    """
    spec = PackLabelSpec(size_mm=label_size_mm, dpi=dpi, domain=domain)
    grid = sheet_grid(paper, label_size_mm, margins_mm, gap_mm)
    operations = _operations(labels, spec, workers)
    try:
        first = next(operations, None)
        if first is None:
            msg = "There are no labels to print."
            raise LabelDataError(msg)
        writer = PdfWriter(out, title="PharmaTrace pack labels")
        _write_pages(writer, grid, chain([first], operations), total, progress)
    finally:
        operations.close()  # stops worker processes at once if a label failed
    return writer.page_count


def _write_pages(
    writer: PdfWriter,
    grid: SheetGrid,
    operations: Iterator[bytes],
    total: int | None,
    progress: Progress | None,
) -> None:
    """Place each label's operators in its grid slot, a page at a time; close the PDF."""
    page: list[bytes] = []
    done = 0
    for label in operations:
        x, y = grid.slot_points(len(page))
        page.append(b"q 1 0 0 1 %s %s cm\n%sQ\n" % (number(x), number(y), label))
        done += 1
        if len(page) == grid.per_page:
            writer.add_page(*grid.page_points, b"".join(page))
            page.clear()
            if progress is not None:
                progress(done, total)
    if page:
        writer.add_page(*grid.page_points, b"".join(page))
        if progress is not None:
            progress(done, total)
    writer.close()


def _operations(
    labels: Iterable[tuple[PackIdentifier, str]], spec: PackLabelSpec, workers: int
) -> Generator[bytes, None, None]:
    """Each label's PDF operators, in order, laid out here or in worker processes."""
    if workers <= 1:
        for pack, product_name in labels:
            yield _label(spec, pack, product_name)
        return
    yield from _parallel_operations(labels, spec, workers)


def _label(spec: PackLabelSpec, pack: PackIdentifier, product_name: str) -> bytes:
    layout = plan_pack_label(pack, product_name=product_name, spec=spec, measure=courier_measure)
    return label_operations(layout)


def _chunk_operations(spec: PackLabelSpec, chunk: list[tuple[PackIdentifier, str]]) -> list[bytes]:
    """Run in a worker process: the operators of a chunk of labels."""
    return [_label(spec, pack, product_name) for pack, product_name in chunk]


def _parallel_operations(
    labels: Iterable[tuple[PackIdentifier, str]], spec: PackLabelSpec, workers: int
) -> Generator[bytes, None, None]:
    """`_chunk_operations` in `workers` spawned processes, at most 2 chunks per worker queued.

    Spawned, not forked: the caller may hold threads and database connections that a fork
    would copy in an undefined state.
    """
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
    pending: deque[Future[list[bytes]]] = deque()
    source = iter(labels)
    try:
        while chunk := list(islice(source, _CHUNK)):
            pending.append(pool.submit(_chunk_operations, spec, chunk))
            if len(pending) >= 2 * workers:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
