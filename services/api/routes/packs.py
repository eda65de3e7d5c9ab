"""Packs: decommission a pack (dispense, destroy, …) and undo it, by its scanned code."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from services.api.deps import CustodianDep, RuntimeDep
from services.api.idempotency import IdempotencyDep, Outcome
from services.api.models import DecommissionRequest, PackCommitted, PackPublic, VerifyRequest
from services.api.routes import errors
from services.domain import packs
from services.runtime import Committed

router = APIRouter(prefix="/packs", tags=["packs"])


def _outcome(committed: Committed) -> Outcome:
    pack = PackPublic.model_validate(committed.record)
    return Outcome(PackCommitted(tx_id=committed.tx_id, block=committed.block, pack=pack))


@router.post(
    "/decommission",
    operation_id="decommission_pack",
    response_model=PackCommitted,
    responses=errors(403, 404, 409),
)
def decommission_pack(
    body: DecommissionRequest, rt: RuntimeDep, actor: CustodianDep, idem: IdempotencyDep
) -> Response:
    """Set a pack's status: `supplied` (dispensed, pharmacies only), destroyed, stolen, …"""
    return idem.run(
        lambda: _outcome(packs.decommission(rt, actor=actor, code=body.code, status=body.status))
    )


@router.post(
    "/undo",
    operation_id="undo_decommission",
    response_model=PackCommitted,
    responses=errors(403, 404, 409),
)
def undo_decommission(
    body: VerifyRequest, rt: RuntimeDep, actor: CustodianDep, idem: IdempotencyDep
) -> Response:
    """Revert a decommissioning: within 10 days, same organization and premises."""
    return idem.run(lambda: _outcome(packs.undo(rt, actor=actor, code=body.code)))
