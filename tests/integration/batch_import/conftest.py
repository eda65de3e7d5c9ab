"""Helpers of the batch import tests: files built in memory, the import run on the small network.

The small network (tests.support.network) has one product, GTIN 09506000134352 of MakerMSP, and
its batch LOT001 with serials SN0000X…SN0039X; its clock stands at 2026-01-05.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator, Sequence
from datetime import date

import openpyxl
import pytest
from sqlmodel import col, func, select

from services.domain import products
from services.domain.batch_import import ImportReport, import_batches
from services.readmodel.tables import Batch, SerialNumber
from services.runtime import Actor
from tests.support.network import SmallNetwork, build_small_network, with_check_digit

EXPIRY = "2028-06-30"
PACK_HEADER = ["gtin", "lot", "expiry", "serial"]
BATCH_HEADER = ["gtin", "lot", "expiry", "quantity"]
OTHER_GTIN = with_check_digit("0950600099999")  # Maker2MSP's product (see `other_product`)


def csv_bytes(rows: Sequence[Sequence[str]], delimiter: str = ",") -> bytes:
    return "".join(delimiter.join(row) + "\n" for row in rows).encode()


def xlsx_bytes(rows: Sequence[Sequence[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run_import(
    net: SmallNetwork,
    data: bytes,
    filename: str = "export.csv",
    *,
    actor: Actor | None = None,
    **options: object,
) -> ImportReport:
    return import_batches(
        net.rt,
        actor=actor or net.maker,
        source=io.BytesIO(data),
        filename=filename,
        **options,  # type: ignore[arg-type]
    )


def problems(report: ImportReport) -> list[tuple[int, str, str]]:
    """(row, column, code) of every listed error."""
    return [(error.row, error.column, error.code) for error in report.errors]


def statuses(report: ImportReport) -> dict[str, str]:
    """lot → outcome."""
    return {batch.lot: batch.status for batch in report.batches}


def serials_of(net: SmallNetwork, gtin: str, lot: str) -> list[str]:
    with net.rt.session() as session:
        return sorted(
            session.exec(
                select(SerialNumber.serial).where(
                    SerialNumber.gtin == gtin, SerialNumber.lot == lot
                )
            )
        )


def serial_count(net: SmallNetwork) -> int:
    with net.rt.session() as session:
        return session.exec(select(func.count()).select_from(SerialNumber)).one()


def batch_row(net: SmallNetwork, gtin: str, lot: str) -> Batch | None:
    with net.rt.session() as session:
        return session.get(Batch, (gtin, lot))


def lots(net: SmallNetwork) -> list[str]:
    with net.rt.session() as session:
        return sorted(session.exec(select(Batch.lot).order_by(col(Batch.lot))))


def days_ago(net: SmallNetwork, days: int) -> str:
    return date.fromordinal(net.rt.now().date().toordinal() - days).isoformat()


_names = itertools.count(1)


def unique(prefix: str) -> str:
    """A lot or serial no other test of the session uses (tests sharing a network)."""
    return f"{prefix}_{next(_names)}"


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmallNetwork]:
    """One small network for a whole module of tests that use their own lots and serials, plus
    a product of the second manufacturer (GTIN `OTHER_GTIN`)."""
    net = build_small_network(tmp_path_factory.mktemp("import") / "data")
    products.register_product(net.rt, actor=net.maker2, gtin=OTHER_GTIN, name="Ibuprofen")
    yield net
    net.rt.close()
