"""Pack labels of a batch: a printable PDF sheet, or one pack's label as PNG.

Who may: the batch's manufacturer or a regulator (another manufacturer gets 403 NOT_BATCH_OWNER,
as for `get_batch`). Every check and lookup runs before the first byte is sent, so an unknown
batch or serial is a plain 404 JSON error, never a broken download.

The sheet is streamed while it is rendered: `services.labels.render_sheet_pdf` writes page by
page into a small bounded pipe that the response reads from (`PdfStream`), so the first page
arrives at once, memory stays flat for a batch of any size, and a client that goes away stops
the rendering. Should rendering fail half-way, the response ends early and the client sees a
truncated file (a status cannot be changed once sent); the pre-checks make that a bug, not a
user error.

The manufacturer page (dashboards/) serves the same downloads with its cookie session, through
`label_sheet_response` and `pack_label_response`.

These routes are included before the batches' routes: `/batches/{gtin}/{lot:path}` would
otherwise take `LOT001/labels.pdf` for a lot.
"""

from __future__ import annotations

import io
import logging
import queue
import re
import threading
from collections.abc import Iterator
from datetime import date
from itertools import chain
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response, StreamingResponse
from typing_extensions import Buffer

from services.api.deps import MANUFACTURER, BatchOverseerDep, RuntimeDep
from services.api.fields import Gtin, Lot, Serial
from services.api.routes import errors
from services.domain import batches
from services.errors import PharmaTraceError, forbidden, invalid, not_found
from services.gs1 import PackIdentifier
from services.labels import (
    LabelError,
    Paper,
    UnknownBatchError,
    labels_for_batch,
    render_pack_label,
    render_sheet_pdf,
)
from services.readmodel.tables import Batch, SerialNumber
from services.runtime import Actor, Runtime

log = logging.getLogger("pharmatrace.api.labels")
router = APIRouter(tags=["labels"], responses=errors(401, 422))

CHUNK_BYTES = 64 * 1024
PIPE_CHUNKS = 16  # at most ~1 MB rendered ahead of what the client has read
PUT_WAIT_SECONDS = 0.5

GtinPath = Annotated[Gtin, Path()]
LotPath = Annotated[Lot, Path(description="Percent-encode '/', '%', '?' and the like.")]
SerialPath = Annotated[Serial, Path()]
PaperQuery = Annotated[Paper, Query(description="Paper size of the sheet.")]


def _filename_part(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)


def _not_printable(error: LabelError) -> PharmaTraceError:
    if isinstance(error, UnknownBatchError):
        return not_found("UNKNOWN_BATCH", str(error))
    return invalid("LABEL_NOT_PRINTABLE", str(error))


def visible_batch(rt: Runtime, actor: Actor, gtin: str, lot: str) -> Batch:
    """The batch if `actor` may print its labels: 404 UNKNOWN_BATCH, 403 NOT_BATCH_OWNER."""
    batch, _holdings = batches.get_batch(rt, gtin, lot)
    if actor.role == MANUFACTURER and batch.manufacturer != actor.msp_id:
        raise forbidden("NOT_BATCH_OWNER", f"Batch {lot} belongs to {batch.manufacturer}.")
    return batch


# -- streaming ---------------------------------------------------------------------------------


class _End:
    """Marks the end of the rendered stream."""


class _ClientGoneError(Exception):
    """The response was closed before the sheet was complete."""


class _PipeSink(io.RawIOBase):
    """The writing end: chunks go into a bounded queue; blocks while the client is behind."""

    def __init__(self, chunks: queue.Queue[bytes | BaseException | _End]) -> None:
        super().__init__()
        self.chunks = chunks
        self.closed_by_reader = threading.Event()

    def writable(self) -> bool:
        return True

    def write(self, data: Buffer) -> int:
        chunk = bytes(data)
        while True:
            if self.closed_by_reader.is_set():
                raise _ClientGoneError()
            try:
                self.chunks.put(chunk, timeout=PUT_WAIT_SECONDS)
                return len(chunk)
            except queue.Full:
                continue


