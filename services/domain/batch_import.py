"""Batch import: register many batches at once from a manufacturer's ERP export (CSV or .xlsx).

File formats (the first non-empty row is the header; headers are matched ignoring case, spaces,
'_' and '-'; every other row is data; blank rows are ignored but keep their row numbers):

    one row per batch   gtin, lot, expiry, quantity   serials are generated (random, EU-safe)
    one row per pack    gtin, lot, expiry, serial     the manufacturer's own serials; rows with
                                                      the same gtin + lot form one batch

    gtin      GTIN-8/12/13/14 with a valid check digit, registered by the importing manufacturer
    lot       1-20 characters of GS1 CSET 82 (also accepted as header: batch, lot number)
    expiry    YYYY-MM-DD or YYMMDD (GS1 AI 17); day 00 means the last day of the month; must be
              after today, and the same on every row of a batch (header also: expiry date)
    quantity  whole number 1..5,000,000 (header also: qty)
    serial    1-20 characters of GS1 CSET 82, unique per GTIN in the file and on the ledger
              (header also: serial number)

Every cell is read as text, so "09506000134352" and serial "00123" keep their leading zeros. A
cell holding a formula ("=…"), a missing-value marker (NaN, #N/A, NULL, …) or, in a workbook, a
number in the lot or serial column (Excel drops leading zeros) is refused. A workbook's date
cells are accepted as expiry dates, and its number cells as GTINs (left-padded to 14 digits),
quantities and YYMMDD expiries.

How an import runs: every row is read (streamed: pandas chunks for CSV, openpyxl read-only mode
for .xlsx) and checked into a temporary SQLite file, then checks across rows run (duplicate
serials, one expiry per batch, duplicate batch rows), then each batch is compared with the ledger
(already registered? serials used by another batch?). Only then is anything submitted: each
batch without errors is registered (one transaction each); a batch with any error is skipped
whole. Outcomes per batch: committed, already_registered (the same batch was registered before:
same GTIN, lot, expiry and serials or quantity, by this manufacturer; nothing is written, so an
import can be re-run safely), skipped_invalid, failed (refused by the ledger at commit time).

Row errors (`RowError`: row as a spreadsheet numbers it, header = 1; column as the header spells
it, or "column E" for a column without header; code; sentence):

    MISSING_VALUE, FORMULA, NOT_A_VALUE, NUMBER_CELL, INVALID_CELL, UNEXPECTED_VALUE   the cell
    INVALID_GTIN, UNKNOWN_PRODUCT, NOT_PRODUCT_OWNER, INVALID_LOT, INVALID_SERIAL,
    INVALID_EXPIRY, EXPIRY_NOT_IN_FUTURE, INVALID_QUANTITY                              the value
    DUPLICATE_SERIAL (a later row repeats a serial of the same GTIN; the earlier row keeps it),
    INCONSISTENT_EXPIRY, DUPLICATE_BATCH, TOO_MANY_SERIALS                        across rows
    SERIAL_REUSED, BATCH_EXISTS (registered before with other content)        against the ledger
    any contract code (e.g. LEDGER_UNAVAILABLE) on a batch's first row, for a failed batch

A file that cannot be imported at all raises `ImportFileError` before anything is committed:
INVALID_FILE (422) with problems WRONG_FILE_TYPE, NOT_UTF8, EMPTY_FILE, MALFORMED_CSV,
UNREADABLE_XLSX, UNKNOWN_COLUMN, MISSING_COLUMN, DUPLICATE_COLUMN, AMBIGUOUS_LAYOUT; or
FILE_TOO_LARGE (413) with FILE_TOO_LARGE (over PHARMATRACE_IMPORT_MAX_BYTES, default 50 MiB)
or TOO_MANY_ROWS (over 10,000,000 rows).
"""

from __future__ import annotations

import calendar
import math
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO, Literal

from sqlmodel import select

from chaincode import merkle
from chaincode.identifiers import is_gtin14
from services.batch_import.errors import (
    FILE_TOO_LARGE,
    INVALID_FILE,
    ImportFileError,
    RowError,
    file_error,
    too_large,
)
from services.batch_import.reader import FileKind, RowSource, max_import_bytes, open_rows
from services.batch_import.spool import Spool, SpooledBatch, SpooledError, SpooledRow
from services.domain.batches import MAX_SERIALS, register_batch
from services.errors import PharmaTraceError, forbidden
from services.gs1 import is_valid_gtin, normalize_gtin
from services.gs1.checkdigit import gs1_check_digit
from services.gs1.validate import expiry_issue_or_date, text_issue
from services.readmodel.tables import Batch, LedgerEvent, Product
from services.runtime import Actor, Runtime, require

