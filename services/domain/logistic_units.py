"""Logistic units: cases and pallets a custodian packs, each named by an SSCC (GS1 AI 00).

Packing is a warehouse act, not a change of custody, so a packed unit is an off-chain record of
the packer's service (`LogisticUnit`): its SSCC and what is inside. The contents reach the
ledger with the shipment that carries the unit (the Ship transaction's `logistic_units`, checked
by the contract against the lines), so a receiver running its own service and read model
resolves the SSCC it scans from the shipment (`ShipmentLogisticUnit`), never from the sender's
database.

SSCC numbering: the organization's GS1 company prefix is not on the ledger, so the first 12
digits of its GLN stand for it (GS1 allocates a company's GLNs from its prefix, so the numbers
are the company's own and differ between organizations with different GLNs). That leaves the
extension digit and a 4-digit serial reference: 100,000 SSCCs per organization. A configured
company prefix is the way to more (docs/notes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, or_, select

from services.errors import PharmaTraceError, forbidden, invalid, not_found
from services.labels import LabelError, next_sscc, render_logistic_label
from services.readmodel.tables import (
    Batch,
    Holding,
    LogisticUnit,
    Organization,
    Shipment,
    ShipmentLogisticUnit,
)
from services.runtime import Actor, Runtime

SERIAL_REFERENCE_DIGITS = 4
MAX_UNITS_PER_ORGANIZATION = 10 * 10**SERIAL_REFERENCE_DIGITS  # extension digit 0-9
ALLOCATION_ATTEMPTS = 5


@dataclass(frozen=True)
class UnitContent:
    """One batch inside a case: how many packs, and the serials known to be among them."""

    gtin: str
    lot: str
    quantity: int
    serials: tuple[str, ...] = ()

    def as_record(self) -> dict[str, Any]:
        return {
            "gtin": self.gtin,
            "lot": self.lot,
            "quantity": self.quantity,
            "serials": sorted(self.serials),
        }


@dataclass(frozen=True)
class ResolvedUnit:
    """An SSCC and its contents, and where this service learnt them."""

    sscc: str
    contents: list[dict[str, Any]]
    owner: str  # who packed it (the sender, for a unit known from a shipment)
    shipment_id: str | None = None
    shipment_status: str | None = None
    created_at: str | None = None


def sscc_for(organization_gln: str, number: int) -> str:
    """The `number`-th SSCC of an organization (0-based), from its GLN's first 12 digits."""
    if not 0 <= number < MAX_UNITS_PER_ORGANIZATION:
        raise PharmaTraceError(
            "SSCC_RANGE_EXHAUSTED",
            f"All {MAX_UNITS_PER_ORGANIZATION} SSCCs of this organization are allocated.",
            status=409,
        )
    extension, reference = divmod(number, 10**SERIAL_REFERENCE_DIGITS)
    return next_sscc(extension, organization_gln[:12], reference)


def pack_unit(rt: Runtime, *, actor: Actor, contents: list[UnitContent]) -> ResolvedUnit:
    """Allocate the next SSCC of the actor's organization and record what the unit holds."""
    records = _checked_contents(rt, actor, contents)
    with rt.session() as session:
        organization = session.get(Organization, actor.msp_id)
    if organization is None:
        raise not_found("UNKNOWN_ORGANIZATION", f"No organization {actor.msp_id}.")
    created_at = rt.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")
    for _attempt in range(ALLOCATION_ATTEMPTS):
        with rt.session() as session:
            taken = session.exec(
                select(func.count())
                .select_from(LogisticUnit)
                .where(LogisticUnit.msp_id == actor.msp_id)
            ).one()
            sscc = sscc_for(organization.gln, taken)
            session.add(
                LogisticUnit(
                    sscc=sscc,
                    msp_id=actor.msp_id,
                    contents=json.dumps(records),
                    created_at=created_at,
                    created_by=actor.user,
                )
            )
            try:
                session.commit()
            except IntegrityError:
                session.rollback()  # another request took this number first: count again
                continue
        return ResolvedUnit(sscc, records, actor.msp_id, created_at=created_at)
    raise PharmaTraceError(
        "CONFLICT", "Too many SSCCs were allocated at once; retry.", status=409, retryable=True
    )


