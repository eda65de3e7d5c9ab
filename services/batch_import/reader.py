"""Reading an ERP export a chunk of rows at a time, every cell exactly as the file holds it.

    with open_rows(source, "export.csv", max_bytes=...) as table:
        for chunk in table.chunks:            # lists of (row number, cells)
            ...

Row numbers are those a spreadsheet shows: the first line or row is 1. Blank rows are yielded
(as empty cells) so the numbering never drifts.

CSV (.csv, .tsv, .txt): UTF-8, with or without the byte-order mark Excel writes; the delimiter
(comma, semicolon or tab) is taken from the first line. pandas reads it in chunks with
`dtype=str`, `na_filter=False`, so every cell stays text ("00123" stays "00123", "NA" stays "NA").
A quoted cell may span lines; such a row then counts once, as in a spreadsheet.

Excel (.xlsx): the first worksheet, through openpyxl's read-only (streaming) mode with formulas
kept as formulas. Cells come typed (str, int, float, datetime, bool, None); the caller decides
what each column accepts.

Files larger than the limit are refused before anything is parsed; a source that cannot seek
(a pipe) is copied to a temporary file first, counting bytes as it goes.
"""

from __future__ import annotations

import codecs
import io
import os
import re
import tempfile
import warnings
import zipfile
from collections.abc import Generator, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import PurePath
from typing import BinaryIO, Literal, cast

from services.batch_import.errors import ImportFileError, file_error, too_large
from services.config import ConfigError

FileKind = Literal["csv", "xlsx"]
Row = tuple[int, tuple[object, ...]]
"""A row as (spreadsheet row number, cells)."""
Chunks = Generator[list[Row], None, None]

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
MAX_BYTES_ENV = "PHARMATRACE_IMPORT_MAX_BYTES"
CHUNK_ROWS = 20_000
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
XLSX_SUFFIXES = (".xlsx",)

_SNIFF_BYTES = 64 * 1024
_COPY_BYTES = 1024 * 1024
_SPOOL_IN_MEMORY = 8 * 1024 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls) and other OLE files
_DELIMITERS = (",", ";", "\t")
_EXPECTED_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_EOF_IN_STRING = re.compile(r"EOF inside string starting at row (\d+)")
# What a broken workbook makes zipfile, the XML parser or openpyxl raise (openpyxl's own
# InvalidFileException is added where openpyxl is imported).
_XLSX_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    KeyError,
    ValueError,
    TypeError,
    OSError,
    EOFError,
    SyntaxError,  # xml.etree.ElementTree.ParseError
)


@dataclass
class RowSource:
    """An opened file: its kind and its rows, in chunks of at most `CHUNK_ROWS`."""

    kind: FileKind
    chunks: Chunks


def max_import_bytes() -> int:
    """The size limit of an import file: PHARMATRACE_IMPORT_MAX_BYTES, default 50 MiB."""
    raw = os.environ.get(MAX_BYTES_ENV)
    if raw is None or raw == "":
        return DEFAULT_MAX_BYTES
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{MAX_BYTES_ENV}={raw!r} is not a whole number.") from None
    if value < 1:
        raise ConfigError(f"{MAX_BYTES_ENV} must be at least 1.")
    return value


def file_kind(filename: str) -> FileKind:
    """CSV or Excel workbook, from the file name's extension; anything else is refused."""
    suffix = PurePath(filename).suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in XLSX_SUFFIXES:
        return "xlsx"
    if suffix == ".xls":
        raise file_error(
            "WRONG_FILE_TYPE",
            f"{filename} is an Excel 97-2003 workbook (.xls), which is not supported; "
            "save it as an Excel workbook (.xlsx) or as CSV UTF-8.",
        )
    raise file_error(
        "WRONG_FILE_TYPE",
        f"{filename or 'The file'} is neither a CSV file (.csv, .tsv, .txt) nor an Excel "
        "workbook (.xlsx).",
    )


