"""Both layouts (one row per batch, one row per pack), from CSV and from Excel; text survives."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from services.serials.generate import EU_SAFE_ALPHABET
from tests.integration.batch_import.conftest import (
    BATCH_HEADER,
    EXPIRY,
    PACK_HEADER,
    batch_row,
    csv_bytes,
    problems,
    run_import,
    serials_of,
    statuses,
    xlsx_bytes,
)
from tests.support.network import SmallNetwork

pytestmark = pytest.mark.integration


def test_pack_rows_from_csv_keep_leading_zeros(network: SmallNetwork) -> None:
    gtin = network.gtin
    assert gtin.startswith("0")
    rows = [
        PACK_HEADER,
        [gtin, "P1", EXPIRY, "00123"],
        [gtin, "P1", EXPIRY, "000"],
        [gtin, "P1", EXPIRY, "0A-1/2"],
        [gtin[1:], "P2", "280630", "00123X"],  # GTIN-13 spelling of the same product
    ]
    height = network.rt.ledger.height()

    report = run_import(network, csv_bytes(rows))

    assert report.error_count == 0, report.errors
    assert (report.file_type, report.layout, report.rows_read) == ("csv", "packs", 4)
    assert statuses(report) == {"P1": "committed", "P2": "committed"}
    assert serials_of(network, gtin, "P1") == ["000", "00123", "0A-1/2"]
    assert serials_of(network, gtin, "P2") == ["00123X"]
    first = report.batches[0]
    assert (first.gtin, first.expiry, first.quantity, first.first_row, first.rows) == (
        gtin,
        EXPIRY,
        3,
        2,
        3,
    )
    assert first.tx_id
    assert first.block is not None
    assert network.rt.ledger.height() == height + 2
    stored = batch_row(network, gtin, "P1")
    assert stored is not None
    assert (stored.quantity, stored.expiry, stored.manufacturer) == (3, EXPIRY, "MakerMSP")


def test_batch_rows_from_csv_generate_serials(network: SmallNetwork) -> None:
    rows = [
        [" GTIN ", "Batch", "Expiry Date", "QTY"],  # headers: any case, spaces, aliases
        [network.gtin, "B-001", "2028-02-00", "25"],  # day 00: the last day of the month
        [network.gtin, "B-002", "290100", "1"],
    ]

    report = run_import(network, csv_bytes(rows, delimiter=";"), "erp.CSV")

    assert report.error_count == 0, report.errors
    assert report.layout == "batches"
    assert statuses(report) == {"B-001": "committed", "B-002": "committed"}
    assert [b.expiry for b in report.batches] == ["2028-02-29", "2029-01-31"]
    generated = serials_of(network, network.gtin, "B-001")
    assert len(generated) == 25
    assert all(set(serial) <= set(EU_SAFE_ALPHABET) for serial in generated)
    stored = batch_row(network, network.gtin, "B-002")
    assert stored is not None
    assert stored.quantity == 1


def test_pack_rows_from_xlsx_keep_text_cells(network: SmallNetwork) -> None:
    rows: list[list[object]] = [
        ["Gtin", "Lot", "Expiry", "Serial Number"],
        [network.gtin, "X1", datetime(2028, 6, 30), "00123"],  # a date cell for the expiry
        [int(network.gtin), "X1", EXPIRY, "00124"],  # a number cell for the GTIN
        [network.gtin, "X1", date(2028, 6, 30), "0"],
    ]

    report = run_import(network, xlsx_bytes(rows), "export.xlsx")

    assert report.error_count == 0, report.errors
    assert (report.file_type, report.layout, report.rows_read) == ("xlsx", "packs", 3)
    assert statuses(report) == {"X1": "committed"}
    assert serials_of(network, network.gtin, "X1") == ["0", "00123", "00124"]


def test_batch_rows_from_xlsx(network: SmallNetwork) -> None:
    rows: list[list[object]] = [
        BATCH_HEADER,
        [network.gtin, "0042", "2028-06-30", 12],
        [network.gtin, "0043", 280630, "7"],  # YYMMDD typed as a number
    ]

    report = run_import(network, xlsx_bytes(rows), "export.xlsx")

    assert report.error_count == 0, report.errors
    assert report.layout == "batches"
    assert {(b.lot, b.quantity, b.expiry, b.status) for b in report.batches} == {
        ("0042", 12, "2028-06-30", "committed"),
        ("0043", 7, "2028-06-30", "committed"),
    }
    assert len(serials_of(network, network.gtin, "0042")) == 12


def test_row_numbers_are_the_spreadsheet_rows(network: SmallNetwork) -> None:
    """Blank lines are skipped but counted, and a quoted cell spanning lines is one row."""
    data = (
        "gtin,lot,expiry,serial\n"
        f"{network.gtin},R1,{EXPIRY},A1\n"
        "\n"
        ",,,\n"
        f'{network.gtin},R1,{EXPIRY},"A\n2"\n'
        f"{network.gtin},R1,{EXPIRY},A 3\n"
    ).encode()

    report = run_import(network, data)

    assert report.rows_read == 3
    assert problems(report) == [(5, "serial", "INVALID_SERIAL"), (6, "serial", "INVALID_SERIAL")]


def test_xlsx_row_numbers_skip_nothing(network: SmallNetwork) -> None:
    rows: list[list[object]] = [
        [],
        PACK_HEADER,  # the first non-empty row is the header
        [network.gtin, "R1", EXPIRY, "A1"],
        [],
        [network.gtin, "R1", EXPIRY, 17],
    ]

    report = run_import(network, xlsx_bytes(rows), "export.xlsx")

    assert problems(report) == [(5, "serial", "NUMBER_CELL")]
