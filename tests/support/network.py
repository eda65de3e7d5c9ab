"""A small but complete supply chain on a fresh Runtime, for integration tests and benchmarks.

Regulator, two manufacturers, a wholesaler and two pharmacies with valid GLNs; one product; one
batch of 40 serials; 20 packs shipped to the wholesaler and received; 10 of them shipped on to
pharmacy A and received. Pharmacy B has received nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from chaincode.identifiers import check_digit
from services.config import Settings
from services.domain import batches, organizations, products, shipments
from services.gs1 import PackIdentifier, to_element_string
from services.runtime import Actor, Runtime


def with_check_digit(digits: str) -> str:
    return digits + str(check_digit(digits))


@dataclass
class Clock:
    """A settable clock: tests move time forward explicitly (undo windows, expiry)."""

    now: datetime = field(default_factory=lambda: datetime(2026, 1, 5, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)  # distinct, ordered timestamps per transaction
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class SmallNetwork:
    rt: Runtime
    clock: Clock
    regulator: Actor
    maker: Actor
    maker2: Actor
    wholesaler: Actor
    pharmacy_a: Actor
    pharmacy_b: Actor
    gtin: str
    lot: str
    expiry: date
    serials: list[str]

    def code(self, serial: str, *, lot: str | None = None, expiry: date | None = None) -> str:
        """The GS1 element string a DataMatrix of this pack carries (GS separated)."""
        return to_element_string(
            PackIdentifier(
                gtin=self.gtin, lot=lot or self.lot, serial=serial, expiry=expiry or self.expiry
            )
        )

    def actors(self) -> list[Actor]:
        return [
            self.regulator,
            self.maker,
            self.maker2,
            self.wholesaler,
            self.pharmacy_a,
            self.pharmacy_b,
        ]


ORGS = [
    # msp_id, role, name, GLN body (12 digits)
    ("MakerMSP", "manufacturer", "Acme Pharma GmbH", "400123400001"),
    ("Maker2MSP", "manufacturer", "Beta Generics Ltd", "500123400002"),
    ("WholesaleMSP", "distributor", "Phoenix Wholesale", "400123400003"),
    ("PharmacyAMSP", "pharmacy", "Apotheke am Markt", "400123400004"),
    ("PharmacyBMSP", "pharmacy", "Pharmacie du Centre", "300123400005"),
]


def build_small_network(data_dir: Path, database_url: str = "") -> SmallNetwork:
    clock = Clock()
    rt = Runtime(Settings(data_dir=data_dir, database_url=database_url), clock=clock)
    reg_gln = with_check_digit("400123400000")
    organizations.bootstrap_regulator(
        rt, msp_id="RegulatorMSP", name="National Regulator", gln=reg_gln
    )
    regulator = Actor("RegulatorMSP", "regulator", "inspector", reg_gln)
    actors = {}
    for msp_id, role, name, gln_body in ORGS:
        gln = with_check_digit(gln_body)
        organizations.register_organization(
            rt, actor=regulator, msp_id=msp_id, name=name, role=role, gln=gln
        )
        actors[msp_id] = Actor(msp_id, role, f"user@{msp_id}", gln)
    maker = actors["MakerMSP"]
    gtin = with_check_digit("0950600013435")
    products.register_product(
        rt,
        actor=maker,
        gtin=gtin,
        name="Paracetamol 500 mg tablets",
        form="tablet",
        strength="500 mg",
        pack_size="20",
    )
    serials = [f"SN{i:04d}X" for i in range(40)]
    expiry = (clock.now + timedelta(days=730)).date()
    batches.register_batch(rt, actor=maker, gtin=gtin, lot="LOT001", expiry=expiry, serials=serials)
    line = shipments.ShipmentLineRequest(gtin=gtin, lot="LOT001", quantity=20)
    first = shipments.ship(rt, actor=maker, receiver="WholesaleMSP", lines=[line])
    shipments.receive(rt, actor=actors["WholesaleMSP"], shipment_id=first.record["shipment_id"])
    line = shipments.ShipmentLineRequest(gtin=gtin, lot="LOT001", quantity=10)
    second = shipments.ship(rt, actor=actors["WholesaleMSP"], receiver="PharmacyAMSP", lines=[line])
    shipments.receive(rt, actor=actors["PharmacyAMSP"], shipment_id=second.record["shipment_id"])
    return SmallNetwork(
        rt,
        clock,
        regulator,
        maker,
        actors["Maker2MSP"],
        actors["WholesaleMSP"],
        actors["PharmacyAMSP"],
        actors["PharmacyBMSP"],
        gtin,
        "LOT001",
        expiry,
        serials,
    )