__all__ = [
    "FILE_TOO_LARGE",
    "INVALID_FILE",
    "MAX_ERRORS_LISTED",
    "MAX_ROWS",
    "BatchOutcome",
    "ImportFileError",
    "ImportReport",
    "ProgressCallback",
    "RowError",
    "import_batches",
    "max_import_bytes",
]

Layout = Literal["batches", "packs"]
"""`batches`: one row per batch with a quantity; `packs`: one row per pack with its serial."""
Status = Literal["committed", "already_registered", "skipped_invalid", "failed"]

MAX_ROWS = 10_000_000
MAX_ERRORS_LISTED = 10_000
MANUFACTURER = "manufacturer"

_ALIASES = {
    "gtin": "gtin",
    "lot": "lot",
    "batch": "lot",
    "lotnumber": "lot",
    "batchnumber": "lot",
    "expiry": "expiry",
    "expirydate": "expiry",
    "quantity": "quantity",
    "qty": "quantity",
    "serial": "serial",
    "serialnumber": "serial",
}
_HEADER_NOISE = re.compile(r"[\s_\-]+")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_NOT_A_VALUE = frozenset(
    {
        "nan",
        "-nan",
        "+nan",
        "na",
        "n/a",
        "#n/a",
        "#n/a n/a",
        "<na>",
        "null",
        "none",
        "#null!",
        "#value!",
        "#ref!",
        "#div/0!",
        "#num!",
        "#name?",
        "#calc!",
        "#spill!",
        "#getting_data",
        "inf",
        "-inf",
        "+inf",
        "infinity",
    }
)
_CACHE_LIMIT = 50_000
_FINAL: dict[str, Status] = {
    "committed": "committed",
    "already_registered": "already_registered",
    "skipped_invalid": "skipped_invalid",
    "failed": "failed",
}

Issue = tuple[str, str]
"""(code, message)."""
ProgressCallback = Callable[[int, int], None]
"""`progress(rows_read, batches_committed)`: called after each chunk of rows read, then after
each batch committed."""


# -- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchOutcome:
    """What happened to one batch (group of rows) of the file.

    `tx_id`/`block`: the registering transaction (for already_registered, the earlier one).
    `quantity`: the serial count (pack rows) or the quantity column (batch rows)."""

    gtin: str
    lot: str
    expiry: str | None
    quantity: int | None
    first_row: int
    rows: int
    status: Status
    message: str = ""
    tx_id: str | None = None
    block: int | None = None


@dataclass(frozen=True)
class ImportReport:
    """The outcome of one import: per batch, and every row error (the first
    `MAX_ERRORS_LISTED` listed, by row; `error_count` counts them all)."""

    filename: str
    file_type: FileKind
    layout: Layout
    rows_read: int
    batches: list[BatchOutcome]
    errors: list[RowError]
    error_count: int

    def count(self, status: Status) -> int:
        return sum(1 for batch in self.batches if batch.status == status)

    @property
    def committed(self) -> int:
        return self.count("committed")

    @property
    def already_registered(self) -> int:
        return self.count("already_registered")

    @property
    def skipped_invalid(self) -> int:
        return self.count("skipped_invalid")

    @property
    def failed(self) -> int:
        return self.count("failed")

    @property
    def errors_truncated(self) -> bool:
        return self.error_count > len(self.errors)

    @property
    def ok(self) -> bool:
        """True when every row was fine and every batch is on the ledger."""
        return self.error_count == 0


# -- the import ------------------------------------------------------------------------------


