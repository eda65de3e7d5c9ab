"""Counterfeit and provenance-gap patterns planted in the synthetic chain, with the ground truth.

Each plant is scheduled at a seeded moment and picks its packs from the world as it is then.
It records the alert labels that must fire (`GroundTruth.required`) and, where one counterfeit
legitimately meets a second rule too, the labels that may also fire (`allowed`: a cloned code at
a pharmacy that has sold out of the batch is also custody without shipment). A label is an alert
key with the parts that cannot be known in advance dropped (`label`): the pack for clone,
velocity and travel alerts, the organization and batch for custody and recall alerts, the
shipment (and line) for shipment alerts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from services.demo.network import with_check_digit
from services.demo.synthetic_flows import Counted, replenish_once, send_back_recalled
from services.demo.synthetic_world import START, BatchRef, Site, Transit, World, distance_km
from services.domain import batches

RULES = (
    "clone",
    "unknown_serial",
    "custody_without_shipment",
    "recalled_in_use",
    "quantity_drift",
    "scan_velocity",
    "impossible_travel",
    "in_transit_too_long",
)


@dataclass
class GroundTruth:
    required: dict[str, set[str]] = field(default_factory=lambda: {r: set() for r in RULES})
    allowed: dict[str, set[str]] = field(default_factory=lambda: {r: set() for r in RULES})

    def expect(self, rule: str, label: str) -> None:
        self.required[rule].add(label)

    def allow(self, rule: str, label: str) -> None:
        self.allowed[rule].add(label)

    def copied_code(self, rule: str, label: str) -> None:
        """A code planted in two places: `rule` must find it; the other pack-level rules may,
        when the copy's scans happen to meet their definition too (a copy scanned soon after
        the genuine pack's goods-in scans is also a burst of scans)."""
        self.expect(rule, label)
        for other in ("clone", "scan_velocity", "impossible_travel"):
            if other != rule:
                self.allow(other, label)


def label(key: str) -> tuple[str, str]:
    """(rule, label) of an alert key (`rule|subject`)."""
    rule, _, subject = key.partition("|")
    parts = subject.split("|")
    if rule in ("clone", "impossible_travel"):  # + decommission event / scan pair
        return rule, "|".join(parts[:2])
    if rule == "recalled_in_use":  # scan|… or ship|…: either way the batch at that holder
        return rule, "|".join(parts[1:])
    return rule, subject


@dataclass(frozen=True)
class RuleScore:
    rule: str
    expected: int
    found: int
    hits: int  # required labels found
    correct: int  # found labels that are required or allowed
    missed: tuple[str, ...]
    false_alarms: tuple[str, ...]

    @property
    def precision(self) -> float:
        return self.correct / self.found if self.found else 1.0

    @property
    def secondary(self) -> int:
        """Found labels about another rule's plant that this rule's definition also meets."""
        return self.correct - self.hits

    @property
    def recall(self) -> float:
        return self.hits / self.expected if self.expected else 1.0


def score(truth: GroundTruth, alert_keys: Iterable[str]) -> dict[str, RuleScore]:
    found: dict[str, set[str]] = {r: set() for r in RULES}
    for key in alert_keys:
        rule, text = label(key)
        found.setdefault(rule, set()).add(text)
    out = {}
    for rule in RULES:
        required, seen = truth.required[rule], found[rule]
        fine = required | truth.allowed[rule]
        out[rule] = RuleScore(
            rule,
            len(required),
            len(seen),
            len(seen & required),
            len(seen & fine),
            tuple(sorted(required - seen)),
            tuple(sorted(seen - fine)),
        )
    return out


# -- scheduling ----------------------------------------------------------------------------

Plant = Callable[["World", "GroundTruth", list[Site], int, datetime], None]


def plant_everything(world: World, k: int, pharmacies: list[Site], end: datetime) -> GroundTruth:
    truth = GroundTruth()
    days = (end - START).days
    plants = (_clone, _unknown, _custody, _drift, _velocity, _travel)
    for plant in plants:
        for i in range(k):
            day = world.rng.uniform(4, days - 7)
            world.at(START + timedelta(days=day), _bind(plant, world, truth, pharmacies, i, end))
    for i in range(k):
        # Lost on the way (sent early enough to be 8+ days overdue) or received after 9–13 days.
        lost = i % 2 == 0
        day = world.rng.uniform(3, days - 9) if lost else world.rng.uniform(3, days - 14)
        world.at(
            START + timedelta(days=day),
            _bind(_in_transit, world, truth, pharmacies, i, end),
        )
    recall_day = world.rng.uniform(0.5, 0.6) * days
    world.at(START + timedelta(days=recall_day), lambda: _recall(world, truth, pharmacies, k, end))
    return truth


def _bind(
    plant: Plant, world: World, truth: GroundTruth, pharmacies: list[Site], i: int, end: datetime
) -> Callable[[], None]:
    return lambda: plant(world, truth, pharmacies, i, end)


