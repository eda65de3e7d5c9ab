"""Batch import from ERP exports (CSV, .xlsx): reading, scratch storage, errors.

The import itself lives in `services.domain.batch_import`; its public names are re-exported here
(`import_batches`, `ImportReport`, `BatchOutcome`, `RowError`, `ImportFileError`), loaded on first
use so that the domain module can import this package's submodules without a cycle.

    errors.py   RowError, ImportFileError (INVALID_FILE 422 / FILE_TOO_LARGE 413)
    reader.py   file type, size limit, CSV chunks (pandas), .xlsx rows (openpyxl read-only)
    spool.py    the rows and findings of one import in a temporary SQLite file
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from services.batch_import.errors import ImportFileError, RowError

if TYPE_CHECKING:
    from services.domain.batch_import import (
        BatchOutcome,
        ImportReport,
        ProgressCallback,
        import_batches,
    )

__all__ = [
    "BatchOutcome",
    "ImportFileError",
    "ImportReport",
    "ProgressCallback",
    "RowError",
    "import_batches",
]

_LAZY = frozenset({"BatchOutcome", "ImportReport", "ProgressCallback", "import_batches"})


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return getattr(importlib.import_module("services.domain.batch_import"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
