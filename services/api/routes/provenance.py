"""Provenance for regulators: where a batch or a pack has been, with the ledger's evidence."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from services.api.deps import RegulatorDep, RuntimeDep
from services.api.fields import Gtin, Lot, Serial
from services.api.models import BatchProvenance, PackProvenance
from services.api.routes import errors
from services.domain import provenance

router = APIRouter(prefix="/provenance", tags=["provenance"])


@router.get(
    "/batches/{gtin}/{lot:path}", operation_id="get_batch_provenance", responses=errors(403, 404)
)
def get_batch_provenance(
    gtin: Annotated[Gtin, Path()],
    lot: Annotated[Lot, Path()],
    rt: RuntimeDep,
    _actor: RegulatorDep,
) -> BatchProvenance:
    """A batch's holders, shipments, ledger events and scans."""
    return BatchProvenance.model_validate(provenance.batch_provenance(rt, gtin, lot))


@router.get(
    "/packs/{gtin}/{serial:path}", operation_id="get_pack_provenance", responses=errors(403, 404)
)
def get_pack_provenance(
    gtin: Annotated[Gtin, Path()],
    serial: Annotated[Serial, Path()],
    rt: RuntimeDep,
    _actor: RegulatorDep,
) -> PackProvenance:
    """A pack's status, its batch's shipments, its ledger events and every scan of it."""
    return PackProvenance.model_validate(provenance.pack_provenance(rt, gtin, serial))
