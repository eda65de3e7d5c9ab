"""Provenance for regulators: where a batch or a pack has been, with the ledger's evidence.

`?format=json` (the default) answers the JSON model; `csv`, `epcis` and `pdf` answer the same
files as the `.csv`, `.epcis.json` and `.pdf` routes (services.api.routes.reports). Any other
format is 422 UNSUPPORTED_FORMAT, checked before the batch or pack is looked up.
"""

from __future__ import annotations

from typing import Annotated, Any, cast

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from services.api.deps import RegulatorDep, RuntimeDep
from services.api.fields import Gtin, Lot, Serial
from services.api.models import BatchProvenance, PackProvenance
from services.api.routes import errors
from services.api.routes.reports import FileFormat, Subject, provenance_file
from services.domain import provenance
from services.errors import invalid
from services.runtime import Actor, Runtime

router = APIRouter(prefix="/provenance", tags=["provenance"])

FORMATS = ("json", "csv", "epcis", "pdf")
FORMAT_MEDIA_TYPES = {
    "application/json": {"schema": {"type": "object"}},
    "text/csv": {"schema": {"type": "string"}},
    "application/ld+json": {"schema": {"type": "object"}},
    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
}
FormatQuery = Annotated[
    str,
    Query(
        alias="format",
        description="json (default), csv, epcis (GS1 EPCIS 2.0 JSON-LD) or pdf",
        json_schema_extra={"enum": list(FORMATS)},
    ),
]
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": FORMAT_MEDIA_TYPES},
    **errors(403, 404, 422),
}


def _checked(fmt: str) -> str:
    if fmt not in FORMATS:
        raise invalid(
            "UNSUPPORTED_FORMAT",
            f"Format {fmt!r} is not offered; choose one of {', '.join(FORMATS)}.",
        )
    return fmt


def _file(rt: Runtime, actor: Actor, subject: Subject, fmt: str) -> Response:
    return provenance_file(rt, actor, subject, cast(FileFormat, fmt))


@router.get(
    "/batches/{gtin}/{lot:path}",
    operation_id="get_batch_provenance",
    response_model=BatchProvenance,
    responses=_RESPONSES,
)
def get_batch_provenance(
    gtin: Annotated[Gtin, Path()],
    lot: Annotated[Lot, Path()],
    rt: RuntimeDep,
    actor: RegulatorDep,
    fmt: FormatQuery = "json",
) -> BatchProvenance | Response:
    """A batch's holders, shipments, ledger events and scans (or its report as a file)."""
    if _checked(fmt) != "json":
        return _file(rt, actor, Subject("batch", gtin, lot), fmt)
    return BatchProvenance.model_validate(provenance.batch_provenance(rt, gtin, lot))


@router.get(
    "/packs/{gtin}/{serial:path}",
    operation_id="get_pack_provenance",
    response_model=PackProvenance,
    responses=_RESPONSES,
)
def get_pack_provenance(
    gtin: Annotated[Gtin, Path()],
    serial: Annotated[Serial, Path()],
    rt: RuntimeDep,
    actor: RegulatorDep,
    fmt: FormatQuery = "json",
) -> PackProvenance | Response:
    """A pack's status, its batch's shipments, its ledger events and every scan of it."""
    if _checked(fmt) != "json":
        return _file(rt, actor, Subject("pack", gtin, serial), fmt)
    return PackProvenance.model_validate(provenance.pack_provenance(rt, gtin, serial))
