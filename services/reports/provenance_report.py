"""The provenance report of a batch or a pack: what the page and the PDF show, built once.

Everything comes from `services.domain.provenance` (ledger events with their block and
transaction, shipments, scans) plus the organizations, the current pack statuses and the alerts
of the detection rules. A pack's report is its batch's custody chain plus the pack's own events
and scans; other packs' decommissionings and scans are left out (as in the EPCIS export).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, or_, select

from services.detection.engine import ensure_table
from services.detection.tables import Alert
from services.domain import provenance
from services.readmodel.tables import Pack, Product, SerialNumber
from services.reports.custody_graph import CustodyGraph, custody_graph
from services.reports.parties import Parties, Party
from services.reports.timeline import (
    Record,
    Timeline,
    TimelineBuilder,
    TimelineEntry,
    event_actor,
    event_name,
    event_position,
    scanner,
)
from services.runtime import Runtime

PACK_EVENTS = frozenset({"PackDecommissioned", "PackReactivated"})


@dataclass(frozen=True, slots=True)
class ShipmentRow:
    shipment_id: str
    sender: str
    receiver: str
    status: str
    quantity: int
    received: int | None
    shipped_at: str
    received_at: str | None
    from_place: str
    to_place: str
    ship_tx_id: str
    receive_tx_id: str | None


@dataclass(frozen=True, slots=True)
class AlertRow:
    key: str  # rule + subject: the alert's id in the regulator's alert pages
    rule: str
    severity: str
    score: float
    certain: bool
    status: str
    sentence: str
    serial: str
    organization: str
    first_seen: str
    last_seen: str


@dataclass(frozen=True, slots=True)
class Holder:
    name: str
    msp_id: str
    quantity: int


@dataclass
class ProvenanceReport:
    kind: str  # "batch" or "pack"
    gtin: str
    lot: str | None
    serial: str | None
    product_name: str
    manufacturer: str  # organization name
    batch_status: str
    status_reason: str
    expiry: str
    quantity: int | None
    pack_status: str  # a pack's report only
    registered: bool
    timeline: Sequence[TimelineEntry]  # a Timeline: entries built when read
    shipments: list[ShipmentRow]
    holders: list[Holder]
    alerts: list[AlertRow]
    graph: CustodyGraph
    places: list[Party]  # every organization the report names, located or not
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def title(self) -> str:
        if self.kind == "pack":
            return f"Pack {self.serial} · GTIN {self.gtin}"
        return f"Batch {self.lot} · GTIN {self.gtin}"


def _shipment_rows(parties: Parties, shipments: list[dict[str, Any]]) -> list[ShipmentRow]:
    return [
        ShipmentRow(
            shipment_id=s["shipment_id"],
            sender=parties.name(s["sender"]),
            receiver=parties.name(s["receiver"]),
            status=s["status"],
            quantity=s["quantity"],
            received=s["received"],
            shipped_at=s["shipped_at"],
            received_at=s["received_at"],
            from_place=parties.place_of(s["sender"]),
            to_place=parties.place_of(s["receiver"]),
            ship_tx_id=s["ship_tx_id"],
            receive_tx_id=s["receive_tx_id"],
        )
        for s in shipments
    ]


def _alerts(
    rt: Runtime, session: Session, parties: Parties, gtin: str, lot: str | None, serial: str | None
) -> list[AlertRow]:
    """Alerts about the batch (or the pack): by lot, or by a serial of the batch."""
    ensure_table(rt)
    query = select(Alert).where(Alert.gtin == gtin)
    if serial is not None:
        about = col(Alert.serial) == serial
        if lot is not None:
            about = or_(about, (col(Alert.lot) == lot) & col(Alert.serial).is_(None))
        query = query.where(about)
    else:
        in_batch = select(SerialNumber.serial).where(
            SerialNumber.gtin == gtin, SerialNumber.lot == lot
        )
        query = query.where(or_(col(Alert.lot) == lot, col(Alert.serial).in_(in_batch)))
    rows = session.exec(
        query.order_by(col(Alert.certain).desc(), col(Alert.score).desc(), col(Alert.first_seen))
    ).all()
    return [
        AlertRow(
            key=a.key,
            rule=a.rule,
            severity=a.severity,
            score=a.score,
            certain=a.certain,
            status=a.status,
            sentence=a.sentence,
            serial=a.serial or "",
            organization=parties.name(a.msp_id) if a.msp_id else "",
            first_seen=a.first_seen,
            last_seen=a.last_seen,
        )
        for a in rows
    ]


def _out_of_chain(session: Session, gtin: str, lot: str) -> dict[tuple[str, str], int]:
    rows = session.exec(
        select(Pack.msp_id, Pack.status, func.count())
        .where(Pack.gtin == gtin, Pack.lot == lot, Pack.status != "active")
        .group_by(col(Pack.msp_id), col(Pack.status))
    ).all()
    return {(msp_id, status): int(count) for msp_id, status, count in rows}


def _places(
    parties: Parties,
    manufacturer: str | None,
    shipments: list[dict[str, Any]],
    timeline_msps: set[str],
) -> list[Party]:
    keys = {manufacturer} if manufacturer else set()
    keys |= {s["sender"] for s in shipments} | {s["receiver"] for s in shipments}
    keys |= timeline_msps
    found = [parties.get(k) for k in sorted(k for k in keys if k)]
    return [p for p in found if p is not None]


def _counts(
    timeline: Timeline, shipments: list[dict[str, Any]], alerts: list[AlertRow]
) -> dict[str, int]:
    lights = timeline.lights
    return {
        "entries": len(timeline),
        "ledger_events": timeline.ledger_events,
        "scans": timeline.scans,
        "scans_green": lights["green"],
        "scans_amber": lights["amber"],
        "scans_red": lights["red"],
        "shipments": len(shipments),
        "alerts": len(alerts),
    }


def _msps(events: Sequence[Record], scans: Sequence[Record]) -> set[str]:
    return {event_actor(e) for e in events} | {scanner(s) for s in scans}


def batch_report(rt: Runtime, gtin: str, lot: str) -> ProvenanceReport:
    """The report of batch `lot` of `gtin`; 404 UNKNOWN_BATCH if there is none."""
    data = provenance.batch_records(rt, gtin, lot)
    batch = data["batch"]
    with rt.session() as session:
        parties = Parties.load(session)
        alerts = _alerts(rt, session, parties, gtin, lot, None)
        out = _out_of_chain(session, gtin, lot)
    timeline = TimelineBuilder(parties, gtin, lot).build(data["events"], data["scans"])
    holders = [
        Holder(parties.name(h["msp_id"]), h["msp_id"], h["quantity"])
        for h in sorted(data["holdings"], key=lambda h: -h["quantity"])
        if h["quantity"] > 0
    ]
    return ProvenanceReport(
        kind="batch",
        gtin=gtin,
        lot=lot,
        serial=None,
        product_name=batch["product_name"],
        manufacturer=parties.name(batch["manufacturer"]),
        batch_status=batch["status"],
        status_reason=batch["status_reason"],
        expiry=batch["expiry"],
        quantity=batch["quantity"],
        pack_status="",
        registered=True,
        timeline=timeline,
        shipments=_shipment_rows(parties, data["shipments"]),
        holders=holders,
        alerts=alerts,
        graph=custody_graph(parties, batch["manufacturer"], data["shipments"], out),
        places=_places(
            parties, batch["manufacturer"], data["shipments"], _msps(data["events"], data["scans"])
        ),
        counts=_counts(timeline, data["shipments"], alerts),
    )


def pack_report(rt: Runtime, gtin: str, serial: str) -> ProvenanceReport:
    """The report of one pack; 404 UNKNOWN_SERIAL if it was never registered nor scanned."""
    pack = provenance.pack_provenance(rt, gtin, serial)
    lot: str | None = pack["lot"]
    events: list[Record] = list(pack["events"])
    batch: dict[str, Any] = {}
    if lot:
        data = provenance.batch_records(rt, gtin, lot)
        batch = data["batch"]
        own = {event_position(e) for e in events}
        events = [
            e
            for e in data["events"]
            if event_name(e) not in PACK_EVENTS or event_position(e) in own
        ]
    shipments = pack["batch_shipments"]
    with rt.session() as session:
        parties = Parties.load(session)
        product = session.get(Product, gtin)
        alerts = _alerts(rt, session, parties, gtin, lot, serial)
    record = pack["pack"]
    out = (
        {(record["msp_id"], record["status"]): 1} if record and record["status"] != "active" else {}
    )
    manufacturer = batch.get("manufacturer") or (product.manufacturer if product else None)
    timeline = TimelineBuilder(parties, gtin, lot).build(events, pack["scans"])
    return ProvenanceReport(
        kind="pack",
        gtin=gtin,
        lot=lot,
        serial=serial,
        product_name=batch.get("product_name") or (product.name if product else "unknown product"),
        manufacturer=parties.name(manufacturer) if manufacturer else "unknown",
        batch_status=batch.get("status", "unknown"),
        status_reason=batch.get("status_reason", ""),
        expiry=batch.get("expiry", ""),
        quantity=batch.get("quantity"),
        pack_status=pack["status"],
        registered=pack["registered"],
        timeline=timeline,
        shipments=_shipment_rows(parties, shipments),
        holders=[],
        alerts=alerts,
        graph=custody_graph(parties, manufacturer, shipments, out),
        places=_places(parties, manufacturer, shipments, _msps(events, pack["scans"])),
        counts=_counts(timeline, shipments, alerts),
    )
