"""Shipping over HTTP: a keyed ship request that is safe to retry, and who may see a shipment.

The shipment id is derived from the caller's organization and Idempotency-Key
(`shipment_id_for`), so if the ledger committed a shipment but the answer was lost (a crash
before the idempotency record was stored), the retry reaches the contract with the same id and is
refused with SHIPMENT_EXISTS: custody cannot move twice. That refusal is then turned back into
the answer the first request would have had, when the existing shipment is the one requested.
"""

from __future__ import annotations

import json

from services.api.deps import REGULATOR
from services.api.idempotency import Outcome
from services.api.models import ShipmentCommitted, ShipmentCreate
from services.api.views import block_of, shipment_committed, shipment_public
from services.domain import shipments
from services.errors import PharmaTraceError, not_found
from services.readmodel.tables import Shipment, ShipmentLine
from services.runtime import Actor, Runtime

LineKey = tuple[str, str, int, tuple[str, ...], tuple[str, ...]]


def ship_or_resume(
    rt: Runtime, *, actor: Actor, request: ShipmentCreate, shipment_id: str
) -> Outcome:
    """Ship (201), or answer 200 with the shipment a lost earlier attempt already created."""
    lines = [
        shipments.ShipmentLineRequest(
            gtin=line.gtin,
            lot=line.lot,
            quantity=line.quantity,
            serials=tuple(line.serials),
            ssccs=tuple(line.ssccs),
        )
        for line in request.lines
    ]
    try:
        committed = shipments.ship(
            rt,
            actor=actor,
            receiver=request.receiver,
            lines=lines,
            shipment_id=shipment_id,
            to_location=request.to_location or "",
        )
    except PharmaTraceError as error:
        if error.code != "SHIPMENT_EXISTS":
            raise
        return Outcome(_existing(rt, actor, request, shipment_id, error), 200)
    return Outcome(shipment_committed(rt, shipment_id, committed.tx_id, committed.block), 201)


def _existing(
    rt: Runtime,
    actor: Actor,
    request: ShipmentCreate,
    shipment_id: str,
    error: PharmaTraceError,
) -> ShipmentCommitted:
    rt.indexer.catch_up()  # the lost attempt may have died before the read model caught up
    try:
        shipment, lines = shipments.get_shipment(rt, shipment_id)
    except PharmaTraceError:
        raise error from None
    if not _same_request(shipment, lines, actor, request):
        raise error
    return ShipmentCommitted(
        tx_id=shipment.ship_tx_id,
        block=block_of(rt, shipment.ship_tx_id),
        shipment=shipment_public(shipment, lines),
    )


def _same_request(
    shipment: Shipment, lines: list[ShipmentLine], actor: Actor, request: ShipmentCreate
) -> bool:
    recorded: list[LineKey] = sorted(
        (
            line.gtin,
            line.lot,
            line.quantity,
            tuple(sorted(json.loads(line.serials))),
            tuple(sorted(json.loads(line.ssccs))),
        )
        for line in lines
    )
    requested: list[LineKey] = sorted(
        (line.gtin, line.lot, line.quantity, tuple(sorted(line.serials)), tuple(sorted(line.ssccs)))
        for line in request.lines
    )
    return (
        shipment.sender == actor.msp_id
        and shipment.receiver == request.receiver
        and recorded == requested
    )


def hide_unless_party(rt: Runtime, actor: Actor, shipment_id: str) -> None:
    """404 for a shipment the actor neither sent nor receives, exactly as for an unknown one."""
    with rt.session() as session:
        shipment = session.get(Shipment, shipment_id)
    if (
        shipment is not None
        and actor.role != REGULATOR
        and actor.msp_id not in (shipment.sender, shipment.receiver)
    ):
        raise not_found("UNKNOWN_SHIPMENT", f"No shipment {shipment_id}.")
