"""Labels: GS1 DataMatrix + Digital Link QR pack labels, SSCC case/pallet labels, PDF sheets.

Where it sits: reads identifiers built by `services.gs1` and batches from the read model
(`services.readmodel`); writes bytes (PNG, PDF) for label printers and office printers. Nothing
here touches the ledger.

    render_pack_label      one pack label, PNG (DataMatrix, QR, human-readable text)
    render_sheet_pdf       many pack labels in a grid on A4/Letter, streamed to a PDF
    render_logistic_label  a case or pallet label, PNG, with the GS1-128 of (00) SSCC
    next_sscc              build an SSCC with its check digit
    labels_for_batch       stream (pack, product name) for every serial of a batch
    gs1_datamatrix, digital_link_qr, gs1_128_sscc   the symbols alone, as `ModuleMatrix`

Modules, by the seam a reader would name: `zint_encoder` (why Zint), `datamatrix`, `gs1_128`,
`qr` (Zint, why not segno) encode; `modules` is the symbol currency; `layout` and `pack_layout`
place things on the printer's dot grid; `raster` and `pdf_label`/`pdf` draw them; `sheet`
paginates; `batch` reads the database; `errors` is the exception tree.
"""

from services.labels.batch import labels_for_batch
from services.labels.datamatrix import gs1_datamatrix
from services.labels.errors import (
    LabelDataError,
    LabelError,
    LabelLayoutError,
    UnknownBatchError,
)
from services.labels.gs1_128 import gs1_128_sscc
from services.labels.logistic import render_logistic_label
from services.labels.modules import ModuleMatrix
from services.labels.pack_label import render_pack_label
from services.labels.qr import digital_link_qr
from services.labels.sheet import PAPER_MM, Paper, Progress, render_sheet_pdf
from services.labels.sscc import next_sscc

__all__ = [
    "PAPER_MM",
    "LabelDataError",
    "LabelError",
    "LabelLayoutError",
    "ModuleMatrix",
    "Paper",
    "Progress",
    "UnknownBatchError",
    "digital_link_qr",
    "gs1_128_sscc",
    "gs1_datamatrix",
    "labels_for_batch",
    "next_sscc",
    "render_logistic_label",
    "render_pack_label",
    "render_sheet_pdf",
]
