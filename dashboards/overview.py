"""What the manufacturer page shows, read from the read model: products, batches, custody.

Custody of a batch is "where the units are now": each organization's holding plus what is on its
way between two organizations (shipped, not yet received). Both come from the read model, which
is fed by committed ledger events only, so the page never shows a transfer the ledger refused.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from services.errors import forbidden, not_found
from services.readmodel.tables import (
    Batch,
    Holding,
    Organization,
    Product,
    SerialNumber,
    Shipment,
    ShipmentLine,
)
from services.runtime import Runtime

LABEL_LINKS_PER_BATCH = 3
RECALLABLE = frozenset({"active", "quarantined"})


@dataclass(frozen=True)
class CustodyShare:
    """Units of a batch held by one organization, or in transit between two."""

    label: str
    quantity: int
    in_transit: bool = False


@dataclass(frozen=True)
class ProductView:
    gtin: str
    name: str
    form: str
    strength: str
    pack_size: str
    batch_count: int


@dataclass(frozen=True)
class BatchView:
    gtin: str
    lot: str
    product_name: str
    status: str
    status_reason: str
    quantity: int
    expiry: str
    registered_at: str
    custody: tuple[CustodyShare, ...]
    label_serials: tuple[str, ...]
    expired: bool

    @property
    def recallable(self) -> bool:
        return self.status in RECALLABLE

    @property
    def in_transit(self) -> int:
        return sum(share.quantity for share in self.custody if share.in_transit)

    @property
    def dom_id(self) -> str:
        """An HTML id for the batch; lots may hold characters ids should not."""
        return "batch-" + self.gtin + "-" + self.lot.encode().hex()

    def chart_json(self) -> str:
        """The custody chart's data for dashboards/static/manufacturer.js."""
        return json.dumps(
            {
                "labels": [share.label for share in self.custody],
                "quantities": [share.quantity for share in self.custody],
                "inTransit": [share.in_transit for share in self.custody],
            }
        )


@dataclass(frozen=True)
class Overview:
    msp_id: str
    organization: str
    products: tuple[ProductView, ...]
    batches: tuple[BatchView, ...]


def _names(session: Session) -> dict[str, str]:
    return {org.msp_id: org.name for org in session.exec(select(Organization))}


def _custody(
    session: Session, gtins: list[str], names: dict[str, str], own: str
) -> dict[tuple[str, str], list[CustodyShare]]:
    shares: dict[tuple[str, str], list[CustodyShare]] = defaultdict(list)
    if not gtins:
        return shares
    holdings = session.exec(
        select(Holding)
        .where(col(Holding.gtin).in_(gtins), Holding.quantity > 0)
        .order_by(col(Holding.quantity).desc(), col(Holding.msp_id))
    )
    for holding in holdings:
        name = names.get(holding.msp_id, holding.msp_id)
        label = f"{name} (you)" if holding.msp_id == own else name
        shares[(holding.gtin, holding.lot)].append(CustodyShare(label, holding.quantity))
    moving = session.exec(
        select(ShipmentLine, Shipment)
        .join(Shipment, col(Shipment.shipment_id) == col(ShipmentLine.shipment_id))
        .where(col(ShipmentLine.gtin).in_(gtins), Shipment.status == "in_transit")
        .order_by(col(Shipment.shipped_at))
    )
    in_transit: dict[tuple[str, str, str], int] = defaultdict(int)
    for line, shipment in moving:
        in_transit[(line.gtin, line.lot, shipment.receiver)] += line.quantity
    for (gtin, lot, receiver), quantity in in_transit.items():
        label = f"In transit to {names.get(receiver, receiver)}"
        shares[(gtin, lot)].append(CustodyShare(label, quantity, in_transit=True))
    return shares


def _label_serials(session: Session, batch: Batch) -> tuple[str, ...]:
    rows = session.exec(
        select(SerialNumber.serial)
        .where(SerialNumber.gtin == batch.gtin, SerialNumber.lot == batch.lot)
        .order_by(col(SerialNumber.leaf_index))
        .limit(LABEL_LINKS_PER_BATCH)
    )
    return tuple(rows)


def _batch_view(
    session: Session, batch: Batch, custody: list[CustodyShare], today: date
) -> BatchView:
    return BatchView(
        gtin=batch.gtin,
        lot=batch.lot,
        product_name=batch.product_name,
        status=batch.status,
        status_reason=batch.status_reason,
        quantity=batch.quantity,
        expiry=batch.expiry,
        registered_at=batch.registered_at,
        custody=tuple(custody),
        label_serials=_label_serials(session, batch),
        expired=date.fromisoformat(batch.expiry) < today,
    )


def manufacturer_overview(rt: Runtime, msp_id: str) -> Overview:
    """The manufacturer's products and batches (newest first), each with its custody."""
    today = rt.now().date()
    with rt.session() as session:
        names = _names(session)
        products = list(
            session.exec(
                select(Product).where(Product.manufacturer == msp_id).order_by(Product.name)
            )
        )
        batches = list(
            session.exec(
                select(Batch)
                .where(Batch.manufacturer == msp_id)
                .order_by(col(Batch.registered_at).desc(), col(Batch.lot))
            )
        )
        custody = _custody(session, [p.gtin for p in products], names, msp_id)
        counts: dict[str, int] = defaultdict(int)
        for batch in batches:
            counts[batch.gtin] += 1
        return Overview(
            msp_id=msp_id,
            organization=names.get(msp_id, msp_id),
            products=tuple(
                ProductView(p.gtin, p.name, p.form, p.strength, p.pack_size, counts[p.gtin])
                for p in products
            ),
            batches=tuple(
                _batch_view(session, b, custody.get((b.gtin, b.lot), []), today) for b in batches
            ),
        )


def own_batch(rt: Runtime, msp_id: str, gtin: str, lot: str) -> BatchView:
    """One of the manufacturer's batches with its custody; 404 if unknown, 403 if another's."""
    today = rt.now().date()
    with rt.session() as session:
        batch = session.get(Batch, (gtin, lot))
        if batch is None:
            raise not_found("UNKNOWN_BATCH", f"No batch {lot} of GTIN {gtin}.")
        if batch.manufacturer != msp_id:
            raise forbidden("NOT_BATCH_OWNER", f"Batch {lot} belongs to {batch.manufacturer}.")
        custody = _custody(session, [gtin], _names(session), msp_id)
        return _batch_view(session, batch, custody.get((gtin, lot), []), today)
