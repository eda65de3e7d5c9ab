"""Read-model rows and domain results → response models, where a response spans several tables.

API-specific shaping only: which fields a client sees and under which names. Nothing here decides
what is valid or who may see what.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from sqlmodel import select

from services.api.models import (
    BatchCommitted,
    BatchPublic,
    DiscrepancyPublic,
    ShipmentCommitted,
    ShipmentLinePublic,
    ShipmentPublic,
    ShipmentSummary,
    VerdictPublic,
)
from services.domain import batches, shipments
from services.domain.verification import Verdict
from services.readmodel.tables import LedgerEvent, Shipment, ShipmentLine
from services.runtime import Runtime


def block_of(rt: Runtime, tx_id: str) -> int:
    """The block holding transaction `tx_id`, from the indexed event log (-1 if not indexed)."""
    with rt.session() as session:
        event = session.exec(select(LedgerEvent).where(LedgerEvent.tx_id == tx_id)).first()
    return event.block if event is not None else -1


def shipment_public(shipment: Shipment, lines: list[ShipmentLine]) -> ShipmentPublic:
    summary = ShipmentSummary.model_validate(shipment)
    return ShipmentPublic(
        **summary.model_dump(),
        lines=[
            ShipmentLinePublic(
                gtin=line.gtin,
                lot=line.lot,
                quantity=line.quantity,
                received=line.received,
                serials=json.loads(line.serials),
                ssccs=json.loads(line.ssccs),
            )
            for line in sorted(lines, key=lambda line: (line.gtin, line.lot))
        ],
        discrepancies=[
            DiscrepancyPublic.model_validate(d) for d in shipments.discrepancies(shipment)
        ],
    )


def shipment_committed(rt: Runtime, shipment_id: str, tx_id: str, block: int) -> ShipmentCommitted:
    shipment, lines = shipments.get_shipment(rt, shipment_id)
    return ShipmentCommitted(tx_id=tx_id, block=block, shipment=shipment_public(shipment, lines))


def batch_committed(rt: Runtime, gtin: str, lot: str, tx_id: str, block: int) -> BatchCommitted:
    if block < 0:
        # A resumed registration (the token was already on the ledger) submitted nothing, so
        # the read model may not have caught up, and the domain reports no block.
        rt.indexer.catch_up()
    batch, _holdings = batches.get_batch(rt, gtin, lot)
    tx_id = tx_id or batch.tx_id
    if block < 0:
        block = block_of(rt, tx_id)
    return BatchCommitted(tx_id=tx_id, block=block, batch=BatchPublic.model_validate(batch))


def verdict_public(verdict: Verdict) -> VerdictPublic:
    fields = asdict(verdict)
    fields["custody"] = verdict.custody or None  # an unreadable code has no custody to tell
    return VerdictPublic.model_validate(fields)