@contextmanager
def open_rows(
    source: BinaryIO, filename: str, *, max_bytes: int, chunk_rows: int = CHUNK_ROWS
) -> Iterator[RowSource]:
    """Open `source` (named `filename`) for reading in chunks; refuse what cannot be read.

    Raises ImportFileError: wrong type, empty, too large; a malformed CSV or a broken workbook
    may also raise it later, from `chunks`.
    """
    kind = file_kind(filename)
    with ExitStack() as stack:
        stream, size = _bounded(source, max_bytes, stack)
        if size == 0:
            raise file_error("EMPTY_FILE", f"{filename} is empty.")
        start = stream.tell()
        head = stream.read(_SNIFF_BYTES)
        stream.seek(start)
        if kind == "csv":
            _refuse_non_text(head, filename)
            blank_lines, offset = _leading_blank_lines(head)
            if blank_lines:  # pandas finds no columns in a blank first line
                stream.seek(start + offset)
                head = head[offset:]
            chunks = _csv_chunks(stream, _delimiter(head), chunk_rows, first_row=1 + blank_lines)
        else:
            chunks = _xlsx_chunks(stream, head, filename, chunk_rows, stack)
        stack.callback(chunks.close)  # first thing on exit: the parser, then its file
        yield RowSource(kind, chunks)


# -- size ------------------------------------------------------------------------------------


def _bounded(source: BinaryIO, max_bytes: int, stack: ExitStack) -> tuple[BinaryIO, int]:
    """`source` if it can seek (after checking its size), else a temporary copy of it."""
    try:
        seekable = source.seekable()
    except (AttributeError, ValueError, OSError):
        seekable = False
    if seekable:
        start = source.tell()
        size = source.seek(0, io.SEEK_END) - start
        source.seek(start)
        if size > max_bytes:
            raise _too_large(max_bytes, size)
        return source, size
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115
    stack.callback(spool.close)
    size = 0
    while block := source.read(_COPY_BYTES):
        size += len(block)
        if size > max_bytes:
            raise _too_large(max_bytes, None)
        spool.write(block)
    spool.seek(0)
    return cast(BinaryIO, spool), size


def _too_large(max_bytes: int, size: int | None) -> ImportFileError:
    has = f"has {size:,} bytes" if size is not None else f"is larger than {max_bytes:,} bytes"
    return too_large(
        "FILE_TOO_LARGE",
        f"The file {has}; at most {max_bytes:,} bytes are accepted ({MAX_BYTES_ENV}). "
        "Split the export into several files.",
    )


# -- CSV -------------------------------------------------------------------------------------


