"""What can be wrong with an import: a `RowError` per cell or row, `ImportFileError` for the file.

A `RowError` names the row as a spreadsheet shows it (the header is row 1), the column as the
file's header spells it, a stable code and a sentence. An `ImportFileError` means the file as a
whole cannot be imported (wrong type, unreadable, empty, too large, header not understood): nothing
was validated row by row and nothing was committed.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.errors import PharmaTraceError

INVALID_FILE = "INVALID_FILE"
FILE_TOO_LARGE = "FILE_TOO_LARGE"


@dataclass(frozen=True)
class RowError:
    """One problem of one row: `row` as a spreadsheet numbers it (header = 1), `column` as the
    header spells it ("" when the problem concerns the whole row or batch)."""

    row: int
    column: str
    code: str
    message: str

    def to_json(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "code": self.code, "message": self.message}


class ImportFileError(PharmaTraceError):
    """The file cannot be imported at all; `problems` say where (row 1 is the header).

    The code is INVALID_FILE (422) or FILE_TOO_LARGE (413); each problem has its own code
    (WRONG_FILE_TYPE, MALFORMED_CSV, UNKNOWN_COLUMN, …).
    """

    def __init__(self, problems: list[RowError], *, code: str = INVALID_FILE) -> None:
        if not problems:
            raise ValueError("an ImportFileError needs at least one problem")
        message = "; ".join(_sentence(p) for p in problems[:5])
        if len(problems) > 5:
            message += f"; and {len(problems) - 5} more problems"
        super().__init__(code, message, status=413 if code == FILE_TOO_LARGE else 422)
        self.problems = problems

    @property
    def reason(self) -> str:
        """The code of the first problem (WRONG_FILE_TYPE, MISSING_COLUMN, …)."""
        return self.problems[0].code

    def to_json(self) -> dict[str, object]:
        body = super().to_json()
        body["details"] = [
            {
                "location": "file",
                "field": problem.column,
                "message": problem.message,
                "type": problem.code,
                "row": problem.row,
            }
            for problem in self.problems
        ]
        return body


def _sentence(problem: RowError) -> str:
    return f"row {problem.row}: {problem.message}" if problem.row else problem.message


def file_error(reason: str, message: str, *, row: int = 0, column: str = "") -> ImportFileError:
    """INVALID_FILE (422) with one problem; `row` 0 when it concerns the file, not a row."""
    return ImportFileError([RowError(row, column, reason, message)])


def too_large(reason: str, message: str) -> ImportFileError:
    """FILE_TOO_LARGE (413)."""
    return ImportFileError([RowError(0, "", reason, message)], code=FILE_TOO_LARGE)