def _checked_contents(
    rt: Runtime, actor: Actor, contents: list[UnitContent]
) -> list[dict[str, Any]]:
    """Contents as records, refused unless each batch is known and enough of it is held."""
    keys = [(c.gtin, c.lot) for c in contents]
    if not contents or len(set(keys)) != len(keys):
        raise invalid(
            "INVALID_CONTENTS", "A unit lists at least one batch, and each batch only once."
        )
    with rt.session() as session:
        for content in contents:
            if len(set(content.serials)) != len(content.serials) or (
                len(content.serials) > content.quantity
            ):
                raise invalid(
                    "INVALID_CONTENTS",
                    f"The serials of batch {content.lot} must be distinct and no more than "
                    f"its quantity ({content.quantity}).",
                )
            if session.get(Batch, (content.gtin, content.lot)) is None:
                raise not_found("UNKNOWN_BATCH", f"No batch {content.lot} of GTIN {content.gtin}.")
            holding = session.get(Holding, (content.gtin, content.lot, actor.msp_id))
            held = holding.quantity if holding else 0
            if held < content.quantity:
                raise forbidden(
                    "NOT_CUSTODIAN",
                    f"{actor.msp_id} holds {held} units of batch {content.lot}, "
                    f"fewer than the {content.quantity} to pack.",
                )
    return sorted((c.as_record() for c in contents), key=lambda r: (r["gtin"], r["lot"]))


def resolve(rt: Runtime, *, actor: Actor, sscc: str) -> ResolvedUnit:
    """What is in `sscc` as far as the actor may know: a unit it packed, else one of a shipment
    it sent or receives (newest first); 404 UNKNOWN_SSCC otherwise."""
    with rt.session() as session:
        own = session.get(LogisticUnit, sscc)
        if own is not None and own.msp_id == actor.msp_id:
            return ResolvedUnit(
                sscc, json.loads(own.contents), own.msp_id, created_at=own.created_at
            )
        row = session.exec(
            select(ShipmentLogisticUnit, Shipment)
            .join(Shipment, col(Shipment.shipment_id) == ShipmentLogisticUnit.shipment_id)
            .where(ShipmentLogisticUnit.sscc == sscc)
            .where(or_(Shipment.sender == actor.msp_id, Shipment.receiver == actor.msp_id))
            .order_by(col(Shipment.shipped_at).desc())
            .limit(1)
        ).first()
    if row is None:
        raise not_found(
            "UNKNOWN_SSCC",
            f"SSCC {sscc} is not a case or pallet your organization packed, sent or is receiving.",
        )
    unit, shipment = row
    return ResolvedUnit(
        sscc,
        json.loads(unit.contents),
        shipment.sender,
        shipment_id=shipment.shipment_id,
        shipment_status=shipment.status,
    )


def label_png(rt: Runtime, *, actor: Actor, sscc: str) -> bytes:
    """The GS1-128 logistic label of a unit the actor may see, as PNG."""
    unit = resolve(rt, actor=actor, sscc=sscc)
    with rt.session() as session:
        owner = session.get(Organization, unit.owner)
    try:
        return render_logistic_label(
            sscc,
            contents=[(c["gtin"], c["lot"], c["quantity"]) for c in unit.contents],
            shipper=owner.name if owner else unit.owner,
        )
    except LabelError as error:
        raise invalid("LABEL_NOT_PRINTABLE", str(error)) from error


def units_for_shipment(
    rt: Runtime, *, actor: Actor, ssccs: list[str], shipment_id: str
) -> list[dict[str, Any]]:
    """The `logistic_units` a Ship request carries for the SSCCs on its lines.

    SSCCs the actor packed here travel with their contents. If none of them was packed here the
    shipment goes as before (lines naming SSCCs, no contents); a mix is refused, because the
    receiver could resolve some cases and not others; so is a case this organization already
    shipped in another shipment (a retry of the same shipment is not another one).
    """
    wanted = sorted(set(ssccs))
    with rt.session() as session:
        packed = {
            unit.sscc: unit
            for unit in session.exec(
                select(LogisticUnit)
                .where(col(LogisticUnit.sscc).in_(wanted))
                .where(LogisticUnit.msp_id == actor.msp_id)
            )
        }
        shipped = session.exec(
            select(ShipmentLogisticUnit.sscc, Shipment.shipment_id)
            .join(Shipment, col(Shipment.shipment_id) == ShipmentLogisticUnit.shipment_id)
            .where(col(ShipmentLogisticUnit.sscc).in_(list(packed)))
            .where(Shipment.sender == actor.msp_id, Shipment.shipment_id != shipment_id)
        ).first()
    if not packed:
        return []
    if shipped is not None:
        raise PharmaTraceError(
            "SSCC_ALREADY_SHIPPED",
            f"Case {shipped[0]} already left in shipment {shipped[1]}; pack a new case.",
            status=409,
        )
    unknown = [sscc for sscc in wanted if sscc not in packed]
    if unknown:
        raise invalid(
            "UNKNOWN_SSCC",
            f"SSCC {unknown[0]} was not packed by your organization, unlike the other cases of "
            "this shipment: pack it here first so the receiver can resolve it.",
        )
    return [{"sscc": sscc, "contents": json.loads(packed[sscc].contents)} for sscc in wanted]
