"""Batches: mint a batch token, read batches with their custody, change a batch's status.

Holdings (`GET /holdings`) live here too: they are the per-batch balances of an organization.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from services.api.deps import (
    MANUFACTURER,
    ActorDep,
    BatchOverseerDep,
    ManufacturerDep,
    RuntimeDep,
)
from services.api.fields import Gtin, Lot
from services.api.idempotency import IdempotencyDep, Outcome
from services.api.models import (
    BatchCommitted,
    BatchCreate,
    BatchDetail,
    BatchPublic,
    BatchStatusChange,
    HoldingPublic,
)
from services.api.routes import errors
from services.api.views import batch_committed
from services.domain import batches
from services.errors import forbidden

router = APIRouter()

GtinPath = Annotated[Gtin, Path()]
LotPath = Annotated[Lot, Path(description="Percent-encode '/', '%', '?' and the like.")]

STATUS_BY_ACTION = {
    "recall": "recalled",
    "withdraw": "withdrawn",
    "quarantine": "quarantined",
    "release": "active",
}


@router.post(
    "/batches",
    operation_id="register_batch",
    tags=["batches"],
    status_code=201,
    response_model=BatchCommitted,
    responses=errors(403, 404, 409),
)
def register_batch(
    body: BatchCreate, rt: RuntimeDep, actor: ManufacturerDep, idem: IdempotencyDep
) -> Response:
    """Mint the batch token of (GTIN, lot) for the given serials, or `quantity` generated ones."""

    def operation() -> Outcome:
        registered = batches.register_batch(
            rt,
            actor=actor,
            gtin=body.gtin,
            lot=body.lot,
            expiry=body.expiry,
            serials=body.serials,
            quantity=body.quantity,
            manufactured=body.manufactured,
        )
        committed = batch_committed(rt, body.gtin, body.lot, registered.tx_id, registered.block)
        return Outcome(committed, 201)

    return idem.run(operation)


@router.get("/batches", operation_id="list_batches", tags=["batches"], responses=errors(403))
def list_batches(rt: RuntimeDep, actor: BatchOverseerDep) -> list[BatchPublic]:
    """A manufacturer's own batches; every batch for a regulator."""
    manufacturer = actor.msp_id if actor.role == MANUFACTURER else None
    return [
        BatchPublic.model_validate(batch)
        for batch in batches.list_batches(rt, manufacturer=manufacturer)
    ]


@router.get(
    "/batches/{gtin}/{lot:path}",
    operation_id="get_batch",
    tags=["batches"],
    responses=errors(403, 404),
)
def get_batch(gtin: GtinPath, lot: LotPath, rt: RuntimeDep, actor: BatchOverseerDep) -> BatchDetail:
    """One batch with who holds how much of it (its manufacturer or a regulator)."""
    batch, holdings = batches.get_batch(rt, gtin, lot)
    if actor.role == MANUFACTURER and batch.manufacturer != actor.msp_id:
        raise forbidden("NOT_BATCH_OWNER", f"Batch {lot} belongs to {batch.manufacturer}.")
    return BatchDetail.model_validate(
        {
            **BatchPublic.model_validate(batch).model_dump(),
            "holdings": [HoldingPublic.model_validate(h) for h in holdings],
        }
    )


@router.post(
    "/batches/{gtin}/{lot:path}/status",
    operation_id="change_batch_status",
    tags=["batches"],
    response_model=BatchCommitted,
    responses=errors(403, 404, 409),
)
def change_batch_status(
    gtin: GtinPath,
    lot: LotPath,
    body: BatchStatusChange,
    rt: RuntimeDep,
    actor: BatchOverseerDep,
    idem: IdempotencyDep,
) -> Response:
    """Recall, withdraw, quarantine or release a batch (its manufacturer or a regulator)."""

    def operation() -> Outcome:
        committed = batches.change_batch_status(
            rt,
            actor=actor,
            gtin=gtin,
            lot=lot,
            status=STATUS_BY_ACTION[body.action],
            reason=body.reason,
        )
        return Outcome(batch_committed(rt, gtin, lot, committed.tx_id, committed.block))

    return idem.run(operation)


@router.get("/holdings", operation_id="list_holdings", tags=["holdings"])
def list_holdings(rt: RuntimeDep, actor: ActorDep) -> list[HoldingPublic]:
    """The calling organization's stock, per batch."""
    return [
        HoldingPublic.model_validate(holding)
        for holding in batches.list_holdings(rt, msp_id=actor.msp_id)
    ]
