"""A generated supply chain with one planted counterfeit pattern per rule and realistic noise.

`Planted.expected[rule]` is the ground truth: the labels (serial, organization+lot or shipment)
each rule must report, and nothing else.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from services.domain import batches, organizations, packs, shipments, verification
from services.gs1 import PackIdentifier, to_element_string
from services.runtime import Actor
from tests.support.network import SmallNetwork, build_small_network, with_check_digit

CITIES = {
    # msp_id: (name, GLN body, latitude, longitude)
    "BerlinPharmMSP": ("Apotheke Mitte", "400123400101", 52.520, 13.405),
    "HamburgPharmMSP": ("Hafen-Apotheke", "400123400102", 53.551, 9.994),
    "MadridPharmMSP": ("Farmacia Sol", "840123400103", 40.417, -3.704),
}


@dataclass
class Planted:
    net: SmallNetwork
    city: dict[str, Actor]
    expected: dict[str, set[str]] = field(default_factory=dict)
    noise: dict[str, set[str]] = field(default_factory=dict)


def build_detection_chain(data_dir: Path, seed: int = 7) -> Planted:
    net = build_small_network(data_dir)
    rt, gtin, lot, clock = net.rt, net.gtin, net.lot, net.clock
    rng = random.Random(seed)
    city: dict[str, Actor] = {}
    for msp_id, (name, body, lat, lon) in CITIES.items():
        gln = with_check_digit(body)
        organizations.register_organization(
            rt,
            actor=net.regulator,
            msp_id=msp_id,
            name=name,
            role="pharmacy",
            gln=gln,
            latitude=lat,
            longitude=lon,
        )
        city[msp_id] = Actor(msp_id, "pharmacy", f"user@{msp_id}", gln)
    ber, ham, mad = city["BerlinPharmMSP"], city["HamburgPharmMSP"], city["MadridPharmMSP"]
    planted = Planted(net, city)
    expected, noise = planted.expected, planted.noise

    def scan(actor: Actor, serial: str, batch_lot: str = lot) -> None:
        verification.verify(rt, actor=actor, code=net.code(serial, lot=batch_lot))

    def ship(receiver: Actor, quantity: int, batch_lot: str = lot) -> str:
        line = shipments.ShipmentLineRequest(gtin=gtin, lot=batch_lot, quantity=quantity)
        sent = shipments.ship(rt, actor=net.wholesaler, receiver=receiver.msp_id, lines=[line])
        return str(sent.record["shipment_id"])

    # Partial shipments to the three city pharmacies, received in a day (noise: quantity drift).
    for actor in (ber, mad):
        shipment = ship(actor, 2)
        clock.advance(hours=20)
        shipments.receive(rt, actor=actor, shipment_id=shipment)
    # A late receipt, within what is usual (noise: in transit too long).
    late = ship(ham, 2)
    clock.advance(days=3)
    shipments.receive(rt, actor=ham, shipment_id=late)
    noise["in_transit_too_long"] = {late}

    # quantity_drift: 3 shipped, 2 received.
    short = ship(ham, 3)
    clock.advance(hours=12)
    shipments.receive(rt, actor=ham, shipment_id=short, received=[(gtin, lot, 2)])
    expected["quantity_drift"] = {short}

    # clone: dispensed by pharmacy A, then scanned in Berlin.
    clock.advance(hours=5)
    packs.decommission(rt, actor=net.pharmacy_a, code=net.code("SN0000X"))
    clock.advance(hours=30)
    scan(ber, "SN0000X")
    expected["clone"] = {"SN0000X"}
    # noise: pharmacy A re-scans a pack it dispensed (within the tolerance); an undone dispense
    # then scanned elsewhere.
    packs.decommission(rt, actor=net.pharmacy_a, code=net.code("SN0001X"))
    scan(net.pharmacy_a, "SN0001X")
    scan(net.pharmacy_a, "SN0001X")
    packs.decommission(rt, actor=net.pharmacy_a, code=net.code("SN0002X"))
    packs.undo(rt, actor=net.pharmacy_a, code=net.code("SN0002X"))
    clock.advance(hours=30)
    scan(ber, "SN0002X")
    noise["clone"] = {"SN0001X", "SN0002X"}

    # unknown_serial: a code the manufacturer never registered. Noise: unreadable input.
    scan(ber, "FAKE0001")
    expected["unknown_serial"] = {"FAKE0001"}
    verification.verify(rt, actor=ber, code="not a datamatrix")

    # custody_without_shipment: pharmacy B never received the batch.
    clock.advance(hours=30)
    scan(net.pharmacy_b, "SN0030X")
    scan(net.pharmacy_b, "SN0031X")
    expected["custody_without_shipment"] = {f"PharmacyBMSP|{lot}"}

    # scan_velocity: 3 scans in 20 hours at two places (Berlin, Hamburg: 255 km in 10 h).
    clock.advance(days=2)
    scan(ber, "SN0005X")
    clock.advance(hours=10)
    scan(ham, "SN0005X")
    clock.advance(hours=10)
    scan(ber, "SN0005X")
    expected["scan_velocity"] = {"SN0005X"}
    # noise: 3 re-scans at one counter in a few minutes; 4 scans over 12 days at two places.
    for _ in range(3):
        clock.advance(minutes=2)
        scan(ber, "SN0006X")
    for actor in (ber, ham, ber, ham):
        clock.advance(days=3)
        scan(actor, "SN0007X")
    noise["scan_velocity"] = {"SN0006X", "SN0007X"}

    # impossible_travel: Berlin, then Madrid (1,870 km) an hour later.
    clock.advance(days=2)
    scan(ber, "SN0008X")
    clock.advance(hours=1)
    scan(mad, "SN0008X")
    expected["impossible_travel"] = {"SN0008X"}
    # noise: Berlin then Hamburg two days later.
    scan(ber, "SN0009X")
    clock.advance(days=2)
    scan(ham, "SN0009X")
    noise["impossible_travel"] = {"SN0009X"}

    # recalled_in_use: a second batch, scanned before its recall (noise) and after (planted).
    serials2 = [f"RB{i:04d}X" for i in range(10)]
    expiry = net.expiry
    batches.register_batch(
        rt, actor=net.maker, gtin=gtin, lot="LOT002", expiry=expiry, serials=serials2
    )
    line = shipments.ShipmentLineRequest(gtin=gtin, lot="LOT002", quantity=10)
    sent = shipments.ship(rt, actor=net.maker, receiver="WholesaleMSP", lines=[line])
    shipments.receive(rt, actor=net.wholesaler, shipment_id=sent.record["shipment_id"])
    verification.verify(rt, actor=net.wholesaler, code=_code(gtin, "LOT002", "RB0001X", expiry))
    clock.advance(days=1)
    batches.change_batch_status(
        rt, actor=net.maker, gtin=gtin, lot="LOT002", status="recalled", reason="Sterility"
    )
    clock.advance(hours=3)
    verification.verify(rt, actor=net.wholesaler, code=_code(gtin, "LOT002", "RB0002X", expiry))
    expected["recalled_in_use"] = {"LOT002|WholesaleMSP"}

    # in_transit_too_long: shipped to Madrid, never received, 10 days ago.
    lost = ship(mad, 1)

    # Background: ordinary verifications at the pharmacies holding the batch, one place per
    # pack, days apart (noise for every rule).
    background = [f"SN{i:04d}X" for i in range(12, 30)]
    holders = [ber, ham, mad, net.pharmacy_a]
    for serial in background:
        actor = rng.choice(holders)
        for _ in range(rng.randint(1, 2)):
            clock.advance(hours=rng.randint(30, 60))
            scan(actor, serial)
    clock.advance(days=10)
    expected["in_transit_too_long"] = {lost}
    for rule in expected:
        expected.setdefault(rule, set())
        noise.setdefault(rule, set())
    return planted


def _code(gtin: str, lot: str, serial: str, expiry: date) -> str:
    return to_element_string(PackIdentifier(gtin=gtin, lot=lot, serial=serial, expiry=expiry))