def import_batches(
    rt: Runtime,
    *,
    actor: Actor,
    source: BinaryIO,
    filename: str,
    progress: ProgressCallback | None = None,
    max_bytes: int | None = None,
    max_errors: int = MAX_ERRORS_LISTED,
) -> ImportReport:
    """Register the batches of an ERP export; batches with any error are skipped whole.

    `filename` decides the type (.csv/.tsv/.txt or .xlsx). `max_bytes` defaults to
    PHARMATRACE_IMPORT_MAX_BYTES (50 MiB).

    Raises ImportFileError (INVALID_FILE 422, FILE_TOO_LARGE 413) when the file as a whole
    cannot be imported; nothing is committed then.
    """
    require(
        actor.role == MANUFACTURER,
        forbidden("FORBIDDEN_ROLE", f"A {actor.role} may not register batches."),
    )
    limit = max_import_bytes() if max_bytes is None else max_bytes
    notify: ProgressCallback = progress or (lambda _rows, _batches: None)
    rt.indexer.catch_up()  # products and batches other processes registered
    with (
        tempfile.TemporaryDirectory(prefix="import-", dir=rt.settings.data_dir) as scratch,
        open_rows(source, filename, max_bytes=limit) as table,
    ):
        spool = Spool(Path(scratch))
        try:
            columns, rows_read = _load(rt, actor, table, spool, notify)
            _check_across_rows(spool, columns)
            spool.group()
            _check_against_ledger(rt, actor, spool, columns)
            _commit(rt, actor, spool, columns, rows_read, notify)
            return ImportReport(
                filename=filename,
                file_type=table.kind,
                layout=columns.layout,
                rows_read=rows_read,
                batches=[_outcome(batch, columns.layout) for batch in spool.batches()],
                errors=[RowError(*error) for error in spool.errors(max_errors)],
                error_count=spool.error_count(),
            )
        finally:
            spool.close()


# -- header ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Columns:
    layout: Layout
    position: dict[str, int]
    label: dict[str, str]
    unnamed: tuple[int, ...]

    def error(self, row: int, field: str, issue: Issue) -> SpooledError:
        return (row, self.position[field], self.label[field], issue[0], issue[1])


def _header(row: int, cells: tuple[object, ...]) -> _Columns:
    problems: list[RowError] = []
    position: dict[str, int] = {}
    label: dict[str, str] = {}
    unnamed: list[int] = []
    for index, cell in enumerate(cells):
        text = "" if cell is None else str(cell).strip()
        if not text:
            unnamed.append(index)
            continue
        field = _ALIASES.get(_HEADER_NOISE.sub("", text).casefold())
        if field is None:
            problems.append(
                RowError(
                    row,
                    text,
                    "UNKNOWN_COLUMN",
                    f"unknown column '{text}'; the columns are gtin, lot, expiry and either "
                    "quantity (one row per batch) or serial (one row per pack).",
                )
            )
        elif field in position:
            problems.append(
                RowError(
                    row, text, "DUPLICATE_COLUMN", f"column '{text}' repeats '{label[field]}'."
                )
            )
        else:
            position[field] = index
            label[field] = text
    if "quantity" in position and "serial" in position:
        problems.append(
            RowError(
                row,
                label["serial"],
                "AMBIGUOUS_LAYOUT",
                "the header has both a quantity and a serial column; give quantity (one row "
                "per batch, serials generated) or serial (one row per pack), not both.",
            )
        )
    for field in ("gtin", "lot", "expiry"):
        if field not in position:
            problems.append(
                RowError(row, field, "MISSING_COLUMN", f"the header has no '{field}' column.")
            )
    if "quantity" not in position and "serial" not in position:
        problems.append(
            RowError(
                row,
                "quantity/serial",
                "MISSING_COLUMN",
                "the header has neither a 'quantity' column (one row per batch) nor a 'serial' "
                "column (one row per pack).",
            )
        )
    if problems:
        raise ImportFileError(problems)
    layout: Layout = "packs" if "serial" in position else "batches"
    return _Columns(layout, position, label, tuple(unnamed))


def _blank(cells: tuple[object, ...]) -> bool:
    for cell in cells:
        if cell is not None and (not isinstance(cell, str) or cell.strip()):
            return False
    return True


# -- rows ------------------------------------------------------------------------------------


