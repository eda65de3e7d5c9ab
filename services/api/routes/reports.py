"""Provenance exports for regulators: GS1 EPCIS 2.0 JSON-LD, CSV and PDF, of a batch or a pack.

Included before the provenance routes: their `/batches/{gtin}/{lot:path}` would otherwise take
`LOT001.epcis.json` for a lot. The same files are answered by `?format=` on the provenance
routes and by the regulator's report pages (`provenance_file`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from fastapi.responses import Response

from services.api.deps import RegulatorDep, RuntimeDep
from services.api.fields import Gtin, Lot, Serial
from services.api.routes import errors
from services.reports import export
from services.reports.pdf import render_report_pdf
from services.reports.provenance_report import batch_report, pack_report
from services.runtime import Actor, Runtime

router = APIRouter(prefix="/provenance", tags=["provenance"], responses=errors(401, 422))

EPCIS_MEDIA_TYPE = "application/ld+json"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
_EPCIS: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {EPCIS_MEDIA_TYPE: {"schema": {"type": "object"}}},
        "description": "EPCIS 2.0 JSON-LD document (GS1's EPCISDocument schema)",
    }
}
_CSV: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "One row per event",
    }
}


def _epcis(document: dict[str, Any], name: str) -> Response:
    return Response(
        json.dumps(document, ensure_ascii=False),
        media_type=EPCIS_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}.epcis.json"'},
    )


def _csv(document: dict[str, Any], name: str) -> Response:
    return Response(
        export.to_csv(document),
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


PDF_MEDIA_TYPE = "application/pdf"
_PDF: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {PDF_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        "description": "The provenance report: summary, custody graph, shipments, alerts, timeline",
    }
}
FileFormat = Literal["csv", "epcis", "pdf"]


def _name(*parts: str) -> str:
    return "provenance-" + "-".join("".join(c if c.isalnum() else "_" for c in p) for p in parts)


@dataclass(frozen=True)
class Subject:
    """What a report is about: a batch (`key` is the lot) or a pack (`key` is the serial)."""

    kind: Literal["batch", "pack"]
    gtin: str
    key: str


def _pdf(rt: Runtime, actor: Actor, subject: Subject) -> Response:
    if subject.kind == "batch":
        report = batch_report(rt, subject.gtin, subject.key)
    else:
        report = pack_report(rt, subject.gtin, subject.key)
    body = render_report_pdf(
        report,
        generated_at=rt.now(),
        generated_for=f"{actor.user or 'a user'} of {actor.msp_id}",
        ledger_height=rt.ledger.height(),
    )
    name = _name(subject.gtin, subject.key)
    return Response(
        body,
        media_type=PDF_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
    )


def provenance_file(rt: Runtime, actor: Actor, subject: Subject, fmt: FileFormat) -> Response:
    """The report of `subject` as a download; 404 UNKNOWN_BATCH / UNKNOWN_SERIAL if unknown."""
    if fmt == "pdf":
        return _pdf(rt, actor, subject)
    if subject.kind == "batch":
        document = export.batch_epcis(rt, subject.gtin, subject.key)
    else:
        document = export.pack_epcis(rt, subject.gtin, subject.key)
    name = _name(subject.gtin, subject.key)
    return _csv(document, name) if fmt == "csv" else _epcis(document, name)


@router.get(
    "/batches/{gtin}/{lot:path}.epcis.json",
    operation_id="get_batch_provenance_epcis",
    response_class=Response,
    responses={**_EPCIS, **errors(403, 404)},
)
def get_batch_provenance_epcis(
    gtin: Annotated[Gtin, Path()], lot: Annotated[Lot, Path()], rt: RuntimeDep, _a: RegulatorDep
) -> Response:
    """A batch's provenance as a GS1 EPCIS 2.0 JSON-LD document with CBV 2.0 event hashes."""
    return _epcis(export.batch_epcis(rt, gtin, lot), _name(gtin, lot))


@router.get(
    "/batches/{gtin}/{lot:path}.csv",
    operation_id="get_batch_provenance_csv",
    response_class=Response,
    responses={**_CSV, **errors(403, 404)},
)
def get_batch_provenance_csv(
    gtin: Annotated[Gtin, Path()], lot: Annotated[Lot, Path()], rt: RuntimeDep, _a: RegulatorDep
) -> Response:
    """A batch's provenance events as CSV, with ledger references and event hashes."""
    return _csv(export.batch_epcis(rt, gtin, lot), _name(gtin, lot))


@router.get(
    "/packs/{gtin}/{serial:path}.epcis.json",
    operation_id="get_pack_provenance_epcis",
    response_class=Response,
    responses={**_EPCIS, **errors(403, 404)},
)
def get_pack_provenance_epcis(
    gtin: Annotated[Gtin, Path()],
    serial: Annotated[Serial, Path()],
    rt: RuntimeDep,
    _a: RegulatorDep,
) -> Response:
    """A pack's provenance (its batch's custody chain, its own events and scans) as EPCIS 2.0."""
    return _epcis(export.pack_epcis(rt, gtin, serial), _name(gtin, serial))


@router.get(
    "/packs/{gtin}/{serial:path}.csv",
    operation_id="get_pack_provenance_csv",
    response_class=Response,
    responses={**_CSV, **errors(403, 404)},
)
def get_pack_provenance_csv(
    gtin: Annotated[Gtin, Path()],
    serial: Annotated[Serial, Path()],
    rt: RuntimeDep,
    _a: RegulatorDep,
) -> Response:
    """A pack's provenance events as CSV."""
    return _csv(export.pack_epcis(rt, gtin, serial), _name(gtin, serial))


@router.get(
    "/batches/{gtin}/{lot:path}.pdf",
    operation_id="get_batch_provenance_pdf",
    response_class=Response,
    responses={**_PDF, **errors(403, 404)},
)
def get_batch_provenance_pdf(
    gtin: Annotated[Gtin, Path()], lot: Annotated[Lot, Path()], rt: RuntimeDep, actor: RegulatorDep
) -> Response:
    """A batch's provenance report as PDF: custody graph, shipments, alerts, every event."""
    return _pdf(rt, actor, Subject("batch", gtin, lot))


@router.get(
    "/packs/{gtin}/{serial:path}.pdf",
    operation_id="get_pack_provenance_pdf",
    response_class=Response,
    responses={**_PDF, **errors(403, 404)},
)
def get_pack_provenance_pdf(
    gtin: Annotated[Gtin, Path()],
    serial: Annotated[Serial, Path()],
    rt: RuntimeDep,
    actor: RegulatorDep,
) -> Response:
    """A pack's provenance report as PDF: its batch's custody chain, its own events and scans."""
    return _pdf(rt, actor, Subject("pack", gtin, serial))
