"""Every kind of bad input: the row, the column and the code the report gives for it."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from services.batch_import.errors import ImportFileError
from services.domain.batch_import import import_batches
from services.errors import PharmaTraceError
from tests.integration.batch_import.conftest import (
    BATCH_HEADER,
    EXPIRY,
    OTHER_GTIN,
    PACK_HEADER,
    csv_bytes,
    days_ago,
    lots,
    problems,
    run_import,
    statuses,
    unique,
    xlsx_bytes,
)
from tests.support.network import SmallNetwork

pytestmark = pytest.mark.integration

G = "09506000134352"  # the small network's product (MakerMSP)


@pytest.mark.parametrize(
    ("row", "column", "code"),
    [
        ([G[:-1] + "0", "L1", EXPIRY, "S1"], "gtin", "INVALID_GTIN"),  # check digit
        (["0950600013435", "L1", EXPIRY, "S1"], "gtin", "INVALID_GTIN"),  # 13 digits, wrong
        (["9506-0001", "L1", EXPIRY, "S1"], "gtin", "INVALID_GTIN"),
        (["09506000134369", "L1", EXPIRY, "S1"], "gtin", "UNKNOWN_PRODUCT"),
        ([G, "L" * 21, EXPIRY, "S1"], "lot", "INVALID_LOT"),  # over 20 characters
        ([G, "LÖT1", EXPIRY, "S1"], "lot", "INVALID_LOT"),  # outside CSET 82
        ([G, "L1", EXPIRY, "S" * 21], "serial", "INVALID_SERIAL"),
        ([G, "L1", EXPIRY, "S 1"], "serial", "INVALID_SERIAL"),
        ([G, "L1", "2028-02-30", "S1"], "expiry", "INVALID_EXPIRY"),
        ([G, "L1", "30/06/2028", "S1"], "expiry", "INVALID_EXPIRY"),
        ([G, "L1", "281300", "S1"], "expiry", "INVALID_EXPIRY"),
        ([G, "L1", "2026-01-05", "S1"], "expiry", "EXPIRY_NOT_IN_FUTURE"),  # today
        ([G, "L1", "", "S1"], "expiry", "MISSING_VALUE"),
        ([G, "L1", EXPIRY, ""], "serial", "MISSING_VALUE"),
        ([G, "L1", EXPIRY, "=HYPERLINK(1)"], "serial", "FORMULA"),
        ([G, "L1", EXPIRY, "NaN"], "serial", "NOT_A_VALUE"),
        ([G, "#N/A", EXPIRY, "S1"], "lot", "NOT_A_VALUE"),
        ([G, "L1", EXPIRY, "SN0001X"], "serial", "SERIAL_REUSED"),  # LOT001 has it
    ],
)
def test_pack_row_errors(shared: SmallNetwork, row: list[str], column: str, code: str) -> None:
    ok = unique("OK")
    report = run_import(shared, csv_bytes([PACK_HEADER, [G, ok, EXPIRY, unique("S")], row]))

    assert problems(report) == [(3, column, code)]
    assert report.errors[0].message
    assert statuses(report)[ok] == "committed"
    assert "L1" not in lots(shared)


@pytest.mark.parametrize(
    ("row", "column", "code"),
    [
        ([G, "Q1", EXPIRY, "0"], "quantity", "INVALID_QUANTITY"),
        ([G, "Q1", EXPIRY, "5000001"], "quantity", "INVALID_QUANTITY"),
        ([G, "Q1", EXPIRY, "99999999999999999999"], "quantity", "INVALID_QUANTITY"),
        ([G, "Q1", EXPIRY, "ten"], "quantity", "INVALID_QUANTITY"),
        ([G, "Q1", EXPIRY, "2.5"], "quantity", "INVALID_QUANTITY"),
        ([G, "Q1", EXPIRY, ""], "quantity", "MISSING_VALUE"),
        ([G, "{ok}", EXPIRY, "3"], "lot", "DUPLICATE_BATCH"),  # the same batch twice
        ([G, "LOT001", EXPIRY, "40"], "lot", "BATCH_EXISTS"),  # registered with another expiry
    ],
)
def test_batch_row_errors(shared: SmallNetwork, row: list[str], column: str, code: str) -> None:
    ok = unique("OK")
    row = [cell.format(ok=ok) for cell in row]
    report = run_import(shared, csv_bytes([BATCH_HEADER, [G, ok, EXPIRY, "2"], row]))

    assert problems(report) == [(3, column, code)]


def test_duplicate_batch_row_invalidates_the_whole_batch(shared: SmallNetwork) -> None:
    report = run_import(
        shared, csv_bytes([BATCH_HEADER, [G, "D1", EXPIRY, "2"], [G, "D1", EXPIRY, "2"]])
    )

    assert problems(report) == [(3, "lot", "DUPLICATE_BATCH")]
    assert statuses(report) == {"D1": "skipped_invalid"}
    assert "D1" not in lots(shared)


def test_another_manufacturers_gtin_is_refused(shared: SmallNetwork) -> None:
    mine = unique("M")
    rows = [PACK_HEADER, [OTHER_GTIN, "M1", EXPIRY, "S1"], [G, mine, EXPIRY, unique("S")]]
    report = run_import(shared, csv_bytes(rows))

    assert problems(report) == [(2, "gtin", "NOT_PRODUCT_OWNER")]
    assert "Maker2MSP" in report.errors[0].message
    assert statuses(report) == {"M1": "skipped_invalid", mine: "committed"}


def test_duplicate_serials_in_the_file(shared: SmallNetwork) -> None:
    rows = [
        PACK_HEADER,
        [G, "A", EXPIRY, "S1"],
        [G, "A", EXPIRY, "S2"],
        [G, "A", EXPIRY, "S1"],  # twice in its batch
        [G, "B", EXPIRY, "S2"],  # in another batch of the same GTIN
    ]
    report = run_import(shared, csv_bytes(rows))

    assert problems(report) == [
        (4, "serial", "DUPLICATE_SERIAL"),
        (5, "serial", "DUPLICATE_SERIAL"),
    ]
    assert "row 2" in report.errors[0].message
    assert statuses(report) == {"A": "skipped_invalid", "B": "skipped_invalid"}


def test_reused_serials_are_reported_with_the_other_errors(shared: SmallNetwork) -> None:
    lot = unique("R")
    rows = [PACK_HEADER, [G, lot, EXPIRY, "S 1"], [G, lot, EXPIRY, "SN0002X"]]
    report = run_import(shared, csv_bytes(rows))

    assert problems(report) == [(2, "serial", "INVALID_SERIAL"), (3, "serial", "SERIAL_REUSED")]
    assert "2 errors" in report.batches[0].message


def test_inconsistent_expiry_within_a_batch(shared: SmallNetwork) -> None:
    rows = [
        PACK_HEADER,
        [G, "E1", "2028-06-30", "S1"],
        [G, "E1", "280630", "S2"],  # the same date, written as YYMMDD: fine
        [G, "E1", "2028-07-31", "S3"],
    ]
    report = run_import(shared, csv_bytes(rows))

    assert problems(report) == [(4, "expiry", "INCONSISTENT_EXPIRY")]
    assert statuses(report) == {"E1": "skipped_invalid"}


def test_past_expiry(shared: SmallNetwork) -> None:
    report = run_import(shared, csv_bytes([PACK_HEADER, [G, "E2", days_ago(shared, 1), "S"]]))

    assert problems(report) == [(2, "expiry", "EXPIRY_NOT_IN_FUTURE")]


def test_several_errors_in_one_row_are_all_listed(shared: SmallNetwork) -> None:
    report = run_import(shared, csv_bytes([PACK_HEADER, ["123", "L 1", "soon", ""]]))

    assert problems(report) == [
        (2, "gtin", "INVALID_GTIN"),
        (2, "lot", "INVALID_LOT"),
        (2, "expiry", "INVALID_EXPIRY"),
        (2, "serial", "MISSING_VALUE"),
    ]


def test_a_value_under_a_column_without_header(shared: SmallNetwork) -> None:
    report = run_import(
        shared,
        csv_bytes([[*PACK_HEADER, ""], [G, "U1", EXPIRY, "S1", ""], [G, "U1", EXPIRY, "S2", "x"]]),
    )

    assert problems(report) == [(3, "column E", "UNEXPECTED_VALUE")]


def test_xlsx_cells_that_lose_or_hide_data(shared: SmallNetwork) -> None:
    rows: list[list[object]] = [
        PACK_HEADER,
        [G, "W1", EXPIRY, 123],  # a number: leading zeros may be gone
        [G, "W1", EXPIRY, "=A1"],  # a formula
        [G, 77, EXPIRY, "S3"],
        [G, "W1", True, "S4"],
    ]
    report = run_import(shared, xlsx_bytes(rows), "packs.xlsx")

    assert problems(report) == [
        (2, "serial", "NUMBER_CELL"),
        (3, "serial", "FORMULA"),
        (4, "lot", "NUMBER_CELL"),
        (5, "expiry", "INVALID_CELL"),
    ]


# -- the file as a whole ---------------------------------------------------------------------


def file_error(shared: SmallNetwork, data: bytes, filename: str = "x.csv") -> ImportFileError:
    height = shared.rt.ledger.height()
    with pytest.raises(ImportFileError) as caught:
        run_import(shared, data, filename)
    assert shared.rt.ledger.height() == height
    return caught.value


def where(error: ImportFileError) -> list[tuple[int, str, str]]:
    return [(p.row, p.column, p.code) for p in error.problems]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (["gtin", "lot", "expiry", "serial", "colour"], [(1, "colour", "UNKNOWN_COLUMN")]),
        (["gtin", "expiry", "serial"], [(1, "lot", "MISSING_COLUMN")]),
        (["gtin", "lot", "expiry"], [(1, "quantity/serial", "MISSING_COLUMN")]),
        (["gtin", "lot", "expiry", "serial", "quantity"], [(1, "serial", "AMBIGUOUS_LAYOUT")]),
        (["gtin", "lot", "Lot", "expiry", "serial"], [(1, "Lot", "DUPLICATE_COLUMN")]),
    ],
)
def test_header_problems(
    shared: SmallNetwork, header: list[str], expected: list[tuple[int, str, str]]
) -> None:
    error = file_error(shared, csv_bytes([header, ["x"] * len(header)]))

    assert (error.code, error.status) == ("INVALID_FILE", 422)
    assert where(error) == expected


@pytest.mark.parametrize(
    ("data", "filename", "reason"),
    [
        (b"", "x.csv", "EMPTY_FILE"),
        (b"\n\n", "x.csv", "EMPTY_FILE"),
        (b"gtin,lot,expiry,serial\n", "x.csv", "EMPTY_FILE"),
        ("gtin,lot,expiry,serial\n0,Lé,x,y\n".encode("utf-16"), "x.csv", "NOT_UTF8"),
        ("gtin,lot,expiry,serial\n0,Lé,x,y\n".encode("cp1252"), "x.csv", "NOT_UTF8"),
        (b"%PDF-1.7", "export.pdf", "WRONG_FILE_TYPE"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "export.xls", "WRONG_FILE_TYPE"),
        (b"gtin,lot,expiry,serial\n", "export.xlsx", "WRONG_FILE_TYPE"),
        (b"gtin,lot", "export", "WRONG_FILE_TYPE"),
    ],
)
def test_unreadable_files(shared: SmallNetwork, data: bytes, filename: str, reason: str) -> None:
    error = file_error(shared, data, filename)

    assert (error.code, error.status, error.reason) == ("INVALID_FILE", 422, reason)


def test_header_only_file_names_its_header_row(shared: SmallNetwork) -> None:
    error = file_error(shared, b"\ngtin,lot,expiry,serial\n\n")

    assert where(error) == [(2, "", "EMPTY_FILE")]


def test_a_workbook_named_csv(shared: SmallNetwork) -> None:
    error = file_error(shared, xlsx_bytes([PACK_HEADER]), "export.csv")

    assert error.reason == "WRONG_FILE_TYPE"


def test_a_zip_that_is_no_workbook(shared: SmallNetwork) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    error = file_error(shared, buffer.getvalue(), "export.xlsx")

    assert error.reason == "UNREADABLE_XLSX"


def test_a_workbook_without_rows(shared: SmallNetwork) -> None:
    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    error = file_error(shared, buffer.getvalue(), "export.xlsx")

    assert error.reason == "EMPTY_FILE"


def test_malformed_csv_names_the_line(shared: SmallNetwork) -> None:
    data = csv_bytes([PACK_HEADER, [G, "L1", EXPIRY, "S1"], [G, "L1", EXPIRY, "S2", "extra"]])
    error = file_error(shared, data)

    assert where(error) == [(3, "", "MALFORMED_CSV")]
    assert "5 cells" in error.message


def test_unclosed_quote(shared: SmallNetwork) -> None:
    error = file_error(shared, f'gtin,lot,expiry,serial\n{G},L1,{EXPIRY},"S1\n'.encode())

    assert where(error) == [(2, "", "MALFORMED_CSV")]


def test_oversized_file(shared: SmallNetwork) -> None:
    data = csv_bytes([PACK_HEADER] + [[G, "BIG", EXPIRY, f"S{i}"] for i in range(100)])
    with pytest.raises(ImportFileError) as caught:
        run_import(shared, data, max_bytes=1024)

    assert (caught.value.code, caught.value.status) == ("FILE_TOO_LARGE", 413)
    assert "1,024" in caught.value.message


def test_oversized_stream_that_cannot_seek(shared: SmallNetwork) -> None:
    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            chunk = self.data.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    lot = unique("BIG")
    data = csv_bytes([PACK_HEADER] + [[G, lot, EXPIRY, f"{lot}-{i}"] for i in range(100)])
    with pytest.raises(ImportFileError) as caught:
        import_batches(
            shared.rt, actor=shared.maker, source=Pipe(data), filename="x.csv", max_bytes=1024
        )
    assert caught.value.code == "FILE_TOO_LARGE"
    report = import_batches(shared.rt, actor=shared.maker, source=Pipe(data), filename="x.csv")
    assert statuses(report) == {lot: "committed"}


def test_only_a_manufacturer_may_import(shared: SmallNetwork) -> None:
    with pytest.raises(PharmaTraceError) as caught:
        run_import(
            shared, csv_bytes([PACK_HEADER, [G, "L1", EXPIRY, "S1"]]), actor=shared.wholesaler
        )

    assert (caught.value.code, caught.value.status) == ("FORBIDDEN_ROLE", 403)
