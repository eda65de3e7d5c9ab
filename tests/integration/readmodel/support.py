"""The read-model scenario and table dumps shared by the read-model integration tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, select

from services.domain import (
    batches,
    logistic_units,
    organizations,
    packs,
    shipments,
    verification,
)
from services.readmodel.db import create_schema, make_engine
from services.readmodel.tables import DERIVED_TABLES, Scan, SerialNumber
from tests.support.network import SmallNetwork, build_small_network

Row = tuple[tuple[str, Any], ...]
Dump = dict[str, list[Row]]

LOT2 = "LOT002"
LOT2_SERIALS = [f"LB{i:04d}Y" for i in range(12)]
OFF_CHAIN_TABLES: list[type[SQLModel]] = [Scan, SerialNumber]


def build_scenario(data_dir: Path, database_url: str = "") -> SmallNetwork:
    """The small network, then: three packs dispensed at pharmacy A and one of them undone, a pack
    destroyed at the wholesaler, a second batch shipped whole (the maker's holding drops to zero)
    and received short, that batch recalled, a shipment of one case (SSCC) left in transit, a
    licence suspended, and two scans."""
    net = build_small_network(data_dir, database_url)
    rt = net.rt
    for serial in net.serials[:3]:
        packs.decommission(rt, actor=net.pharmacy_a, code=net.code(serial))
    packs.undo(rt, actor=net.pharmacy_a, code=net.code(net.serials[1]))
    packs.decommission(rt, actor=net.wholesaler, code=net.code(net.serials[30]), status="destroyed")
    batches.register_batch(
        rt, actor=net.maker, gtin=net.gtin, lot=LOT2, expiry=net.expiry, serials=LOT2_SERIALS
    )
    whole_lot = shipments.ShipmentLineRequest(gtin=net.gtin, lot=LOT2, quantity=len(LOT2_SERIALS))
    shipments.ship(
        rt, actor=net.maker, receiver="WholesaleMSP", lines=[whole_lot], shipment_id="SHP-LOT2"
    )
    shipments.receive(
        rt,
        actor=net.wholesaler,
        shipment_id="SHP-LOT2",
        received=[(net.gtin, LOT2, len(LOT2_SERIALS) - 1)],
    )
    batches.change_batch_status(
        rt, actor=net.maker, gtin=net.gtin, lot=LOT2, status="recalled", reason="Label misprint"
    )
    # Packed in one case (SSCC) first, so the case's contents travel with the shipment.
    case = logistic_units.pack_unit(
        rt, actor=net.wholesaler, contents=[logistic_units.UnitContent(net.gtin, net.lot, 2)]
    )
    shipments.ship(
        rt,
        actor=net.wholesaler,
        receiver="PharmacyBMSP",
        lines=[
            shipments.ShipmentLineRequest(
                gtin=net.gtin, lot=net.lot, quantity=2, ssccs=(case.sscc,)
            )
        ],
        shipment_id="SHP-TO-B",
    )
    organizations.set_licence_status(
        rt, actor=net.regulator, msp_id="Maker2MSP", licence_status="suspended", reason="Audit"
    )
    verification.verify(rt, actor=net.pharmacy_a, code=net.code(net.serials[5]))
    verification.verify(rt, actor=net.pharmacy_b, code=net.code(net.serials[0]))
    return net


def dump(engine: Engine, models: list[type[SQLModel]] = DERIVED_TABLES) -> Dump:
    """Every row of each table as sorted (column, value) pairs, rows in a stable order."""
    with Session(engine) as session:
        return {
            model.__name__: sorted(
                (tuple(sorted(row.model_dump().items())) for row in session.exec(select(model))),
                key=repr,
            )
            for model in models
        }


def fresh_engine(url: str) -> Engine:
    engine = make_engine(url)
    create_schema(engine)
    return engine


_GENERATED = {"tx_id", "ship_tx_id", "receive_tx_id", "id"}


def normalized(contents: Dump) -> Dump:
    """Contents without generated values: transaction ids, scan ids, random shipment ids (renamed
    in order of shipping), so two runs of the same scenario compare equal."""
    shipped = sorted(
        (dict(row) for row in contents["Shipment"]), key=lambda s: (s["shipped_at"], s["sender"])
    )
    names = {s["shipment_id"]: f"SHIPMENT-{n}" for n, s in enumerate(shipped)}

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if k not in _GENERATED}
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, str):
            return names.get(value, value)
        return value

    result: Dump = {}
    for table, rows in contents.items():
        cleaned = []
        for row in rows:
            record = {k: clean(v) for k, v in row if k not in _GENERATED}
            if table == "LedgerEvent":
                record["payload"] = clean(json.loads(record["payload"]))
            cleaned.append(tuple(sorted(record.items())))
        result[table] = sorted(cleaned, key=repr)
    return result
