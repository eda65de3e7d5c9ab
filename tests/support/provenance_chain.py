"""A located supply chain for provenance reports: real cities, every kind of event, any size.

The demo's organizations (services.demo.network: real addresses and coordinates) trade one batch:
Basel → Frankfurt and Lyon → Berlin, Munich and Paris pharmacies, with one short receipt, some
dispensings, a destruction, a clone scan and an unknown serial, then a recall. `extra_scans` adds
that many verification records straight into the scan log (off-chain rows, as the verification
service writes them) so a benchmark reaches 10,000 events without hours of ledger writes.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from services.config import Settings
from services.demo.network import PARTICIPANTS, REGULATOR, Participant, with_check_digit
from services.domain import batches, organizations, packs, products, shipments, verification
from services.gs1 import PackIdentifier, to_element_string
from services.readmodel.tables import Scan
from services.runtime import Actor, Runtime
from tests.support.network import Clock

TRADERS = ("basel", "frankfurt", "lyon", "berlin", "munich", "paris")
GTIN = with_check_digit("0761234519990")
LOT = "PRV-2026-01"
# (sender, receiver, share of the batch)
FLOWS = (
    ("basel", "frankfurt", 0.5),
    ("basel", "lyon", 0.25),
    ("frankfurt", "berlin", 0.2),
    ("frankfurt", "munich", 0.2),
    ("lyon", "paris", 0.15),
)
PHARMACIES = ("berlin", "munich", "paris")


@dataclass
class LocatedChain:
    rt: Runtime
    clock: Clock
    actors: dict[str, Actor]
    gtin: str
    lot: str
    expiry: date
    serials: list[str]
    dispensed: list[str]  # serials dispensed, in order

    def code(self, serial: str) -> str:
        """The GS1 element string of a pack of the batch."""
        return to_element_string(
            PackIdentifier(gtin=self.gtin, lot=self.lot, serial=serial, expiry=self.expiry)
        )


def _participant(key: str) -> Participant:
    return next(p for p in PARTICIPANTS if p.key == key)


def _register(rt: Runtime, regulator: Actor) -> dict[str, Actor]:
    actors = {}
    for key in TRADERS:
        p = _participant(key)
        organizations.register_organization(
            rt,
            actor=regulator,
            msp_id=p.msp_id,
            name=p.name,
            role=p.role,
            gln=p.gln,
            address=p.address,
            country=p.country,
            latitude=p.latitude,
            longitude=p.longitude,
        )
        actors[key] = Actor(p.msp_id, p.role, p.user, p.gln)
    return actors


def _move(rt: Runtime, clock: Clock, actors: dict[str, Actor], quantity: int) -> None:
    for sender, receiver, share in FLOWS:
        count = max(2, int(quantity * share))
        line = shipments.ShipmentLineRequest(gtin=GTIN, lot=LOT, quantity=count)
        sent = shipments.ship(
            rt, actor=actors[sender], receiver=actors[receiver].msp_id, lines=[line]
        )
        clock.advance(hours=20)
        got = count - 1 if receiver == "paris" else count  # one pack lost on the way to Paris
        shipments.receive(
            rt,
            actor=actors[receiver],
            shipment_id=sent.record["shipment_id"],
            received=[(GTIN, LOT, got)],
        )
        clock.advance(hours=6)


def add_scans(chain: LocatedChain, count: int, seed: int = 7) -> None:
    """`count` green verifications of packs still in the chain (never the dispensed ones), at the
    pharmacies, written as the scan log holds them (one SQL transaction). Each pack is scanned
    once before any is scanned again, so a large batch shows no false clone or velocity signal.
    """
    rng = random.Random(seed)
    taken = set(chain.dispensed)
    free = [s for s in chain.serials if s not in taken]
    rng.shuffle(free)
    start = chain.clock.now
    rows = []
    for n in range(count):
        where = chain.actors[PHARMACIES[n % len(PHARMACIES)]]
        serial = free[n % len(free)]
        at = start + timedelta(seconds=37 * n)
        rows.append(
            Scan(
                at=at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                msp_id=where.msp_id,
                user=where.user,
                location=where.location,
                raw_code=chain.code(serial),
                gtin=chain.gtin,
                lot=chain.lot,
                serial=serial,
                result="OK",
                light="green",
                reasons=json.dumps(["Authentic, active pack: dispense."]),
            )
        )
    with chain.rt.session() as session:
        session.add_all(rows)
        session.commit()
    chain.clock.advance(seconds=37 * count + 60)


def build_located_chain(
    data_dir: Path, *, quantity: int = 60, dispenses: int = 3, extra_scans: int = 0
) -> LocatedChain:
    """The chain described above; `dispenses` packs are dispensed at each pharmacy."""
    clock = Clock()
    rt = Runtime(Settings(data_dir=data_dir), clock=clock)
    organizations.bootstrap_regulator(
        rt,
        msp_id=REGULATOR.msp_id,
        name=REGULATOR.name,
        gln=REGULATOR.gln,
        address=REGULATOR.address,
        country=REGULATOR.country,
        latitude=REGULATOR.latitude,
        longitude=REGULATOR.longitude,
    )
    regulator = Actor(REGULATOR.msp_id, "regulator", REGULATOR.user, REGULATOR.gln)
    actors = {"agency": regulator, **_register(rt, regulator)}
    products.register_product(
        rt, actor=actors["basel"], gtin=GTIN, name="Ibuprofen 400 mg tablets, 30", form="tablet"
    )
    serials = [f"PRV{i:06d}" for i in range(quantity)]
    expiry = (clock.now + timedelta(days=700)).date()
    batches.register_batch(
        rt, actor=actors["basel"], gtin=GTIN, lot=LOT, expiry=expiry, serials=serials
    )
    clock.advance(hours=4)
    _move(rt, clock, actors, quantity)
    chain = LocatedChain(rt, clock, actors, GTIN, LOT, expiry, serials, [])
    free = iter(serials)
    for pharmacy in PHARMACIES:
        for _ in range(dispenses):
            serial = next(free)
            packs.decommission(rt, actor=actors[pharmacy], code=chain.code(serial))
            chain.dispensed.append(serial)
            clock.advance(minutes=45)
    packs.decommission(rt, actor=actors["munich"], code=chain.code(next(free)), status="destroyed")
    clock.advance(hours=3)
    verification.verify(rt, actor=actors["paris"], code=chain.code(chain.dispensed[0]))  # clone
    verification.verify(rt, actor=actors["berlin"], code=chain.code("NOSUCH0001"))
    if extra_scans:
        add_scans(chain, extra_scans)
    clock.advance(days=1)
    batches.change_batch_status(
        rt,
        actor=actors["basel"],
        gtin=GTIN,
        lot=LOT,
        status="recalled",
        reason="Dissolution out of specification",
    )
    return chain
