"""Shipments: a custodian ships to a trading partner, the receiver receives; both can read it."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Path, Query
from fastapi.responses import Response

from services.api.deps import REGULATOR, ActorDep, CustodianDep, RuntimeDep
from services.api.idempotency import IdempotencyDep, Outcome
from services.api.models import (
    ShipmentCommitted,
    ShipmentCreate,
    ShipmentPublic,
    ShipmentReceive,
    ShipmentStatus,
    ShipmentSummary,
)
from services.api.routes import errors
from services.api.shipping import hide_unless_party, ship_or_resume
from services.api.views import shipment_committed, shipment_public
from services.domain import shipments
from services.domain.shipments import shipment_id_for

router = APIRouter(prefix="/shipments", tags=["shipments"])

ShipmentIdPath = Annotated[str, Path(min_length=1, max_length=64, examples=["SHP-3F2A9C0D1E4B"])]


@router.post(
    "",
    operation_id="ship_batch",
    status_code=201,
    response_model=ShipmentCommitted,
    responses={
        200: {
            "model": ShipmentCommitted,
            "description": "A retry (same Idempotency-Key) of a shipment that was already made.",
        },
        **errors(403, 404, 409),
    },
)
def ship_batch(
    body: ShipmentCreate, rt: RuntimeDep, actor: CustodianDep, idem: IdempotencyDep
) -> Response:
    """Ship batch quantities to a trading partner; they are in transit until received.

    Send an Idempotency-Key: a retry with the same key can never ship twice, even if the first
    answer was lost after the ledger had recorded the shipment.
    """
    shipment_id = shipment_id_for(actor.msp_id, idem.key)
    return idem.run(lambda: ship_or_resume(rt, actor=actor, request=body, shipment_id=shipment_id))


@router.post(
    "/{shipment_id}/receive",
    operation_id="receive_shipment",
    response_model=ShipmentCommitted,
    responses=errors(403, 404, 409),
)
def receive_shipment(
    shipment_id: ShipmentIdPath,
    rt: RuntimeDep,
    actor: CustodianDep,
    idem: IdempotencyDep,
    body: Annotated[ShipmentReceive | None, Body()] = None,
) -> Response:
    """Confirm arrival; give `lines` with the quantities counted where they differ."""
    hide_unless_party(rt, actor, shipment_id)
    lines = body.lines if body is not None and body.lines else []
    counted = [(line.gtin, line.lot, line.quantity) for line in lines]

    def operation() -> Outcome:
        committed = shipments.receive(
            rt, actor=actor, shipment_id=shipment_id, received=counted or None
        )
        return Outcome(shipment_committed(rt, shipment_id, committed.tx_id, committed.block))

    return idem.run(operation)


@router.get("", operation_id="list_shipments")
def list_shipments(
    rt: RuntimeDep,
    actor: ActorDep,
    direction: Annotated[Literal["incoming", "outgoing", "all"], Query()] = "all",
    status: Annotated[ShipmentStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[ShipmentSummary]:
    """The caller's shipments, newest first; a regulator sees every organization's."""
    msp_id = None if actor.role == REGULATOR else actor.msp_id
    return [
        ShipmentSummary.model_validate(shipment)
        for shipment in shipments.list_shipments(
            rt, msp_id=msp_id, direction=direction, status=status, limit=limit
        )
    ]


@router.get("/{shipment_id}", operation_id="get_shipment", responses=errors(404))
def get_shipment(shipment_id: ShipmentIdPath, rt: RuntimeDep, actor: ActorDep) -> ShipmentPublic:
    """One shipment with its lines (its sender, its receiver or a regulator; others get 404)."""
    hide_unless_party(rt, actor, shipment_id)
    shipment, lines = shipments.get_shipment(rt, shipment_id)
    return shipment_public(shipment, lines)