class _RowChecker:
    """Checks one data row; caches what repeats down a pack file (GTIN, lot, expiry)."""

    def __init__(self, rt: Runtime, actor: Actor, columns: _Columns) -> None:
        self.rt = rt
        self.actor = actor
        self.columns = columns
        self.today = rt.now().date()
        self.gtins: dict[str, tuple[str, Issue | None]] = {}
        self.lots: dict[str, Issue | None] = {}
        self.expiries: dict[str, tuple[str | None, Issue | None]] = {}
        self.owners: dict[str, str | None] = {}

    def check(
        self, number: int, cells: tuple[object, ...]
    ) -> tuple[SpooledRow, list[SpooledError]]:
        """The row as spooled (GTIN normalised, expiry as ISO date) and its errors."""
        values, errors = self._cells(number, cells)
        found: list[tuple[str, Issue | None]] = []
        gtin, lot = values["gtin"], values["lot"]
        expiry: str | None = None
        serial: str | None = None
        quantity: int | None = None
        if gtin:
            gtin, issue = self._gtin(gtin)
            found.append(("gtin", issue))
        if lot:
            found.append(("lot", self._lot(lot)))
        if values["expiry"]:
            expiry, issue = self._expiry(values["expiry"])
            if issue:  # one error per cell: not also "differs from the batch's expiry"
                expiry = None
                found.append(("expiry", issue))
        if self.columns.layout == "packs":
            serial = values["serial"] or None
            if serial:
                found.append(("serial", _serial_issue(serial)))
        elif values["quantity"]:
            quantity, issue = _quantity(values["quantity"])
            found.append(("quantity", issue))
        errors.extend(self.columns.error(number, field, issue) for field, issue in found if issue)
        return (number, gtin, lot, expiry, serial, quantity, int(bool(errors))), errors

    def _cells(
        self, number: int, cells: tuple[object, ...]
    ) -> tuple[dict[str, str], list[SpooledError]]:
        """Each column's cell as text ("" when empty or unusable) and the cells' errors."""
        columns = self.columns
        errors: list[SpooledError] = []
        values: dict[str, str] = {}
        for field, index in columns.position.items():
            cell = _text(field, cells[index] if index < len(cells) else None)
            if not cell:
                cell = ("MISSING_VALUE", f"The {field} is empty.")
            if isinstance(cell, tuple):
                errors.append(columns.error(number, field, cell))
                cell = ""
            values[field] = cell
        for index in columns.unnamed:
            if index < len(cells) and not _blank((cells[index],)):
                letter = _column_letter(index)
                errors.append(
                    (
                        number,
                        index,
                        f"column {letter}",
                        "UNEXPECTED_VALUE",
                        f"Column {letter} has no header but this row has a value there.",
                    )
                )
        return values, errors

    def _gtin(self, text: str) -> tuple[str, Issue | None]:
        known = self.gtins.get(text)
        if known is None:
            known = self._check_gtin(text)
            if len(self.gtins) >= _CACHE_LIMIT:
                self.gtins.clear()
            self.gtins[text] = known
        return known

    def _check_gtin(self, text: str) -> tuple[str, Issue | None]:
        if not (text.isascii() and text.isdigit()):
            return text, ("INVALID_GTIN", f"'{text}' is not a GTIN: it may contain digits only.")
        if len(text) not in (8, 12, 13, 14):
            return text, (
                "INVALID_GTIN",
                f"'{text}' has {len(text)} digits; a GTIN has 8, 12, 13 or 14.",
            )
        if not is_valid_gtin(text):
            expected = gs1_check_digit(text[:-1])
            return text, (
                "INVALID_GTIN",
                f"GTIN {text} fails its check digit (the last digit should be {expected}).",
            )
        gtin = normalize_gtin(text)
        owner = self._owner(gtin)
        if owner is None:
            return gtin, ("UNKNOWN_PRODUCT", f"GTIN {gtin} is not a registered product.")
        if owner != self.actor.msp_id:
            return gtin, (
                "NOT_PRODUCT_OWNER",
                f"GTIN {gtin} belongs to {owner}, not {self.actor.msp_id}.",
            )
        return gtin, None

    def _owner(self, gtin: str) -> str | None:
        if gtin not in self.owners:
            with self.rt.session() as session:
                product = session.get(Product, gtin)
            self.owners[gtin] = product.manufacturer if product is not None else None
        return self.owners[gtin]

    def _lot(self, text: str) -> Issue | None:
        if text not in self.lots:
            issue = text_issue("lot", text)
            if len(self.lots) >= _CACHE_LIMIT:
                self.lots.clear()
            self.lots[text] = ("INVALID_LOT", issue[1]) if issue else None
        return self.lots[text]

    def _expiry(self, text: str) -> tuple[str | None, Issue | None]:
        known = self.expiries.get(text)
        if known is None:
            parsed = _parse_expiry(text)
            if isinstance(parsed, tuple):
                known = None, parsed
            elif parsed <= self.today:
                known = (
                    parsed.isoformat(),
                    (
                        "EXPIRY_NOT_IN_FUTURE",
                        f"Expiry {parsed.isoformat()} is not after today ({self.today}).",
                    ),
                )
            else:
                known = parsed.isoformat(), None
            if len(self.expiries) >= _CACHE_LIMIT:
                self.expiries.clear()
            self.expiries[text] = known
        return known


