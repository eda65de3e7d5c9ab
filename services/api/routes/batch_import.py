"""Batch import: register many batches from one uploaded ERP export (CSV or Excel .xlsx).

    POST /batches/import   multipart/form-data, field `file`   (manufacturers only)

The answer is the import report: one outcome per batch (group of rows) and every row error with
its spreadsheet row number (the header is row 1) and column. A batch with any error is skipped
whole; the others are committed, so the answer is 200 even when some rows failed
(`error_count` > 0). Importing the same file again writes nothing new: its batches come back as
`already_registered`. A file that cannot be imported at all is 422 INVALID_FILE (`details` say
where) or 413 FILE_TOO_LARGE (over PHARMATRACE_IMPORT_MAX_BYTES, 50 MiB by default; the
application's request body limit, PHARMATRACE_MAX_BODY_BYTES, applies first).
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated, Literal

from fastapi import APIRouter, File, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from services.api.deps import ManufacturerDep, RuntimeDep
from services.api.routes import errors
from services.domain import batch_import

router = APIRouter()


class RowErrorPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    row: int = Field(description="Row as a spreadsheet numbers it: the header is row 1.")
    column: str = Field(description="The column's header as the file spells it; '' for a batch.")
    code: str = Field(examples=["INVALID_GTIN"])
    message: str


class BatchOutcomePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    gtin: str = Field(examples=["09506000134352"])
    lot: str = Field(examples=["LOT001"])
    expiry: str | None = Field(examples=["2028-06-30"])
    quantity: int | None = Field(description="Serials in the file, or the quantity column.")
    first_row: int
    rows: int = Field(description="How many rows of the file make up the batch.")
    status: Literal["committed", "already_registered", "skipped_invalid", "failed"]
    message: str = ""
    tx_id: str | None = Field(
        description="The registering transaction (also when registered before)."
    )
    block: int | None = None


class ImportReportPublic(BaseModel):
    filename: str
    file_type: Literal["csv", "xlsx"]
    layout: Literal["batches", "packs"] = Field(
        description="batches: one row per batch (quantity); packs: one row per pack (serial)."
    )
    rows_read: int
    committed: int
    already_registered: int
    skipped_invalid: int
    failed: int
    error_count: int
    errors_truncated: bool = Field(description="True when `errors` lists only the first ones.")
    batches: list[BatchOutcomePublic]
    errors: list[RowErrorPublic]


@router.post(
    "/batches/import",
    operation_id="import_batches",
    tags=["batches"],
    response_model=ImportReportPublic,
    responses=errors(401, 403, 413, 422),
)
def import_batches(
    rt: RuntimeDep,
    actor: ManufacturerDep,
    file: Annotated[
        UploadFile,
        File(description="The ERP export: CSV UTF-8 (.csv, .tsv, .txt) or Excel (.xlsx)."),
    ],
) -> ImportReportPublic:
    """Register the batches of a CSV or Excel file; batches with any error are skipped whole.

    Columns (header row first, names case- and space-insensitive): gtin, lot, expiry
    (YYYY-MM-DD or YYMMDD), and either quantity (one row per batch, serials generated) or
    serial (one row per pack, grouped into batches by gtin + lot).
    """
    report = batch_import.import_batches(
        rt, actor=actor, source=file.file, filename=PurePath(file.filename or "").name
    )
    return ImportReportPublic(
        filename=report.filename,
        file_type=report.file_type,
        layout=report.layout,
        rows_read=report.rows_read,
        committed=report.committed,
        already_registered=report.already_registered,
        skipped_invalid=report.skipped_invalid,
        failed=report.failed,
        error_count=report.error_count,
        errors_truncated=report.errors_truncated,
        batches=[BatchOutcomePublic.model_validate(batch) for batch in report.batches],
        errors=[RowErrorPublic.model_validate(error) for error in report.errors],
    )