def _pick_holder(world: World, pharmacies: list[Site]) -> tuple[Site, BatchRef] | None:
    options = [(p, b) for p in pharmacies for b in world.holdings(p.msp_id) if _free(world, p, b)]
    return world.rng.choice(options) if options else None


def _free(world: World, site: Site, batch: BatchRef) -> bool:
    return any(s not in world.reserved for s in world.stock(site.msp_id, batch))


def _pair(
    world: World, pharmacies: list[Site], min_km: float, max_km: float
) -> tuple[Site, Site, BatchRef] | None:
    """Two pharmacies `min_km`..`max_km` apart that both hold a batch (a copy of a code there
    passes the custody check)."""
    options = [
        (p, q, b)
        for p in pharmacies
        for q in pharmacies
        if p != q and min_km <= distance_km(p, q) <= max_km
        for b in world.holdings(p.msp_id)
        if _free(world, p, b) and world.stock(q.msp_id, b)
    ]
    return world.rng.choice(options) if options else None


def _later(world: World, hours: float, act: Callable[[], object]) -> None:
    world.at(world.now() + timedelta(hours=hours), act)


# -- the plants ----------------------------------------------------------------------------


def _clone(world: World, truth: GroundTruth, pharmacies: list[Site], i: int, end: datetime) -> None:
    """Dispensed at P; days later a copy of the code is scanned at another pharmacy."""
    found = _pick_holder(world, pharmacies)
    if found is None:
        return
    p, batch = found
    serial = world.take(p.msp_id, batch, 1)[0]
    world.dispense(p, batch, serial, slips=False)
    q = world.rng.choice([x for x in pharmacies if x != p])
    truth.copied_code("clone", f"{batch.gtin}|{serial}")

    def copy_scanned() -> None:
        for _ in range(world.rng.randint(1, 2)):
            world.desk_scan(q, batch, serial)
        if batch.key in world.recalled:  # a copy of a recalled batch's code is both
            truth.allow("recalled_in_use", f"{batch.gtin}|{batch.lot}|{q.msp_id}")

    _later(world, world.rng.uniform(48, 140), copy_scanned)


def _unknown(
    world: World, truth: GroundTruth, pharmacies: list[Site], i: int, end: datetime
) -> None:
    """A code its manufacturer never registered: a serial, a batch, or a whole product."""
    p = world.rng.choice(pharmacies)
    real = world.rng.choice(world.batches)
    serial = world.serials(1, set())[0]
    gtin, lot = real.gtin, real.lot
    if i % 3 == 1:
        lot = f"X{world.rng.randint(1000, 9999)}"
    elif i % 3 == 2:
        gtin, lot = with_check_digit(f"0{world.rng.randint(10**11, 10**12 - 1)}"), "FK1"
    fake = BatchRef(gtin, lot, real.expiry, "")
    for _ in range(world.rng.randint(1, 2)):
        world.desk_scan(p, fake, serial)
    truth.expect("unknown_serial", f"{gtin}|{serial}")


def _diverted(world: World, batch: BatchRef, n: int) -> list[str]:
    """Packs that leave the manufacturer's warehouse without a shipment (the ledger still counts
    them there)."""
    serials = world.take(batch.manufacturer, batch, n)
    world.reserved.update(serials)
    world.stock(batch.manufacturer, batch).extend(serials)
    return serials


def _custody(
    world: World, truth: GroundTruth, pharmacies: list[Site], i: int, end: datetime
) -> None:
    """Genuine packs turn up where the ledger says none could be: at a pharmacy no shipment of
    the batch reached, or (every other plant) one that has sold all it received."""
    movable = [b for b in world.batches if b.key not in world.recalled]
    if i % 2 == 1:
        sold_out = [
            (p, b)
            for p in pharmacies
            for b in movable
            if (p.msp_id, b.key) in world.received_ever
            and not world.stock(p.msp_id, b)
            and not _incoming(world, p, b)
        ]
        if sold_out:
            p, batch = world.rng.choice(sold_out)
            world.withheld.add((p.msp_id, batch.key))
            _scan_diverted(world, truth, p, batch)
            return
    never = [
        (p, b)
        for p in pharmacies
        for b in movable
        if (p.msp_id, b.key) not in world.received_ever and not _incoming(world, p, b)
    ]
    if never:
        p, batch = world.rng.choice(never)
        world.withheld.add((p.msp_id, batch.key))
        _scan_diverted(world, truth, p, batch)


def _incoming(world: World, p: Site, b: BatchRef) -> bool:
    return any(
        t.receiver == p and any(line[0] == b for line in t.lines) for t in world.in_transit.values()
    )


def _scan_diverted(world: World, truth: GroundTruth, p: Site, batch: BatchRef) -> None:
    for serial in _diverted(world, batch, world.rng.randint(1, 3)):
        world.desk_scan(p, batch, serial)
    truth.expect("custody_without_shipment", f"{p.msp_id}|{batch.gtin}|{batch.lot}")


