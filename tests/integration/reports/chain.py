"""A generated supply chain for the report tests: every kind of EPCIS event we export."""

from __future__ import annotations

from pathlib import Path

from services.domain import batches, packs, shipments, verification
from tests.support.network import SmallNetwork, build_small_network


def build_report_chain(data_dir: Path) -> SmallNetwork:
    """The small network plus: a serial-level shipment, a short receipt, a dispensing, a
    destruction, an undone decommissioning, a clone scan, an unknown serial and a recall."""
    net = build_small_network(data_dir)
    rt, gtin, lot = net.rt, net.gtin, net.lot
    serial_line = shipments.ShipmentLineRequest(
        gtin=gtin, lot=lot, quantity=3, serials=tuple(net.serials[10:13])
    )
    sent = shipments.ship(rt, actor=net.wholesaler, receiver="PharmacyBMSP", lines=[serial_line])
    net.clock.advance(hours=20)
    shipments.receive(rt, actor=net.pharmacy_b, shipment_id=sent.record["shipment_id"])
    line = shipments.ShipmentLineRequest(gtin=gtin, lot=lot, quantity=3)
    short = shipments.ship(rt, actor=net.wholesaler, receiver="PharmacyAMSP", lines=[line])
    net.clock.advance(hours=30)
    shipments.receive(
        rt, actor=net.pharmacy_a, shipment_id=short.record["shipment_id"], received=[(gtin, lot, 2)]
    )
    packs.decommission(rt, actor=net.pharmacy_a, code=net.code(net.serials[0]))
    packs.decommission(rt, actor=net.pharmacy_a, code=net.code(net.serials[1]), status="destroyed")
    packs.decommission(rt, actor=net.pharmacy_a, code=net.code(net.serials[2]))
    packs.undo(rt, actor=net.pharmacy_a, code=net.code(net.serials[2]))
    net.clock.advance(hours=2)
    verification.verify(rt, actor=net.pharmacy_a, code=net.code(net.serials[3]))
    verification.verify(rt, actor=net.pharmacy_b, code=net.code(net.serials[0]))
    verification.verify(rt, actor=net.pharmacy_b, code=net.code("FAKE0001"))
    batches.change_batch_status(
        rt, actor=net.maker, gtin=gtin, lot=lot, status="recalled", reason="Seal defect"
    )
    return net
