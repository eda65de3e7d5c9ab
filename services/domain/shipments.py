"""Shipments: the sender ships, the receiver receives; custody moves no other way.

A shipment id derived from the client's idempotency key makes a retried ship request land on the
same id, which the contract refuses to create twice, so a retry can never double a transfer.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, or_, select

from services.domain import guards, logistic_units
from services.errors import not_found
from services.readmodel.tables import Shipment, ShipmentLine
from services.runtime import Actor, Committed, Runtime


@dataclass(frozen=True)
class ShipmentLineRequest:
    gtin: str
    lot: str
    quantity: int
    serials: tuple[str, ...] = ()
    ssccs: tuple[str, ...] = ()


def shipment_id_for(msp_id: str, idempotency_key: str | None) -> str:
    """A stable id for a keyed request, a random one otherwise."""
    if idempotency_key:
        digest = hashlib.sha256(f"{msp_id}\x00{idempotency_key}".encode()).hexdigest()
        return f"SHP-{digest[:24].upper()}"
    return f"SHP-{uuid.uuid4().hex[:24].upper()}"


def ship(
    rt: Runtime,
    *,
    actor: Actor,
    receiver: str,
    lines: list[ShipmentLineRequest],
    shipment_id: str | None = None,
    to_location: str = "",
) -> Committed:
    body: dict[str, Any] = {
        "shipment_id": shipment_id or shipment_id_for(actor.msp_id, None),
        "receiver": receiver,
        "lines": [
            {
                "gtin": line.gtin,
                "lot": line.lot,
                "quantity": line.quantity,
                "serials": list(line.serials),
                "ssccs": list(line.ssccs),
            }
            for line in lines
        ],
    }
    units = logistic_units.units_for_shipment(
        rt,
        actor=actor,
        ssccs=[sscc for line in lines for sscc in line.ssccs],
        shipment_id=body["shipment_id"],
    )
    guards.custodian_of_lines(
        rt, actor, [(line.gtin, line.lot) for line in lines], body["shipment_id"]
    )
    if units:  # the cases' contents travel with the shipment, for the receiver to resolve
        body["logistic_units"] = units
    if actor.location:
        body["from_location"] = actor.location
    if to_location:
        body["to_location"] = to_location
    return rt.submit(actor.msp_id, "Ship", body)


def receive(
    rt: Runtime,
    *,
    actor: Actor,
    shipment_id: str,
    received: list[tuple[str, str, int]] | None = None,
) -> Committed:
    """Confirm arrival; `received` lists (gtin, lot, quantity counted) where it differs."""
    body: dict[str, Any] = {"shipment_id": shipment_id}
    if received:
        body["lines"] = [{"gtin": g, "lot": lot, "quantity": q} for g, lot, q in received]
    if actor.location:
        body["location"] = actor.location
    return rt.submit(actor.msp_id, "Receive", body)


def get_shipment(rt: Runtime, shipment_id: str) -> tuple[Shipment, list[ShipmentLine]]:
    with rt.session() as session:
        shipment = session.get(Shipment, shipment_id)
        if shipment is None:
            raise not_found("UNKNOWN_SHIPMENT", f"No shipment {shipment_id}.")
        lines = list(
            session.exec(select(ShipmentLine).where(ShipmentLine.shipment_id == shipment_id))
        )
        return shipment, lines


def list_shipments(
    rt: Runtime,
    *,
    msp_id: str | None,
    direction: str = "all",
    status: str | None = None,
    limit: int = 200,
) -> list[Shipment]:
    """Shipments of an organization (`msp_id` None: all, for regulators)."""
    with rt.session() as session:
        query = select(Shipment)
        if msp_id and direction == "incoming":
            query = query.where(Shipment.receiver == msp_id)
        elif msp_id and direction == "outgoing":
            query = query.where(Shipment.sender == msp_id)
        elif msp_id:
            query = query.where(or_(Shipment.sender == msp_id, Shipment.receiver == msp_id))
        if status:
            query = query.where(Shipment.status == status)
        query = query.order_by(col(Shipment.shipped_at).desc()).limit(limit)
        return list(session.exec(query))


def discrepancies(shipment: Shipment) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = json.loads(shipment.discrepancies)
    return result