def _drift(world: World, truth: GroundTruth, pharmacies: list[Site], i: int, end: datetime) -> None:
    """A delivery counted short (packs gone on the way) or long (packs appearing from nowhere)."""
    p = world.rng.choice(pharmacies)

    def counted(transit: Transit) -> Counted:
        batch, serials = transit.lines[0]
        shipped = len(serials)
        got = shipped - world.rng.randint(1, 2) if i % 2 == 0 else shipped + world.rng.randint(1, 3)
        truth.expect("quantity_drift", f"{transit.shipment_id}|{batch.gtin}|{batch.lot}")
        return {batch.key: max(got, 0)}

    replenish_once(world, p, late_share=0.0, miscount=counted)


def _velocity(
    world: World, truth: GroundTruth, pharmacies: list[Site], i: int, end: datetime
) -> None:
    """One code scanned at P, at Q (which holds the batch too) and at P again within a day."""
    found = _pair(world, pharmacies, 60, 1100)
    if found is None:
        return
    p, q, batch = found
    serial = world.rng.choice([s for s in world.stock(p.msp_id, batch) if s not in world.reserved])
    world.reserved.add(serial)
    world.desk_scan(p, batch, serial)
    _later(world, world.rng.uniform(6, 9), lambda: world.desk_scan(q, batch, serial))
    _later(world, world.rng.uniform(14, 20), lambda: world.desk_scan(p, batch, serial))
    truth.copied_code("scan_velocity", f"{batch.gtin}|{serial}")
    truth.allow("custody_without_shipment", f"{q.msp_id}|{batch.gtin}|{batch.lot}")


def _travel(
    world: World, truth: GroundTruth, pharmacies: list[Site], i: int, end: datetime
) -> None:
    """One code scanned at P and, an hour or two later, at Q 900+ km away."""
    found = _pair(world, pharmacies, 900, 5000)
    if found is None:
        return
    p, q, batch = found
    serial = world.rng.choice([s for s in world.stock(p.msp_id, batch) if s not in world.reserved])
    world.reserved.add(serial)
    world.desk_scan(p, batch, serial)
    _later(world, world.rng.uniform(0.5, 2), lambda: world.desk_scan(q, batch, serial))
    truth.copied_code("impossible_travel", f"{batch.gtin}|{serial}")
    truth.allow("custody_without_shipment", f"{q.msp_id}|{batch.gtin}|{batch.lot}")


def _in_transit(
    world: World, truth: GroundTruth, pharmacies: list[Site], i: int, end: datetime
) -> None:
    """A delivery that never arrives, or arrives after nine to thirteen days."""
    p = world.rng.choice(pharmacies)
    supplier = world.sites[p.supplier]
    held = [b for b in world.holdings(supplier.msp_id) if (p.msp_id, b.key) not in world.withheld]
    if not held:
        return
    batch = world.rng.choice(held)
    transit = world.ship(supplier, p, [(batch, world.rng.randint(2, 5))])
    if transit is None:
        return
    truth.expect("in_transit_too_long", transit.shipment_id)
    if i % 2 == 1:
        _later(world, 24 * world.rng.uniform(9, 13), lambda: world.receive(transit))


def _recall(
    world: World, truth: GroundTruth, pharmacies: list[Site], k: int, end: datetime
) -> None:
    """The batch most pharmacies hold is recalled. `k` pharmacies keep scanning (trying to
    dispense) its packs over the next days; every other holder scans what it has and sends it
    back to the manufacturer (recall handling, the noise)."""
    holders = {
        b.key: [p for p in pharmacies if world.stock(p.msp_id, b)]
        for b in world.batches
        # not a batch whose packs a velocity or travel plant is still scanning
        if not any(s in world.reserved for p in pharmacies for s in world.stock(p.msp_id, b))
    }
    batch = world.batch(max(sorted(holders), key=lambda key: len(holders[key])))
    maker = world.sites[batch.manufacturer]
    world.recalled.add(batch.key)
    batches.change_batch_status(
        world.rt,
        actor=maker.actor,
        gtin=batch.gtin,
        lot=batch.lot,
        status="recalled",
        reason="Out-of-specification dissolution results",
    )
    keepers = world.rng.sample(holders[batch.key], min(k, len(holders[batch.key])))
    for p in keepers:
        world.withheld.add((p.msp_id, batch.key))
        truth.expect("recalled_in_use", f"{batch.gtin}|{batch.lot}|{p.msp_id}")
        for _ in range(world.rng.randint(1, 2)):
            moment = world.now() + timedelta(days=world.rng.uniform(0.5, 4))
            if moment < end:
                world.at(moment, partial(_scan_on_shelf, world, p, batch))
    for site in world.sites.values():
        if site.role in ("distributor", "pharmacy") and world.stock(site.msp_id, batch):
            send_back_recalled(world, site, batch)


def _scan_on_shelf(world: World, p: Site, batch: BatchRef) -> None:
    stock = world.stock(p.msp_id, batch)
    if stock:
        world.desk_scan(p, batch, world.rng.choice(stock))
