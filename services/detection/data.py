"""The read model as pandas DataFrames for bulk detection (one query per table)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, select, tuple_

from services.readmodel.tables import Batch, LedgerEvent, Organization, Scan, Shipment, ShipmentLine

UTC_FORMAT = "ISO8601"


def _times(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    for column in columns:
        frame[column] = pd.to_datetime(frame[column], format=UTC_FORMAT, utc=True)
    return frame


@dataclass
class Frames:
    scans: pd.DataFrame  # id, at, msp_id, location, gtin, lot, serial, result
    events: pd.DataFrame  # block, tx_index, name, at, actor, gtin, lot, serial, status
    shipments: pd.DataFrame  # one row per line: shipment_id, sender, receiver, ..., quantity
    batches: pd.DataFrame  # gtin, lot, status, status_changed_at, quantity, manufacturer
    orgs: pd.DataFrame  # msp_id, name, latitude, longitude


def load(engine: Engine, batches: set[tuple[str, str]] | None = None) -> Frames:
    """The whole read model, or only the scans and pack events of `batches` (gtin, lot)."""
    scan_query = select(
        Scan.id,  # type: ignore[call-overload]
        Scan.at,
        Scan.msp_id,
        Scan.location,
        Scan.gtin,
        Scan.lot,
        Scan.serial,
        Scan.result,
    )
    if batches is not None:
        scan_query = scan_query.where(tuple_(Scan.gtin, Scan.lot).in_(sorted(batches)))
    scans = pd.read_sql(scan_query, engine)
    event_query = (
        select(
            LedgerEvent.block,  # type: ignore[call-overload]
            LedgerEvent.tx_index,
            LedgerEvent.name,
            LedgerEvent.at,
            LedgerEvent.actor,
            LedgerEvent.gtin,
            LedgerEvent.lot,
            LedgerEvent.serial,
            LedgerEvent.payload,
        ).where(LedgerEvent.name.in_(["PackDecommissioned", "PackReactivated"]))  # type: ignore[attr-defined]
    )
    if batches is not None:
        event_query = event_query.where(
            tuple_(LedgerEvent.gtin, LedgerEvent.lot).in_(sorted(batches))
        )
    events = pd.read_sql(event_query, engine)
    events["status"] = [json.loads(p)["pack"]["status"] for p in events["payload"]]
    events = events.drop(columns=["payload"])
    shipments = pd.read_sql(
        select(
            Shipment.shipment_id,  # type: ignore[call-overload]
            Shipment.sender,
            Shipment.receiver,
            Shipment.status,
            Shipment.shipped_at,
            Shipment.received_at,
            ShipmentLine.gtin,
            ShipmentLine.lot,
            ShipmentLine.quantity,
            ShipmentLine.received,
        ).join(ShipmentLine, ShipmentLine.shipment_id == Shipment.shipment_id),
        engine,
    )
    batch_rows = pd.read_sql(
        select(  # type: ignore[call-overload]
            Batch.gtin,
            Batch.lot,
            Batch.status,
            Batch.status_changed_at,
            Batch.quantity,
            Batch.manufacturer,
        ),
        engine,
    )
    orgs = pd.read_sql(
        select(
            Organization.msp_id, Organization.name, Organization.latitude, Organization.longitude
        ),  # type: ignore[call-overload]
        engine,
    )
    return Frames(
        _times(scans, "at"),
        _times(events, "at"),
        _times(shipments, "shipped_at", "received_at"),
        _times(batch_rows, "status_changed_at"),
        orgs,
    )