def _text(field: str, cell: object) -> str | Issue:
    """A cell as text (stripped), or what is wrong with it. Workbook cells come typed."""
    if isinstance(cell, str):
        text = cell.strip()
    elif cell is None:
        return ""
    elif isinstance(cell, bool):
        return "INVALID_CELL", f"The cell holds {str(cell).upper()}, not a {field}."
    elif isinstance(cell, datetime | date):
        if field != "expiry":
            return "INVALID_CELL", f"The cell holds a date, not a {field}."
        day = cell.date() if isinstance(cell, datetime) else cell
        return day.isoformat()
    elif isinstance(cell, int | float):
        return _number(field, cell)
    else:
        return "INVALID_CELL", f"The cell holds a {type(cell).__name__}, not a {field}."
    if text.startswith("="):
        return "FORMULA", f"The cell holds a formula ({text[:40]}); export values, not formulas."
    if text.casefold() in _NOT_A_VALUE:
        return "NOT_A_VALUE", f"'{text}' is a missing-value marker, not a {field}."
    return text


def _number(field: str, value: int | float) -> str | Issue:
    """A workbook's number cell: fine for a GTIN, quantity or YYMMDD expiry, not for a lot or
    serial (the spreadsheet has already dropped any leading zeros)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NOT_A_VALUE", f"The cell holds {value}, not a {field}."
    if field in ("lot", "serial"):
        return (
            "NUMBER_CELL",
            f"The cell is a number ({value}), so leading zeros may have been lost; format the "
            f"{field} column as Text and enter the values again.",
        )
    if isinstance(value, float) and not value.is_integer():
        return str(value)  # refused by the field's own check
    text = str(int(value))
    if field == "gtin" and len(text) <= 14:
        return text.zfill(14)  # GTIN-8/12/13 are GTIN-14 with leading zeros
    if field == "expiry" and len(text) <= 6:
        return text.zfill(6)
    return text


def _column_letter(index: int) -> str:
    """The spreadsheet name of the column at 0-based `index`: A, B, …, Z, AA, AB, …"""
    letters = ""
    number = index + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _serial_issue(serial: str) -> Issue | None:
    issue = text_issue("serial", serial)
    return ("INVALID_SERIAL", issue[1]) if issue else None


def _parse_expiry(text: str) -> date | Issue:
    iso = _ISO_DATE.fullmatch(text)
    if iso:
        year, month, day = (int(part) for part in iso.groups())
        try:
            if day == 0 and 1 <= month <= 12:
                day = calendar.monthrange(year, month)[1]
            return date(year, month, day)
        except ValueError:
            return "INVALID_EXPIRY", f"'{text}' is not a real date."
    if len(text) == 6 and text.isascii() and text.isdigit():
        parsed = expiry_issue_or_date(text)
        if isinstance(parsed, tuple):
            return "INVALID_EXPIRY", parsed[1]
        return parsed
    return "INVALID_EXPIRY", f"'{text}' is not a date; write YYYY-MM-DD or YYMMDD."


def _quantity(text: str) -> tuple[int | None, Issue | None]:
    if not (text.isascii() and text.isdigit()):
        return None, ("INVALID_QUANTITY", f"'{text}' is not a whole number.")
    if len(text.lstrip("0")) > 9:
        return None, ("INVALID_QUANTITY", f"The quantity {text} is more than {MAX_SERIALS:,}.")
    quantity = int(text)
    if not 1 <= quantity <= MAX_SERIALS:
        return quantity, (
            "INVALID_QUANTITY",
            f"The quantity must be between 1 and {MAX_SERIALS:,}, not {quantity:,}.",
        )
    return quantity, None


def _load(
    rt: Runtime, actor: Actor, table: RowSource, spool: Spool, notify: ProgressCallback
) -> tuple[_Columns, int]:
    """Read every row into the spool with its cell-level errors; the header and row count."""
    checker: _RowChecker | None = None
    header_row = 0
    rows_read = 0
    for chunk in table.chunks:
        rows: list[SpooledRow] = []
        errors: list[SpooledError] = []
        for number, cells in chunk:
            if _blank(cells):
                continue
            if checker is None:
                checker = _RowChecker(rt, actor, _header(number, cells))
                header_row = number
                continue
            row, row_errors = checker.check(number, cells)
            rows.append(row)
            errors.extend(row_errors)
        rows_read += len(rows)
        if rows_read > MAX_ROWS:
            raise too_large("TOO_MANY_ROWS", f"The file has more than {MAX_ROWS:,} rows; split it.")
        spool.add(rows, errors)
        notify(rows_read, 0)
    if checker is None:
        raise file_error("EMPTY_FILE", "The file has no rows (not even a header).")
    if rows_read == 0:
        raise file_error("EMPTY_FILE", "The file has a header but no data rows.", row=header_row)
    return checker.columns, rows_read


# -- checks across rows and against the ledger ----------------------------------------------


def _check_across_rows(spool: Spool, columns: _Columns) -> None:
    spool.index()
    if columns.layout == "packs":
        spool.add_errors(_duplicate_serials(spool, columns))
        spool.add_errors(_expiry_conflicts(spool, columns))
    else:
        spool.add_errors(_duplicate_batches(spool, columns))


def _duplicate_serials(spool: Spool, columns: _Columns) -> Iterator[SpooledError]:
    for row, gtin, serial, first in spool.repeated("serial"):
        yield columns.error(
            row,
            "serial",
            (
                "DUPLICATE_SERIAL",
                f"Serial {serial} of GTIN {gtin} is also on row {first}; a serial is unique "
                "per product.",
            ),
        )


def _expiry_conflicts(spool: Spool, columns: _Columns) -> Iterator[SpooledError]:
    for row, expiry, first_expiry, first_row in spool.expiry_conflicts():
        yield columns.error(
            row,
            "expiry",
            (
                "INCONSISTENT_EXPIRY",
                f"Expiry {expiry} differs from {first_expiry} on row {first_row}, the first row "
                "of this batch; a batch has one expiry.",
            ),
        )


def _duplicate_batches(spool: Spool, columns: _Columns) -> Iterator[SpooledError]:
    for row, gtin, lot, first in spool.repeated("lot"):
        yield columns.error(
            row,
            "lot",
            (
                "DUPLICATE_BATCH",
                f"Batch {lot} of GTIN {gtin} is already on row {first}; give each batch one row.",
            ),
        )


def _check_against_ledger(rt: Runtime, actor: Actor, spool: Spool, columns: _Columns) -> None:
    """Mark each batch invalid, already registered, to resume or ready to commit."""
    packs = columns.layout == "packs"
    for batch in spool.batches():
        if packs and batch.rows > MAX_SERIALS:
            _batch_error(
                spool,
                columns,
                batch,
                "serial",
                ("TOO_MANY_SERIALS", f"A batch holds at most {MAX_SERIALS:,} serials."),
            )
            continue
        with rt.session() as session:
            existing = session.get(Batch, (batch.gtin, batch.lot))
        if batch.bad:
            # Say now which serials are taken, rather than after the other rows are fixed.
            if packs and existing is None and _owns(rt, actor, batch.gtin):
                _serials_reused(rt, spool, columns, batch, spool.serials(batch.gtin, batch.lot))
            _skip(spool, batch)
            continue
        serials = spool.serials(batch.gtin, batch.lot) if packs else None
        if existing is not None:
            _compare(rt, actor, spool, columns, batch, existing, serials)
        elif serials is None or not _serials_reused(rt, spool, columns, batch, serials):
            spool.set_outcome(batch.id, "ready")
        else:
            _skip(spool, batch)


def _owns(rt: Runtime, actor: Actor, gtin: str) -> bool:
    if not is_gtin14(gtin):
        return False
    with rt.session() as session:
        product = session.get(Product, gtin)
    return product is not None and product.manufacturer == actor.msp_id


def _compare(
    rt: Runtime,
    actor: Actor,
    spool: Spool,
    columns: _Columns,
    batch: SpooledBatch,
    existing: Batch,
    serials: list[str] | None,
) -> None:
    """A batch of the file that is already on the ledger: the same one, or a conflict."""
    conflict = _conflict(existing, batch, serials, actor)
    if conflict:
        _batch_error(spool, columns, batch, "lot", ("BATCH_EXISTS", conflict))
    elif rt.serials.has_batch(batch.gtin, batch.lot):
        spool.set_outcome(
            batch.id,
            "already_registered",
            "Registered before with the same content; nothing written.",
            tx_id=existing.tx_id,
            block=_block_of(rt, existing.tx_id),
        )
    else:  # the token committed but its serials were not stored: finish that
        spool.set_outcome(batch.id, "resume")


def _conflict(
    existing: Batch, batch: SpooledBatch, serials: list[str] | None, actor: Actor
) -> str | None:
    """Why the file's batch is not the one already registered, or None if it is the same."""
    name = f"Batch {batch.lot} of GTIN {batch.gtin} is already registered"
    if existing.manufacturer != actor.msp_id:
        return f"{name} by {existing.manufacturer}."
    if existing.expiry != batch.expiry:
        return f"{name} with expiry {existing.expiry}, not {batch.expiry}."
    quantity = len(serials) if serials is not None else batch.quantity
    if existing.quantity != quantity:
        return f"{name} with {existing.quantity:,} packs, not {quantity:,}."
    if serials is not None and merkle.root_of_serials(serials).hex() != existing.merkle_root:
        return f"{name} with other serial numbers."
    return None


