"""How each chaincode event changes the read model.

Events carry whole records and absolute balances, so applying one is an upsert and applying it
twice changes nothing: the indexer is idempotent by construction, not only by its checkpoint.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlmodel import Session, SQLModel

from services.ledger.port import ChaincodeEvent
from services.readmodel.tables import (
    Batch,
    Holding,
    LedgerEvent,
    Organization,
    Pack,
    Product,
    Shipment,
    ShipmentLine,
    ShipmentLogisticUnit,
)

Payload = dict[str, Any]


def _fields(model: type[SQLModel], record: Payload) -> Payload:
    return {name: record[name] for name in model.model_fields if name in record}


def _organization(session: Session, payload: Payload) -> None:
    org = payload["organization"]
    session.merge(Organization(**_fields(Organization, org)))


def _product(session: Session, payload: Payload) -> None:
    session.merge(Product(**_fields(Product, payload["product"])))


def _batch(session: Session, payload: Payload) -> None:
    batch = payload["batch"]
    session.merge(Batch(**_fields(Batch, batch), tx_id=payload["tx_id"]))
    _holdings(session, payload, batch["gtin"], batch["lot"])


def _batch_status(session: Session, payload: Payload) -> None:
    batch = payload["batch"]
    current = session.get(Batch, (batch["gtin"], batch["lot"]))
    tx_id = current.tx_id if current else payload["tx_id"]
    session.merge(Batch(**_fields(Batch, batch), tx_id=tx_id))


def _holdings(session: Session, payload: Payload, gtin: str = "", lot: str = "") -> None:
    for holding in payload.get("holdings", []):
        key = (holding.get("gtin", gtin), holding.get("lot", lot), holding["msp_id"])
        if holding["quantity"] == 0:
            existing = session.get(Holding, key)
            if existing is not None:
                session.delete(existing)
        else:
            session.merge(
                Holding(gtin=key[0], lot=key[1], msp_id=key[2], quantity=holding["quantity"])
            )


def _shipment(session: Session, payload: Payload) -> None:
    shipment = payload["shipment"]
    fields = _fields(Shipment, shipment)
    fields["discrepancies"] = json.dumps(shipment.get("discrepancies", []))
    session.merge(Shipment(**fields))
    received = {(d["gtin"], d["lot"]): d["received"] for d in shipment.get("discrepancies", [])}
    is_received = shipment.get("received_at") is not None
    for line in shipment["lines"]:
        key = (line["gtin"], line["lot"])
        session.merge(
            ShipmentLine(
                shipment_id=shipment["shipment_id"],
                gtin=key[0],
                lot=key[1],
                quantity=line["quantity"],
                received=received.get(key, line["quantity"]) if is_received else None,
                serials=json.dumps(line.get("serials", [])),
                ssccs=json.dumps(line.get("ssccs", [])),
            )
        )
    for unit in shipment.get("logistic_units", []):
        session.merge(
            ShipmentLogisticUnit(
                shipment_id=shipment["shipment_id"],
                sscc=unit["sscc"],
                contents=json.dumps(unit["contents"]),
            )
        )
    _holdings(session, payload)


def _pack(session: Session, payload: Payload) -> None:
    session.merge(Pack(**_fields(Pack, payload["pack"])))
    _holdings(session, payload)


PROJECTIONS: dict[str, Callable[[Session, Payload], None]] = {
    "OrganizationRegistered": _organization,
    "LicenceStatusChanged": _organization,
    "ProductRegistered": _product,
    "BatchRegistered": _batch,
    "BatchStatusChanged": _batch_status,
    "ShipmentShipped": _shipment,
    "ShipmentReceived": _shipment,
    "PackDecommissioned": _pack,
    "PackReactivated": _pack,
}


def _subject(payload: Payload) -> tuple[str | None, str | None, str | None, str | None]:
    """(gtin, lot, serial, shipment_id) the event is about, for provenance look-ups."""
    for field in ("pack", "batch"):
        if field in payload:
            record = payload[field]
            return record.get("gtin"), record.get("lot"), record.get("serial"), None
    if "shipment" in payload:
        return None, None, None, payload["shipment"]["shipment_id"]
    if "product" in payload:
        return payload["product"]["gtin"], None, None, None
    return None, None, None, None


def apply(session: Session, event: ChaincodeEvent) -> None:
    """Apply one event: its projection plus a row in the event log."""
    payload: Payload = json.loads(event.payload)
    projection = PROJECTIONS.get(event.name)
    if projection is not None:
        projection(session, payload)
    gtin, lot, serial, shipment_id = _subject(payload)
    session.merge(
        LedgerEvent(
            block=event.block,
            tx_index=event.tx_index,
            tx_id=event.tx_id,
            name=event.name,
            at=payload.get("at", event.timestamp.isoformat()),
            actor=payload.get("actor", ""),
            gtin=gtin,
            lot=lot,
            serial=serial,
            shipment_id=shipment_id,
            payload=event.payload.decode(),
        )
    )
