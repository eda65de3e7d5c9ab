"""Provenance: where a batch or a pack has been, who held it, and the ledger entries proving it.

Built from the read model's event log (every entry names its block and transaction), shipments and
scans. The regulator's full reports (timeline, graph, map, PDF, EPCIS) build on this.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
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

# Columns, not entities: a batch can have tens of thousands of events and scans, and building an
# ORM object per row costs more than the query itself.
EVENT_COLUMNS = (
    col(LedgerEvent.block),
    col(LedgerEvent.tx_index),
    col(LedgerEvent.tx_id),
    col(LedgerEvent.name),
    col(LedgerEvent.at),
    col(LedgerEvent.actor),
    col(LedgerEvent.payload),
)
SCAN_COLUMNS = (
    col(Scan.at),
    col(Scan.msp_id),
    col(Scan.user),
    col(Scan.location),
    col(Scan.serial),
    col(Scan.result),
    col(Scan.light),
    col(Scan.reasons),
)


def _rows(session: Session, query: sa.Executable) -> Sequence[Sequence[Any]]:
    """Plain tuples of the query's columns, in the session's transaction."""
    return session.connection().execute(query).all()


def event_record(row: Sequence[Any]) -> dict[str, Any]:
    """A row of EVENT_COLUMNS as the provenance dict of a ledger event."""
    block, tx_index, tx_id, name, at, actor, payload = row
    return {
        "block": block,
        "tx_index": tx_index,
        "tx_id": tx_id,
        "name": name,
        "at": at,
        "actor": actor,
        "payload": json.loads(payload),
    }


def scan_record(row: Sequence[Any]) -> dict[str, Any]:
    """A row of SCAN_COLUMNS as the provenance dict of a scan."""
    at, msp_id, user, location, serial, result, light, reasons = row
    return {
        "at": at,
        "msp_id": msp_id,
        "user": user,
        "location": location,
        "serial": serial,
        "result": result,
        "light": light,
        "reasons": json.loads(reasons),
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


def batch_records(rt: Runtime, gtin: str, lot: str) -> dict[str, Any]:
    """`batch_provenance` with its events and scans as unparsed rows (EVENT_COLUMNS,
    SCAN_COLUMNS; JSON still text): for a report that parses only the entries it shows."""
    with rt.session() as session:
        batch = session.get(Batch, (gtin, lot))
        if batch is None:
            raise not_found("UNKNOWN_BATCH", f"No batch {lot} of GTIN {gtin}.")
        shipments = _shipments(session, gtin, lot)
        ids = [s["shipment_id"] for s in shipments]
        events = _rows(
            session,
            sa.select(*EVENT_COLUMNS)
            .where(
                or_(
                    (col(LedgerEvent.gtin) == gtin) & (col(LedgerEvent.lot) == lot),
                    col(LedgerEvent.shipment_id).in_(ids),
                )
            )
            .order_by(col(LedgerEvent.block), col(LedgerEvent.tx_index)),
        )
        scans = _rows(
            session,
            sa.select(*SCAN_COLUMNS)
            .where(col(Scan.gtin) == gtin, col(Scan.lot) == lot)
            .order_by(col(Scan.at)),
        )
        holdings = session.exec(
            select(Holding).where(Holding.gtin == gtin, Holding.lot == lot)
        ).all()
        product = session.get(Product, gtin)
        return {
            "batch": batch.model_dump(),
            "product": product.model_dump() if product else None,
            "holdings": [{"msp_id": h.msp_id, "quantity": h.quantity} for h in holdings],
            "shipments": shipments,
            "events": events,
            "scans": scans,
        }


def batch_provenance(rt: Runtime, gtin: str, lot: str) -> dict[str, Any]:
    """A batch's record, holders, shipments, ledger events (with block and transaction) and scans;
    404 UNKNOWN_BATCH if there is none."""
    records = batch_records(rt, gtin, lot)
    records["events"] = [event_record(e) for e in records["events"]]
    records["scans"] = [scan_record(s) for s in records["scans"]]
    return records


def pack_provenance(rt: Runtime, gtin: str, serial: str) -> dict[str, Any]:
    with rt.session() as session:
        registered = session.get(SerialNumber, (gtin, serial))
        scans = _rows(
            session,
            sa.select(*SCAN_COLUMNS)
            .where(col(Scan.gtin) == gtin, col(Scan.serial) == serial)
            .order_by(col(Scan.at)),
        )
        if registered is None and not scans:
            raise not_found(
                "UNKNOWN_SERIAL", f"Serial {serial} of GTIN {gtin} was never registered or scanned."
            )
        pack = session.get(Pack, (gtin, serial))
        events = _rows(
            session,
            sa.select(*EVENT_COLUMNS)
            .where(col(LedgerEvent.gtin) == gtin, col(LedgerEvent.serial) == serial)
            .order_by(col(LedgerEvent.block), col(LedgerEvent.tx_index)),
        )
        lot = registered.lot if registered else None
        return {
            "gtin": gtin,
            "serial": serial,
            "lot": lot,
            "registered": registered is not None,
            "status": pack.status if pack else ("active" if registered else "unknown"),
            "pack": pack.model_dump() if pack else None,
            "batch_shipments": _shipments(session, gtin, lot) if lot else [],
            "events": [event_record(e) for e in events],
            "scans": [scan_record(s) for s in scans],
        }
