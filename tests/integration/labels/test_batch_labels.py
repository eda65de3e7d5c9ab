"""Labels for a registered batch: streamed from the read model, printed as a PDF sheet, and
read back from the rasterised pages with zxing-cpp (pdftoppm, from Debian's poppler-utils)."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from sqlmodel import Session, col, select

from services.gs1 import PackIdentifier, parse_code, to_digital_link
from services.labels import (
    LabelDataError,
    UnknownBatchError,
    labels_for_batch,
    render_sheet_pdf,
)
from services.labels.sheet import sheet_grid
from services.readmodel.tables import SerialNumber
from tests.support.network import SmallNetwork
from tests.unit.labels.support import decode, only

pytestmark = pytest.mark.integration

RASTER_DPI = 300


def test_batch_yields_every_serial_in_leaf_order_with_name_and_expiry(
    network: SmallNetwork,
) -> None:
    with Session(network.rt.engine) as session:
        leaf_order = list(
            session.exec(
                select(SerialNumber.serial)
                .where(SerialNumber.gtin == network.gtin, SerialNumber.lot == network.lot)
                .order_by(col(SerialNumber.leaf_index))
            )
        )

    labels = list(
        labels_for_batch(network.rt.engine, gtin=network.gtin, lot=network.lot, chunk_size=7)
    )

    assert [pack.serial for pack, _ in labels] == leaf_order
    assert sorted(leaf_order) == sorted(network.serials)
    assert len(labels) == 40
    assert {name for _, name in labels} == {"Paracetamol 500 mg tablets"}
    assert {(p.gtin, p.lot, p.expiry) for p, _ in labels} == {
        (network.gtin, network.lot, network.expiry)
    }


def test_an_unknown_batch_or_a_bad_gtin_fails_before_iteration(network: SmallNetwork) -> None:
    with pytest.raises(UnknownBatchError, match="NOPE"):
        labels_for_batch(network.rt.engine, gtin=network.gtin, lot="NOPE")
    with pytest.raises(LabelDataError, match="GTIN"):
        labels_for_batch(network.rt.engine, gtin="09506000134353", lot=network.lot)


def test_a_generator_closed_early_releases_its_connection(network: SmallNetwork) -> None:
    labels = labels_for_batch(network.rt.engine, gtin=network.gtin, lot=network.lot, chunk_size=5)
    first = next(labels)
    labels.close()

    assert first[0].serial is not None
    assert network.rt.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def rasterise(pdf: bytes, tmp_path: Path) -> list[Image.Image]:
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm is missing: install Debian's poppler-utils (scripts/setup.sh --apt).")
    source = tmp_path / "sheet.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(RASTER_DPI), "-gray", "-png", str(source), str(tmp_path / "page")],
        check=True,
        timeout=120,
    )
    pages = []
    for path in sorted(tmp_path.glob("page-*.png")):
        with Image.open(path) as page:
            pages.append(page.copy())
    return pages


def test_a_sheet_of_the_batch_decodes_back_to_all_40_packs(
    network: SmallNetwork, tmp_path: Path
) -> None:
    out = io.BytesIO()
    pages = render_sheet_pdf(
        labels_for_batch(network.rt.engine, gtin=network.gtin, lot=network.lot),
        out,
        paper="A4",
        total=40,
    )
    assert pages == 2

    grid = sheet_grid("A4", (50.0, 25.0), (10.0, 10.0), (2.0, 2.0))
    scale = RASTER_DPI / 72
    pad = round(1.5 / 25.4 * RASTER_DPI)  # into the gap: the label's own edge is quiet already
    element_strings: list[bytes] = []
    links: list[str] = []
    for page_index, page in enumerate(rasterise(out.getvalue(), tmp_path)):
        assert page.size == pytest.approx((2480, 3508), abs=1)  # A4 at 300 dpi
        for slot in range(min(grid.per_page, 40 - page_index * grid.per_page)):
            x, y = grid.slot_points(slot)
            left = round(x * scale) - pad
            top = round((grid.page_points[1] - y - 25 * 72 / 25.4) * scale) - pad
            crop = page.crop(
                (
                    left,
                    top,
                    left + round(50 / 25.4 * RASTER_DPI) + 2 * pad,
                    top + round(25 / 25.4 * RASTER_DPI) + 2 * pad,
                )
            )
            found = decode(crop)
            datamatrix = only(found, zxingcpp.BarcodeFormat.DataMatrix)
            assert datamatrix.symbology_identifier == "]d2"
            assert datamatrix.content_type == zxingcpp.ContentType.GS1
            element_strings.append(datamatrix.bytes)
            links.append(only(found, zxingcpp.BarcodeFormat.QRCode).text)

    expected = [network.code(serial).encode() for serial in sorted(network.serials)]
    assert element_strings == expected
    for link, serial in zip(links, sorted(network.serials), strict=True):
        pack = PackIdentifier(
            gtin=network.gtin, lot=network.lot, serial=serial, expiry=network.expiry
        )
        assert link == to_digital_link(pack)
        assert parse_code(link).identifier == pack


def test_two_worker_processes_write_the_same_pdf(network: SmallNetwork) -> None:
    def sheet(workers: int) -> bytes:
        out = io.BytesIO()
        labels = labels_for_batch(network.rt.engine, gtin=network.gtin, lot=network.lot)
        render_sheet_pdf(labels, out, paper="Letter", workers=workers)
        return out.getvalue()

    assert sheet(2) == sheet(1)


def test_a_label_failing_in_a_worker_stops_the_run(network: SmallNetwork) -> None:
    labels = list(labels_for_batch(network.rt.engine, gtin=network.gtin, lot=network.lot))
    broken = PackIdentifier(gtin=network.gtin, lot=network.lot, expiry=network.expiry)
    labels[33] = (broken, "no serial")

    with pytest.raises(LabelDataError, match="missing: serial"):
        render_sheet_pdf(labels, io.BytesIO(), workers=2)
