"""The CSV/Excel import job of the page: the upload is read, then `import_batches` runs in a job.

The file is read whole before the job starts (the request body is gone once the answer is sent);
its size is already bounded by the application's body limit. The import itself, its row checks
and its report are services.domain.batch_import's; this module adapts them to a job and to the
page's words.

Progress: the import reports (rows read, batches committed). For a CSV file the number of rows
is known up front (its lines), so the bar fills as rows are read; for a workbook it is not, and
the bar stays indeterminate. Committing batches comes after reading, and is told in words.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import PurePath

from fastapi import UploadFile

from dashboards.jobs import ProgressReport
from services.batch_import.errors import ImportFileError
from services.domain.batch_import import ImportReport, import_batches
from services.errors import PharmaTraceError, invalid
from services.runtime import Actor, Runtime

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
LISTED_ERRORS = 200  # the page lists this many row errors; the report counts them all
FIRST_STEP = "Reading the file…"


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes

    @property
    def expected_rows(self) -> int | None:
        """Data rows of a CSV file (its non-empty lines less the header); None for a workbook."""
        if PurePath(self.filename).suffix.lower() not in CSV_SUFFIXES:
            return None
        lines = sum(1 for line in self.content.splitlines() if line.strip())
        return max(lines - 1, 0) or None


def read_upload(file: UploadFile | None, *, max_bytes: int) -> Upload:
    """The uploaded file's name and bytes; 422 when no file was chosen, 413 when too large."""
    if file is None or not file.filename:
        raise invalid("NO_FILE", "Choose a CSV or Excel file to import.")
    content = file.file.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise PharmaTraceError(
            "FILE_TOO_LARGE",
            f"The file is larger than {max_bytes:,} bytes; split the export into several files.",
            status=413,
        )
    return Upload(PurePath(file.filename).name, content)


def run_import(rt: Runtime, actor: Actor, upload: Upload, report: ProgressReport) -> ImportReport:
    """The job's work: import every row of the file."""
    expected = upload.expected_rows

    def progress(rows_read: int, batches_committed: int) -> None:
        note = f"{rows_read:,} rows read"
        if batches_committed:
            note += f" · {batches_committed:,} batches committed"
        report(rows_read, expected, note)

    report(0, expected, FIRST_STEP)
    return import_batches(
        rt,
        actor=actor,
        source=io.BytesIO(upload.content),
        filename=upload.filename,
        progress=progress,
    )


def file_problems(error: PharmaTraceError | None) -> list[str]:
    """The per-row problems of a file that could not be imported at all, in the page's words."""
    if not isinstance(error, ImportFileError):
        return []
    return [
        " ".join(
            part
            for part in (
                f"Row {problem.row}" if problem.row else "",
                f"({problem.column})" if problem.column else "",
                ":" if problem.row or problem.column else "",
                problem.message,
            )
            if part
        ).replace(" :", ":")
        for problem in error.problems
    ]
