"""What a warehouse scan is: a pack (which batch, held by whom) or a case (SSCC: what is inside).

The warehouse screen counts what it ships and what arrives, so it needs a scan resolved, not
judged for dispensing: unlike `verification.verify` nothing is recorded. A code that cannot be
read as GS1 (not GS1, truncated, wrong check digit) is a 422 naming the problem; a pack is
answered with a light: green when the caller holds its batch, amber when the batch is in transit
to the caller (it is being received), red when the batch is unknown, recalled or withdrawn, the
pack is no longer active, or the caller has no custody of it at all (another organization's
pack).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select

from services.domain import logistic_units
from services.errors import invalid
from services.gs1 import PackIdentifier, parse_code
from services.readmodel.tables import (
    Batch,
    Holding,
    Pack,
    Product,
    SerialNumber,
    Shipment,
    ShipmentLine,
)
from services.runtime import Actor, Runtime

GREEN, AMBER, RED = "green", "amber", "red"
_SEVERITY = {GREEN: 0, AMBER: 1, RED: 2}


@dataclass
class ScannedPack:
    """A pack scan resolved for the caller's custody."""

    gtin: str
    lot: str
    serial: str | None
    expiry: str | None
    product_name: str | None = None
    held: int = 0
    in_custody: bool = False
    incoming_shipments: list[str] = field(default_factory=list)
    light: str = GREEN
    reasons: list[str] = field(default_factory=list)
    custody: str = ""  # the custody sentence alone (also in `reasons`): receiving ignores it

    def flag(self, light: str, reason: str) -> None:
        if _SEVERITY[light] > _SEVERITY[self.light]:
            self.light = light
        self.reasons.append(reason)


@dataclass
class ScanResolution:
    kind: str  # "pack" or "sscc"
    code: str
    pack: ScannedPack | None = None
    unit: logistic_units.ResolvedUnit | None = None


def resolve_scan(rt: Runtime, *, actor: Actor, code: str) -> ScanResolution:
    """Resolve one scanned code for the warehouse screen (see the module docstring)."""
    parsed = parse_code(code)
    if not parsed.ok or parsed.identifier is None:
        first = parsed.problems[0] if parsed.problems else None
        raise invalid(
            first.code if first else "INVALID_CODE",
            " ".join(p.message for p in parsed.problems)
            or "The scan is not a GS1 pack code or SSCC.",
        )
    identifier = parsed.identifier
    if identifier.sscc is not None:
        unit = logistic_units.resolve(rt, actor=actor, sscc=identifier.sscc)
        return ScanResolution("sscc", code, unit=unit)
    return ScanResolution("pack", code, pack=_pack(rt, actor, identifier))


def _pack(rt: Runtime, actor: Actor, identifier: PackIdentifier) -> ScannedPack:
    gtin = identifier.gtin or ""
    with rt.session() as session:
        lot = identifier.lot or _lot_of_serial(session, gtin, identifier.serial)
        if lot is None:
            raise invalid(
                "MISSING_LOT",
                "The code names the product but not its batch (AI 10): scan the pack's "
                "DataMatrix, not its plain barcode.",
            )
        pack = ScannedPack(
            gtin,
            lot,
            identifier.serial,
            identifier.expiry.isoformat() if identifier.expiry else None,
        )
        product = session.get(Product, gtin)
        batch = session.get(Batch, (gtin, lot))
        pack.product_name = product.name if product else None
        if product is None or batch is None:
            pack.flag(RED, f"Unknown {'batch' if product else 'product'}: not registered.")
            return pack
        _check_batch(session, pack, batch)
        _check_custody(session, pack, actor)
    return pack


def _lot_of_serial(session: Any, gtin: str, serial: str | None) -> str | None:
    if serial is None:
        return None
    row = session.get(SerialNumber, (gtin, serial))
    return row.lot if row is not None else None


def _check_batch(session: Any, pack: ScannedPack, batch: Batch) -> None:
    if pack.expiry and pack.expiry != batch.expiry:
        pack.flag(
            RED, f"The expiry on the pack ({pack.expiry}) is not the batch's ({batch.expiry})."
        )
    if batch.status in ("recalled", "withdrawn"):
        pack.flag(RED, f"Batch {batch.lot} is {batch.status}: it must not move on.")
    elif batch.status == "quarantined":
        pack.flag(AMBER, f"Batch {batch.lot} is quarantined.")
    if pack.serial:
        record = session.get(SerialNumber, (pack.gtin, pack.serial))
        if record is not None and record.lot != batch.lot:
            pack.flag(RED, f"Serial {pack.serial} belongs to batch {record.lot}, not {batch.lot}.")
        status = session.get(Pack, (pack.gtin, pack.serial))
        if status is not None and status.status != "active":
            pack.flag(RED, f"The pack is no longer active ({status.status} by {status.msp_id}).")


def _check_custody(session: Any, pack: ScannedPack, actor: Actor) -> None:
    holding = session.get(Holding, (pack.gtin, pack.lot, actor.msp_id))
    pack.held = holding.quantity if holding else 0
    pack.in_custody = pack.held > 0
    pack.incoming_shipments = list(
        session.exec(
            select(Shipment.shipment_id)
            .join(ShipmentLine, col(ShipmentLine.shipment_id) == Shipment.shipment_id)
            .where(Shipment.receiver == actor.msp_id, Shipment.status == "in_transit")
            .where(ShipmentLine.gtin == pack.gtin, ShipmentLine.lot == pack.lot)
            .order_by(col(Shipment.shipped_at).desc())
        )
    )
    if pack.in_custody:
        pack.custody = f"Your organization holds {pack.held} units of batch {pack.lot}."
        pack.reasons.append(pack.custody)
    elif pack.incoming_shipments:
        pack.custody = f"Batch {pack.lot} is in transit to you: receive it to take custody."
        pack.flag(AMBER, pack.custody)
    else:
        pack.custody = (
            f"Not in your custody: your organization holds no units of batch {pack.lot} and "
            "none is on its way to you. This pack belongs to another organization's stock."
        )
        pack.flag(RED, pack.custody)