def _refuse_non_text(head: bytes, filename: str) -> None:
    if head.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        raise file_error(
            "WRONG_FILE_TYPE",
            f"{filename} is named like a CSV file but holds a workbook or archive; save it as "
            "CSV UTF-8, or upload the workbook as .xlsx.",
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        raise file_error(
            "NOT_UTF8",
            f"{filename} is not UTF-8 text (UTF-16 or binary); save it as CSV UTF-8.",
        )


def _leading_blank_lines(head: bytes) -> tuple[int, int]:
    """How many blank lines the file starts with (after a UTF-8 BOM), and their bytes."""
    offset = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
    lines = 0
    while (end := head.find(b"\n", offset)) >= 0 and not head[offset:end].strip():
        offset = end + 1
        lines += 1
    return lines, offset


def _delimiter(head: bytes) -> str:
    """The delimiter of the header line: whichever of comma, semicolon and tab it has most."""
    first_line = head.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    counts = {delimiter: first_line.count(delimiter) for delimiter in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _csv_chunks(stream: BinaryIO, delimiter: str, chunk_rows: int, *, first_row: int) -> Chunks:
    import pandas as pd  # here: a CLI command that imports nothing should not pay for pandas

    number = first_row
    try:
        with pd.read_csv(
            stream,
            sep=delimiter,
            header=None,
            dtype=str,
            na_filter=False,
            keep_default_na=False,
            skip_blank_lines=False,
            chunksize=chunk_rows,
            encoding="utf-8-sig",
            engine="c",
        ) as reader:
            for frame in reader:
                rows: list[list[object]] = frame.to_numpy(dtype=object).tolist()
                yield [(number + i, tuple(cells)) for i, cells in enumerate(rows)]
                number += len(rows)
    except pd.errors.EmptyDataError:
        raise file_error("EMPTY_FILE", "The file has no rows.") from None
    except pd.errors.ParserError as exc:
        raise _malformed_csv(str(exc)) from None
    except UnicodeDecodeError:
        raise file_error(
            "NOT_UTF8",
            "The file is not UTF-8 text (an ANSI/Windows-1252 export?); save it as CSV UTF-8.",
        ) from None


def _malformed_csv(detail: str) -> ImportFileError:
    fields = _EXPECTED_FIELDS.search(detail)
    if fields:
        expected, line, saw = fields.groups()
        return file_error(
            "MALFORMED_CSV",
            f"this line has {saw} cells but the header row has {expected} "
            "(an unquoted delimiter inside a value?).",
            row=int(line),
        )
    quote = _EOF_IN_STRING.search(detail)
    if quote:
        row = int(quote.group(1)) + 1  # pandas counts records from 0
        return file_error(
            "MALFORMED_CSV", "a quoted cell that starts here is never closed.", row=row
        )
    return file_error("MALFORMED_CSV", f"the file is not valid CSV ({detail.strip()}).")


# -- Excel -----------------------------------------------------------------------------------


def _xlsx_chunks(
    stream: BinaryIO, head: bytes, filename: str, chunk_rows: int, stack: ExitStack
) -> Chunks:
    if head.startswith(_OLE_MAGIC):
        raise file_error(
            "WRONG_FILE_TYPE",
            f"{filename} is an Excel 97-2003 workbook renamed to .xlsx; save it as .xlsx.",
        )
    if not head.startswith(_ZIP_MAGIC):
        raise file_error("WRONG_FILE_TYPE", f"{filename} is not an Excel workbook (.xlsx).")
    import openpyxl  # here: a CLI command that imports nothing should not pay for openpyxl
    from openpyxl.utils.exceptions import InvalidFileException
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    broken: tuple[type[Exception], ...] = (InvalidFileException, *_XLSX_ERRORS)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions
            workbook = openpyxl.load_workbook(
                stream, read_only=True, data_only=False, keep_links=False
            )
    except broken as exc:
        raise _unreadable(filename, exc) from None
    stack.callback(workbook.close)
    sheets = workbook.worksheets
    if not sheets:
        raise file_error("EMPTY_FILE", f"{filename} has no worksheet.")
    sheet = sheets[0]
    if isinstance(sheet, ReadOnlyWorksheet):
        sheet.reset_dimensions()  # some writers record wrong dimensions; read every row
    return _xlsx_rows(sheet.iter_rows(values_only=True), filename, chunk_rows, broken)


def _xlsx_rows(
    rows: Iterator[tuple[object, ...]],
    filename: str,
    chunk_rows: int,
    broken: tuple[type[Exception], ...],
) -> Chunks:
    number = 1
    while True:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                chunk = list(islice(rows, chunk_rows))
        except broken as exc:
            raise _unreadable(filename, exc) from None
        if not chunk:
            return
        yield [(number + i, tuple(cells)) for i, cells in enumerate(chunk)]
        number += len(chunk)


def _unreadable(filename: str, exc: Exception) -> ImportFileError:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return file_error(
        "UNREADABLE_XLSX",
        f"{filename} is not a readable Excel workbook ({detail}); open it in Excel and save it "
        "again as .xlsx, or export CSV UTF-8.",
    )