def _serials_reused(
    rt: Runtime, spool: Spool, columns: _Columns, batch: SpooledBatch, serials: list[str]
) -> bool:
    """Record SERIAL_REUSED on each row whose serial another batch of the GTIN has."""
    used = rt.serials.already_used(batch.gtin, serials, limit=len(serials))
    spool.add_errors(
        columns.error(
            row,
            "serial",
            (
                "SERIAL_REUSED",
                f"Serial {serial} is already used by another batch of GTIN {batch.gtin}.",
            ),
        )
        for row, serial in spool.rows_of(batch.gtin, batch.lot, used)
    )
    return bool(used)


def _batch_error(
    spool: Spool, columns: _Columns, batch: SpooledBatch, field: str, issue: Issue
) -> None:
    spool.add_errors([columns.error(batch.first_row, field, issue)])
    _skip(spool, batch)


def _skip(spool: Spool, batch: SpooledBatch) -> None:
    count = spool.error_count_of(batch.gtin, batch.lot)
    spool.set_outcome(
        batch.id,
        "skipped_invalid",
        f"Not registered: {count} error{'s' if count != 1 else ''} in its rows.",
    )


def _block_of(rt: Runtime, tx_id: str) -> int | None:
    with rt.session() as session:
        event = session.exec(select(LedgerEvent).where(LedgerEvent.tx_id == tx_id)).first()
    return event.block if event is not None else None


