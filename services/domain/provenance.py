"""Provenance: where a batch or a pack has been, who held it, and the ledger entries proving it.

Built from the read model's event log (every entry names its block and transaction), shipments and
scans. The regulator's full reports (timeline, graph, map, PDF, EPCIS) build on this.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, col, or_, select

from services.errors import not_found
from services.readmodel.tables import (
    Batch,
    Holding,
    LedgerEvent,
    Pack,
    Product,
    Scan,
    SerialNumber,
    Shipment,
    ShipmentLine,
)
from services.runtime import Runtime


def _event(row: LedgerEvent) -> dict[str, Any]:
    return {
        "block": row.block,
        "tx_index": row.tx_index,
        "tx_id": row.tx_id,
        "name": row.name,
        "at": row.at,
        "actor": row.actor,
        "payload": json.loads(row.payload),
    }


def _scan(row: Scan) -> dict[str, Any]:
    return {
        "at": row.at,
        "msp_id": row.msp_id,
        "user": row.user,
        "location": row.location,
        "serial": row.serial,
        "result": row.result,
        "light": row.light,
        "reasons": json.loads(row.reasons),
    }


def _shipments(session: Session, gtin: str, lot: str) -> list[dict[str, Any]]:
    rows = session.exec(
        select(Shipment, ShipmentLine)
        .join(ShipmentLine, col(ShipmentLine.shipment_id) == col(Shipment.shipment_id))
        .where(ShipmentLine.gtin == gtin, ShipmentLine.lot == lot)
        .order_by(Shipment.shipped_at)
    ).all()
    return [
        {
            "shipment_id": s.shipment_id,
            "sender": s.sender,
            "receiver": s.receiver,
            "status": s.status,
            "quantity": line.quantity,
            "received": line.received,
            "shipped_at": s.shipped_at,
            "received_at": s.received_at,
            "ship_tx_id": s.ship_tx_id,
            "receive_tx_id": s.receive_tx_id,
            "discrepancies": json.loads(s.discrepancies),
        }
        for s, line in rows
    ]


def batch_provenance(rt: Runtime, gtin: str, lot: str) -> dict[str, Any]:
    with rt.session() as session:
        batch = session.get(Batch, (gtin, lot))
        if batch is None:
            raise not_found("UNKNOWN_BATCH", f"No batch {lot} of GTIN {gtin}.")
        shipments = _shipments(session, gtin, lot)
        ids = [s["shipment_id"] for s in shipments]
        events = session.exec(
            select(LedgerEvent)
            .where(
                or_(
                    (col(LedgerEvent.gtin) == gtin) & (col(LedgerEvent.lot) == lot),
                    col(LedgerEvent.shipment_id).in_(ids),
                )
            )
            .order_by(col(LedgerEvent.block), col(LedgerEvent.tx_index))
        ).all()
        scans = session.exec(
            select(Scan).where(Scan.gtin == gtin, Scan.lot == lot).order_by(Scan.at)
        ).all()
        holdings = session.exec(
            select(Holding).where(Holding.gtin == gtin, Holding.lot == lot)
        ).all()
        product = session.get(Product, gtin)
        return {
            "batch": batch.model_dump(),
            "product": product.model_dump() if product else None,
            "holdings": [{"msp_id": h.msp_id, "quantity": h.quantity} for h in holdings],
            "shipments": shipments,
            "events": [_event(e) for e in events],
            "scans": [_scan(s) for s in scans],
        }


def pack_provenance(rt: Runtime, gtin: str, serial: str) -> dict[str, Any]:
    with rt.session() as session:
        registered = session.get(SerialNumber, (gtin, serial))
        scans = session.exec(
            select(Scan).where(Scan.gtin == gtin, Scan.serial == serial).order_by(Scan.at)
        ).all()
        if registered is None and not scans:
            raise not_found(
                "UNKNOWN_SERIAL", f"Serial {serial} of GTIN {gtin} was never registered or scanned."
            )
        pack = session.get(Pack, (gtin, serial))
        events = session.exec(
            select(LedgerEvent)
            .where(LedgerEvent.gtin == gtin, LedgerEvent.serial == serial)
            .order_by(col(LedgerEvent.block), col(LedgerEvent.tx_index))
        ).all()
        lot = registered.lot if registered else None
        return {
            "gtin": gtin,
            "serial": serial,
            "lot": lot,
            "registered": registered is not None,
            "status": pack.status if pack else ("active" if registered else "unknown"),
            "pack": pack.model_dump() if pack else None,
            "batch_shipments": _shipments(session, gtin, lot) if lot else [],
            "events": [_event(e) for e in events],
            "scans": [_scan(s) for s in scans],
        }
