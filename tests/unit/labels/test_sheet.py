"""PDF sheets: page count and page size for A4 and Letter, a valid streamed PDF, progress."""

import datetime as dt
import io
import math
from collections.abc import Iterator

import pytest
from pypdf import PdfReader

from services.gs1 import PackIdentifier
from services.labels import LabelDataError, LabelLayoutError, render_sheet_pdf
from services.labels.sheet import sheet_grid

pytestmark = pytest.mark.unit

POINTS = {"A4": (595.276, 841.89), "Letter": (612.0, 792.0)}


def labels(count: int) -> Iterator[tuple[PackIdentifier, str]]:
    for index in range(count):
        pack = PackIdentifier(
            gtin="09506000134352",
            lot="LOT001",
            serial=f"SN{index:05d}X",
            expiry=dt.date(2027, 1, 5),
        )
        yield pack, "Paracetamol 500 mg tablets"


@pytest.mark.parametrize(("paper", "per_page"), [("A4", 30), ("Letter", 27)], ids=["A4", "Letter"])
@pytest.mark.parametrize("count", [1, 27, 30, 61])
def test_page_count_and_size(paper: str, per_page: int, count: int) -> None:
    out = io.BytesIO()

    pages = render_sheet_pdf(labels(count), out, paper=paper)  # type: ignore[arg-type]

    assert pages == math.ceil(count / per_page)
    reader = PdfReader(io.BytesIO(out.getvalue()), strict=True)
    assert len(reader.pages) == pages
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (width, height) == pytest.approx(POINTS[paper], abs=0.01)


def test_pdf_is_well_formed_and_carries_the_text() -> None:
    out = io.BytesIO()

    render_sheet_pdf(labels(31), out, paper="A4")

    data = out.getvalue()
    assert data.startswith(b"%PDF-1.4\n")
    assert data.rstrip().endswith(b"%%EOF")
    reader = PdfReader(io.BytesIO(data), strict=True)
    first, second = (page.extract_text() for page in reader.pages)
    assert "SN00000X" in first
    assert "SN00029X" in first
    assert "SN00030X" in second
    assert "GTIN 09506000134352" in first
    assert "EXP  2027-01-05" in first


def test_grid_follows_label_size_margins_and_gaps() -> None:
    grid = sheet_grid("A4", (70.0, 37.0), (0.0, 0.0), (0.0, 0.0))

    assert (grid.columns, grid.rows) == (3, 8)  # the classic 24-up A4 label sheet
    assert grid.slot_points(0) == pytest.approx((0.0, (297 - 37) * 72 / 25.4))
    assert grid.slot_points(4)[0] == pytest.approx(70 * 72 / 25.4)


def test_progress_is_reported_after_every_page() -> None:
    calls: list[tuple[int, int | None]] = []

    render_sheet_pdf(labels(65), io.BytesIO(), total=65, progress=lambda d, t: calls.append((d, t)))

    assert calls == [(30, 65), (60, 65), (65, 65)]


def test_no_labels_is_an_error_and_writes_nothing() -> None:
    out = io.BytesIO()

    with pytest.raises(LabelDataError, match="no labels"):
        render_sheet_pdf(iter([]), out)
    assert out.getvalue() == b""


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"label_size_mm": (250.0, 25.0)}, "does not fit on A4"),
        ({"margins_mm": (-1.0, 10.0)}, "negative"),
        ({"paper": "A3"}, "paper must be one of"),
    ],
)
def test_a_grid_that_cannot_be_printed_is_refused(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(LabelLayoutError, match=match):
        render_sheet_pdf(labels(1), io.BytesIO(), **kwargs)  # type: ignore[arg-type]


def test_labels_are_read_lazily_page_by_page() -> None:
    taken: list[int] = []

    def counted() -> Iterator[tuple[PackIdentifier, str]]:
        for index, label in enumerate(labels(90)):
            taken.append(index)
            yield label

    pages: list[int] = []
    render_sheet_pdf(counted(), io.BytesIO(), progress=lambda done, _t: pages.append(len(taken)))

    assert pages == [30, 60, 90]  # never more than a page read ahead


def test_a_label_that_cannot_be_made_stops_the_run() -> None:
    batch = list(labels(40))
    batch[35] = (PackIdentifier(gtin="09506000134352", lot="L", serial="S"), "no expiry")

    with pytest.raises(LabelDataError, match="missing: expiry"):
        render_sheet_pdf(batch, io.BytesIO())