class PdfStream:
    """`render_sheet_pdf` in a thread of its own, read as an iterator of byte chunks."""

    def __init__(self, labels: Iterator[tuple[PackIdentifier, str]], paper: Paper, total: int):
        self._chunks: queue.Queue[bytes | BaseException | _End] = queue.Queue(PIPE_CHUNKS)
        self._sink = _PipeSink(self._chunks)
        self._thread = threading.Thread(
            target=self._render, args=(labels, paper, total), name="label-sheet", daemon=True
        )

    def _render(
        self, labels: Iterator[tuple[PackIdentifier, str]], paper: Paper, total: int
    ) -> None:
        out = io.BufferedWriter(self._sink, buffer_size=CHUNK_BYTES)
        try:
            render_sheet_pdf(labels, out, paper=paper, total=total)
            out.flush()
        except _ClientGoneError:
            return
        except BaseException as error:  # handed to the reader, which logs it and stops
            self._put(error)
            return
        finally:
            close = getattr(labels, "close", None)
            if close is not None:
                close()  # releases labels_for_batch's database connection
        self._put(_End())

    def _put(self, item: BaseException | _End) -> None:
        while not self._sink.closed_by_reader.is_set():
            try:
                self._chunks.put(item, timeout=PUT_WAIT_SECONDS)
                return
            except queue.Full:
                continue

    def __iter__(self) -> Iterator[bytes]:
        self._thread.start()
        try:
            while True:
                item = self._chunks.get()
                if isinstance(item, _End):
                    return
                if isinstance(item, BaseException):
                    log.error("label sheet rendering failed half-way", exc_info=item)
                    return
                yield item
        finally:
            self._sink.closed_by_reader.set()  # also when the client went away mid-stream


def label_sheet_response(
    rt: Runtime, actor: Actor, gtin: str, lot: str, paper: Paper = "A4"
) -> Response:
    """The batch's label sheet as a PDF download, streamed while it is rendered."""
    batch = visible_batch(rt, actor, gtin, lot)
    try:
        labels = labels_for_batch(rt.engine, gtin=batch.gtin, lot=batch.lot)
        first = next(labels, None)
    except LabelError as error:
        raise _not_printable(error) from error
    if first is None:
        raise PharmaTraceError(
            "NO_SERIALS_STORED",
            f"The serial numbers of batch {lot} are not stored here, so no labels can be made.",
            status=409,
        )
    name = f"labels-{batch.gtin}-{_filename_part(batch.lot)}-{paper}.pdf"
    return StreamingResponse(
        iter(PdfStream(chain([first], labels), paper, batch.quantity)),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def pack_label_response(rt: Runtime, actor: Actor, gtin: str, lot: str, serial: str) -> Response:
    """One pack's label as a PNG image."""
    batch = visible_batch(rt, actor, gtin, lot)
    with rt.session() as session:
        registered = session.get(SerialNumber, (batch.gtin, serial))
    if registered is None or registered.lot != batch.lot:
        raise not_found(
            "UNKNOWN_SERIAL", f"Serial {serial} is not a pack of batch {lot} of GTIN {gtin}."
        )
    pack = PackIdentifier(
        gtin=batch.gtin, lot=batch.lot, serial=serial, expiry=date.fromisoformat(batch.expiry)
    )
    try:
        png = render_pack_label(pack, product_name=batch.product_name)
    except LabelError as error:
        raise _not_printable(error) from error
    name = f"label-{batch.gtin}-{_filename_part(batch.lot)}-{_filename_part(serial)}.png"
    return Response(
        png, media_type="image/png", headers={"Content-Disposition": f'inline; filename="{name}"'}
    )


# -- routes ------------------------------------------------------------------------------------

_BINARY = {"schema": {"type": "string", "format": "binary"}}
_PDF = {"content": {"application/pdf": _BINARY}, "description": "The label sheet, streamed."}
_PNG = {"content": {"image/png": _BINARY}, "description": "The pack's label."}


@router.get(
    "/batches/{gtin}/{lot:path}/labels.pdf",
    operation_id="get_batch_label_sheet",
    response_class=StreamingResponse,
    responses={200: _PDF, **errors(403, 404, 409)},
)
def get_batch_label_sheet(
    gtin: GtinPath,
    lot: LotPath,
    rt: RuntimeDep,
    actor: BatchOverseerDep,
    paper: PaperQuery = "A4",
) -> Response:
    """Every pack's label of the batch (GS1 DataMatrix, Digital Link QR, human-readable text)
    in a grid on A4 or Letter sheets; 50 x 25 mm labels."""
    return label_sheet_response(rt, actor, gtin, lot, paper)


@router.get(
    "/batches/{gtin}/{lot:path}/labels/{serial}.png",
    operation_id="get_pack_label",
    response_class=Response,
    responses={200: _PNG, **errors(403, 404)},
)
def get_pack_label(
    gtin: GtinPath, lot: LotPath, serial: SerialPath, rt: RuntimeDep, actor: BatchOverseerDep
) -> Response:
    """One pack's label as a PNG image (50 x 25 mm at 300 dpi)."""
    return pack_label_response(rt, actor, gtin, lot, serial)