# -- commit ----------------------------------------------------------------------------------


def _commit(
    rt: Runtime,
    actor: Actor,
    spool: Spool,
    columns: _Columns,
    rows_read: int,
    notify: ProgressCallback,
) -> None:
    packs = columns.layout == "packs"
    done = 0
    for batch in spool.batches():
        if batch.status not in ("ready", "resume"):
            continue
        try:
            registered = register_batch(
                rt,
                actor=actor,
                gtin=batch.gtin,
                lot=batch.lot,
                expiry=date.fromisoformat(batch.expiry or ""),
                serials=spool.iter_serials(batch.gtin, batch.lot) if packs else None,
                quantity=None if packs else batch.quantity,
            )
        except PharmaTraceError as exc:
            spool.add_errors([(batch.first_row, -1, "", exc.code, exc.message)])
            spool.set_outcome(batch.id, "failed", f"Refused by the ledger: {exc.message}")
            continue
        if batch.status == "ready":
            spool.set_outcome(batch.id, "committed", tx_id=registered.tx_id, block=registered.block)
        else:
            spool.set_outcome(
                batch.id,
                "already_registered",
                "Registered before; its serial list is now stored too.",
                tx_id=registered.tx_id,
                block=registered.block,
            )
        done += 1
        notify(rows_read, done)


def _outcome(batch: SpooledBatch, layout: Layout) -> BatchOutcome:
    return BatchOutcome(
        gtin=batch.gtin,
        lot=batch.lot,
        expiry=batch.expiry,
        quantity=batch.rows if layout == "packs" else batch.quantity,
        first_row=batch.first_row,
        rows=batch.rows,
        status=_FINAL.get(batch.status, "failed"),  # every batch has a final status by now
        message=batch.message,
        tx_id=batch.tx_id,
        block=batch.block,
    )
