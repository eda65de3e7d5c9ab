"""A seeded synthetic supply chain with realistic noise and planted counterfeit patterns.

Three manufacturers (Darmstadt, Lisbon, Copenhagen) supply three wholesalers (Frankfurt, Lyon,
Milan) in partial shipments; Frankfurt also feeds a Hamburg depot, so northern pharmacies are two
hops away. Up to sixteen pharmacies in real European cities are replenished every few days and
dispense every day. Everything goes through the real contract and domain services; every scan
through `verification.verify`. Ledger writes stay at a couple of thousand (dispenses are the
bulk), scans at a few thousand.

The noise a working chain makes: re-scans of a dispensed pack within the tolerance, an undone
dispense, goods-out and goods-in scans (a pack scanned at the wholesaler, on arrival and at the
counter within a day), receipts booked days late (scans meanwhile see NOT_RECEIVED), partial and
multi-line shipments, two-hop deliveries, desk scanners that drop the group separator, lorry
journeys across Europe, and recall handling (holders scan recalled packs and send them back to
the manufacturer). The planted patterns are in `synthetic_plants`; `generate` returns the chain
with its ground truth. Same seed, same chain.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from services.config import Settings
from services.demo.clock import SimulatedClock
from services.demo.network import with_check_digit
from services.demo.synthetic_flows import deliver, replenish_once
from services.demo.synthetic_plants import GroundTruth, plant_everything
from services.demo.synthetic_world import (
    DEPOT,
    MANUFACTURERS,
    PHARMACIES,
    REGULATOR,
    START,
    WHOLESALERS,
    BatchRef,
    Site,
    World,
)
from services.domain import batches, organizations, products
from services.runtime import Runtime

DayHook = Callable[[Runtime, int], None]


@dataclass(frozen=True)
class SyntheticConfig:
    seed: int = 1
    days: int = 28
    pharmacies: int = 16
    packs_per_batch: int = 400
    plants_per_rule: int = 4
    gs_dropping_pharmacies: int = 2
    late_receipt_share: float = 0.2

    def __post_init__(self) -> None:
        if not 14 <= self.days <= 120:
            raise ValueError("days must be 14..120: the plants need a fortnight of history")
        if not 6 <= self.pharmacies <= len(PHARMACIES):
            raise ValueError(f"pharmacies must be 6..{len(PHARMACIES)}")


@dataclass
class SyntheticChain:
    rt: Runtime
    config: SyntheticConfig
    truth: GroundTruth
    counts: dict[str, int] = field(default_factory=dict)  # scans, dispenses, noise kinds…
    end: datetime = START


def generate(
    data_dir: Path, config: SyntheticConfig | None = None, *, on_day: DayHook | None = None
) -> SyntheticChain:
    """Build the chain into a fresh data directory; `on_day(rt, day)` runs after each day."""
    config = config or SyntheticConfig()
    clock = SimulatedClock()
    clock.set(START)
    rt = Runtime(Settings(data_dir=data_dir, ledger_sync="normal"), clock=clock)
    world = World(rt, clock, random.Random(config.seed), config.seed)
    end = START + timedelta(days=config.days)
    pharmacies = _register(world, config)
    _stock_the_chain(world, config, end)
    for pharmacy in pharmacies:
        _replenish(world, pharmacy, config, end)
        _dispense_daily(world, pharmacy, config)
    truth = plant_everything(world, config.plants_per_rule, pharmacies, end)
    if on_day is not None:
        for day in range(config.days):
            world.at(START + timedelta(days=day + 1, minutes=-1), partial(on_day, rt, day))
    world.run(until=end)
    clock.move_to(end)
    return SyntheticChain(rt, config, truth, dict(world.counts), end)


# -- who and what --------------------------------------------------------------------------


def _register(world: World, config: SyntheticConfig) -> list[Site]:
    rt, rng = world.rt, world.rng
    organizations.bootstrap_regulator(
        rt, msp_id=REGULATOR.msp_id, name=REGULATOR.name, gln=REGULATOR.gln
    )
    pharmacies = list(PHARMACIES[: config.pharmacies])
    for site in [*MANUFACTURERS, *WHOLESALERS, DEPOT, *pharmacies]:
        organizations.register_organization(
            rt,
            actor=REGULATOR.actor,
            msp_id=site.msp_id,
            name=site.name,
            role=site.role,
            gln=site.gln,
            latitude=site.latitude,
            longitude=site.longitude,
        )
        world.sites[site.msp_id] = site
    world.gs_dropping = {p.msp_id for p in rng.sample(pharmacies, config.gs_dropping_pharmacies)}
    used: set[str] = set()
    names = ("Amlodipine 5 mg", "Metformin 850 mg", "Omeprazole 20 mg", "Sertraline 50 mg")
    for m, maker in enumerate(MANUFACTURERS):
        for p in range(2):
            gtin = with_check_digit(f"0{maker.gln_digits[:3]}200{m}{p}{config.seed % 10000:04d}")
            products.register_product(
                rt, actor=maker.actor, gtin=gtin, name=names[(m + p) % len(names)], form="tablet"
            )
            batch = BatchRef(
                gtin, f"B{m}{p}-{config.seed}", (START + timedelta(days=600)).date(), maker.msp_id
            )
            serials = world.serials(config.packs_per_batch, used)
            batches.register_batch(
                rt,
                actor=maker.actor,
                gtin=gtin,
                lot=batch.lot,
                expiry=batch.expiry,
                serials=serials,
            )
            world.batches.append(batch)
            world.stock(maker.msp_id, batch).extend(serials)
    return pharmacies


# -- the ordinary flow of goods ------------------------------------------------------------


def _send(
    world: World,
    maker: Site,
    wholesaler: Site,
    lines: list[tuple[BatchRef, int]],
    config: SyntheticConfig,
) -> None:
    """A manufacturer's partial shipment of its batches (recalled ones stay home)."""
    movable = [(b, n) for b, n in lines if b.key not in world.recalled]
    transit = world.ship(maker, wholesaler, movable, dispatch_scans=1)
    if transit is not None:
        deliver(world, transit, late_share=config.late_receipt_share)


