"""Verification: a scanned code in, an EU-style verdict out, and the scan recorded.

Checks run from the code outward: can it be read, is the product known, the batch, the serial, do
batch and expiry match what was registered, is the batch recalled or expired, was the pack already
decommissioned (here, within re-scan tolerance, or elsewhere: the classic clone), and is the batch
in the scanning organization's custody. Every finding is kept as a reason; the verdict takes the
worst light. Reads come only from the read model, so a verdict costs a handful of key look-ups.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from services.gs1 import PackIdentifier, parse_code
from services.readmodel.db import writer
from services.readmodel.tables import (
    Batch,
    Holding,
    Organization,
    Pack,
    Product,
    Scan,
    SerialNumber,
    Shipment,
    ShipmentLine,
)
from services.runtime import Actor, Runtime

GREEN, AMBER, RED = "green", "amber", "red"
# A pharmacist re-scanning a pack it just dispensed is tolerated this many times (EU practice).
RESCAN_TOLERANCE = 2
RESCAN_WINDOW = timedelta(days=10)


@dataclass(frozen=True)
class Finding:
    result: str
    light: str
    reason: str


@dataclass
class Verdict:
    """What the pharmacist sees: a light, a result code, and reasons in plain words."""

    result: str
    light: str
    reasons: list[str]
    identifier: dict[str, Any]
    product: dict[str, Any] | None = None
    batch: dict[str, Any] | None = None
    pack: dict[str, Any] | None = None
    custody: dict[str, Any] = field(default_factory=dict)
    scan_id: int | None = None
    scanned_at: str = ""


_SEVERITY = {RED: 2, AMBER: 1, GREEN: 0}


def verify(rt: Runtime, *, actor: Actor, code: str) -> Verdict:
    """Judge a scanned code for `actor` and record the scan."""
    now = rt.now()
    parsed = parse_code(code)
    identifier = parsed.identifier
    with rt.session() as session:
        if parsed.problems or identifier is None:
            findings = [Finding("INVALID_CODE", AMBER, p.message) for p in parsed.problems] or [
                Finding("INVALID_CODE", AMBER, "The code could not be read as a GS1 code.")
            ]
            verdict = _verdict(findings, identifier)
        else:
            verdict = _judge(session, actor, identifier, now)
    _record_scan(rt, actor, code, identifier, verdict, now)
    return verdict


def _judge(session: Session, actor: Actor, pack: PackIdentifier, now: datetime) -> Verdict:
    if not (pack.gtin and pack.lot and pack.serial):
        return _verdict(
            [
                Finding(
                    "INCOMPLETE_CODE",
                    AMBER,
                    "The code has no batch or serial number: scan the 2D code (DataMatrix or QR).",
                )
            ],
            pack,
        )
    product = session.get(Product, pack.gtin)
    if product is None:
        return _verdict(
            [
                Finding(
                    "UNKNOWN_PRODUCT",
                    RED,
                    f"No product with GTIN {pack.gtin} is registered: do not dispense.",
                )
            ],
            pack,
        )
    batch = session.get(Batch, (pack.gtin, pack.lot))
    serial = session.get(SerialNumber, (pack.gtin, pack.serial))
    findings = _identity_findings(pack, batch, serial)
    verdict_batch = batch or (session.get(Batch, (pack.gtin, serial.lot)) if serial else None)
    record = session.get(Pack, (pack.gtin, pack.serial)) if serial else None
    if verdict_batch is not None and not any(f.result.startswith("UNKNOWN") for f in findings):
        findings += _status_findings(verdict_batch, now)
        findings += _pack_findings(session, actor, record, now)
        if record is None or record.status == "active":
            findings += _custody_findings(session, actor, verdict_batch)
    verdict = _verdict(
        findings or [Finding("OK", GREEN, "Authentic, active pack: dispense.")], pack
    )
    verdict.product = {
        "gtin": product.gtin,
        "name": product.name,
        "form": product.form,
        "strength": product.strength,
        "manufacturer": product.manufacturer,
    }
    if verdict_batch is not None:
        verdict.batch = {
            "lot": verdict_batch.lot,
            "expiry": verdict_batch.expiry,
            "status": verdict_batch.status,
            "status_reason": verdict_batch.status_reason,
        }
        verdict.custody = _custody_summary(session, actor, verdict_batch)
    if record is not None:
        verdict.pack = {
            "status": record.status,
            "by": record.msp_id,
            "at": record.at,
            "location": record.location,
        }
    return verdict


def _identity_findings(
    pack: PackIdentifier, batch: Batch | None, serial: SerialNumber | None
) -> list[Finding]:
    findings = []
    if serial is None:
        if batch is None:
            findings.append(
                Finding(
                    "UNKNOWN_BATCH",
                    RED,
                    f"Batch {pack.lot} was never registered for this product: do not dispense.",
                )
            )
        findings.append(
            Finding(
                "UNKNOWN_SERIAL",
                RED,
                f"Serial {pack.serial} was never "
                "registered for this product: possible counterfeit.",
            )
        )
        return findings
    if serial.lot != pack.lot:
        findings.append(
            Finding(
                "BATCH_MISMATCH",
                RED,
                f"The serial belongs to batch {serial.lot}, "
                f"but the code says {pack.lot}: possible counterfeit.",
            )
        )
    expected = batch.expiry if batch and serial.lot == pack.lot else None
    if pack.expiry is not None and expected and pack.expiry.isoformat() != expected:
        findings.append(
            Finding(
                "EXPIRY_MISMATCH",
                RED,
                f"The code's expiry {pack.expiry} differs "
                f"from the registered {expected}: possible counterfeit.",
            )
        )
    return findings


def _status_findings(batch: Batch, now: datetime) -> list[Finding]:
    reason = f" Reason: {batch.status_reason.rstrip('.')}." if batch.status_reason else ""
    by_status = {
        "recalled": Finding("BATCH_RECALLED", RED, f"Batch {batch.lot} is recalled.{reason}"),
        "withdrawn": Finding("BATCH_WITHDRAWN", RED, f"Batch {batch.lot} is withdrawn.{reason}"),
        "quarantined": Finding(
            "BATCH_QUARANTINED", RED, f"Batch {batch.lot} is quarantined.{reason}"
        ),
    }
    findings = [by_status[batch.status]] if batch.status in by_status else []
    if now.date() > date.fromisoformat(batch.expiry):
        findings.append(Finding("PACK_EXPIRED", RED, f"The pack expired on {batch.expiry}."))
    return findings


def _pack_findings(
    session: Session, actor: Actor, record: Pack | None, now: datetime
) -> list[Finding]:
    if record is None or record.status == "active":
        return []
    if record.status != "supplied":
        return [
            Finding(
                "PACK_INACTIVE",
                RED,
                f"This pack was decommissioned as {record.status} "
                f"by {record.msp_id}: do not dispense.",
            )
        ]
    here = record.msp_id == actor.msp_id and (
        not actor.location or record.location == actor.location
    )
    if here:
        since = datetime.fromisoformat(record.at.replace("Z", "+00:00"))
        rescans = session.exec(
            select(func.count())
            .select_from(Scan)
            .where(
                Scan.msp_id == actor.msp_id,
                Scan.gtin == record.gtin,
                Scan.serial == record.serial,
                col(Scan.at) >= record.at,
            )
        ).one()
        if now - since <= RESCAN_WINDOW and rescans < RESCAN_TOLERANCE:
            return [
                Finding(
                    "ALREADY_DISPENSED_HERE",
                    AMBER,
                    f"You dispensed this pack at "
                    f"{record.at}. Undo is possible until {since + RESCAN_WINDOW:%Y-%m-%d}.",
                )
            ]
        return [
            Finding(
                "ALREADY_DISPENSED",
                RED,
                f"This pack was dispensed here at {record.at} "
                f"and has been scanned {rescans} times since.",
            )
        ]
    return [
        Finding(
            "ALREADY_DISPENSED",
            RED,
            f"This pack was already dispensed by "
            f"{record.msp_id} at {record.at}: a copy of this code is in circulation. "
            "Do not dispense; quarantine the pack.",
        )
    ]


def _custody_findings(session: Session, actor: Actor, batch: Batch) -> list[Finding]:
    if actor.role == "regulator":
        return []
    holding = session.get(Holding, (batch.gtin, batch.lot, actor.msp_id))
    if holding is not None and holding.quantity > 0:
        return []
    incoming = session.exec(
        select(Shipment.shipment_id)
        .join(ShipmentLine, col(ShipmentLine.shipment_id) == col(Shipment.shipment_id))
        .where(
            Shipment.receiver == actor.msp_id,
            Shipment.status == "in_transit",
            ShipmentLine.gtin == batch.gtin,
            ShipmentLine.lot == batch.lot,
        )
    ).first()
    if incoming:
        return [
            Finding(
                "NOT_RECEIVED",
                AMBER,
                f"Shipment {incoming} with this batch is on its way "
                "to you but not received yet: receive it first.",
            )
        ]
    received = session.exec(
        select(func.coalesce(func.sum(ShipmentLine.received), 0))
        .join(Shipment, col(ShipmentLine.shipment_id) == col(Shipment.shipment_id))
        .where(
            Shipment.receiver == actor.msp_id,
            ShipmentLine.gtin == batch.gtin,
            ShipmentLine.lot == batch.lot,
        )
    ).one()
    if received:
        return [
            Finding(
                "QUANTITY_EXCEEDED",
                RED,
                f"Your organization received {received} packs of batch {batch.lot} and none "
                "is left in stock: this pack is one more than reached you through the "
                "registered supply chain. Do not dispense.",
            )
        ]
    return [
        Finding(
            "NOT_IN_CUSTODY",
            RED,
            f"No shipment of batch {batch.lot} to your "
            "organization is recorded: this pack did not reach you through the "
            "registered supply chain. Do not dispense.",
        )
    ]


def _custody_summary(session: Session, actor: Actor, batch: Batch) -> dict[str, Any]:
    query = select(Holding).where(Holding.gtin == batch.gtin, Holding.lot == batch.lot)
    if actor.role != "regulator":
        # Who else holds how much is commercially sensitive: only regulators see every holder.
        query = query.where(Holding.msp_id == actor.msp_id)
    holdings = session.exec(query).all()
    names = {o.msp_id: o.name for o in session.exec(select(Organization)).all()} if holdings else {}
    return {
        "manufacturer": batch.manufacturer,
        "yours": next((h.quantity for h in holdings if h.msp_id == actor.msp_id), 0),
        "holders": [
            {"msp_id": h.msp_id, "name": names.get(h.msp_id, h.msp_id), "quantity": h.quantity}
            for h in holdings
        ],
    }


def _verdict(findings: list[Finding], pack: PackIdentifier | None) -> Verdict:
    worst = max(findings, key=lambda f: _SEVERITY[f.light])
    return Verdict(
        result=worst.result,
        light=worst.light,
        reasons=[f.reason for f in findings],
        identifier={
            "gtin": pack.gtin if pack else None,
            "lot": pack.lot if pack else None,
            "serial": pack.serial if pack else None,
            "expiry": pack.expiry.isoformat() if pack and pack.expiry else None,
        },
    )


def _record_scan(
    rt: Runtime,
    actor: Actor,
    code: str,
    pack: PackIdentifier | None,
    verdict: Verdict,
    now: datetime,
) -> None:
    scan = Scan(
        at=now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        msp_id=actor.msp_id,
        user=actor.user,
        location=actor.location,
        raw_code=code[:500],
        gtin=pack.gtin if pack else None,
        lot=pack.lot if pack else None,
        serial=pack.serial if pack else None,
        expiry=pack.expiry.isoformat() if pack and pack.expiry else None,
        result=verdict.result,
        light=verdict.light,
        reasons=json.dumps(verdict.reasons),
    )
    with Session(writer(rt.engine)) as session:
        session.add(scan)
        session.commit()
        session.refresh(scan)
    verdict.scan_id = scan.id
    verdict.scanned_at = scan.at