def _stock_the_chain(world: World, config: SyntheticConfig, end: datetime) -> None:
    """Each manufacturer ships both its batches to every wholesaler in two partial shipments
    (day 0 and day 9); Frankfurt passes part of its stock on to the Hamburg depot."""
    share = config.packs_per_batch // 4  # a quarter stays at the manufacturer

    for maker in MANUFACTURERS:
        own = [b for b in world.batches if b.manufacturer == maker.msp_id]
        for wholesaler in WHOLESALERS:
            for day, part in ((0.1, 0.6), (9.2, 0.4)):
                moment = START + timedelta(days=day + world.rng.uniform(0, 0.3))
                counts = [(b, int(share * part)) for b in own]
                world.at(moment, partial(_send, world, maker, wholesaler, counts, config))
    frankfurt = WHOLESALERS[0]
    for day in (2.3, 11.4, 18.3):

        def to_depot() -> None:
            lines = [
                (b, len(world.stock(frankfurt.msp_id, b)) * 2 // 5)
                for b in world.holdings(frankfurt.msp_id)
            ]
            transit = world.ship(frankfurt, DEPOT, lines, dispatch_scans=1)
            if transit is not None:
                deliver(world, transit, late_share=0.0)

        if START + timedelta(days=day) < end:
            world.at(START + timedelta(days=day), to_depot)


def _replenish(world: World, pharmacy: Site, config: SyntheticConfig, end: datetime) -> None:
    day = 1.0 + world.rng.uniform(0, 1.5) + (1.0 if pharmacy.supplier == DEPOT.msp_id else 0)
    while START + timedelta(days=day) < end:
        moment = START + timedelta(days=day)
        world.at(moment, lambda: _replenish_if_any(world, pharmacy, config.late_receipt_share))
        day += world.rng.uniform(2, 4)


def _replenish_if_any(world: World, pharmacy: Site, late_share: float) -> None:
    replenish_once(world, pharmacy, late_share=late_share)


def _dispense_daily(world: World, pharmacy: Site, config: SyntheticConfig) -> None:
    for day in range(1, config.days):
        for _ in range(world.rng.randint(1, 4)):
            moment = START + timedelta(days=day, hours=world.rng.uniform(1, 11.5))
            world.at(moment, lambda: _dispense_any(world, pharmacy))


def _dispense_any(world: World, pharmacy: Site) -> None:
    held = world.holdings(pharmacy.msp_id)
    if not held:
        return
    batch = world.rng.choice(held)
    taken = world.take(pharmacy.msp_id, batch, 1)
    if taken:
        world.dispense(pharmacy, batch, taken[0])
