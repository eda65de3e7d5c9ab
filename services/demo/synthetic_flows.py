"""The ordinary movements of goods in the synthetic chain: deliveries, replenishment, returns.

Shared by the everyday flow (`services.demo.synthetic`) and the plants (`synthetic_plants`),
which bend one delivery (a miscounted receipt, a lost lorry) and reuse the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from services.demo.synthetic_world import BatchRef, Site, Transit, World

Counted = dict[tuple[str, str], int]


def deliver(
    world: World, transit: Transit, *, late_share: float, counted: Counted | None = None
) -> None:
    """The lorry arrives after a plausible journey; goods-in scans; the receipt is booked then
    or (late receipts) one to four days later, never past six days on the road."""
    arrival = world.now() + timedelta(hours=world.travel_hours(transit.sender, transit.receiver))
    booked = arrival
    if world.rng.random() < late_share:
        booked = min(
            arrival + timedelta(days=world.rng.uniform(1, 4)),
            world.now() + timedelta(days=6),
        )
        world.note("noise: receipt booked late")
    receiver = transit.receiver

    def goods_in() -> None:
        # The packs checked at goods-out are checked again on arrival (before a late receipt
        # is booked they give NOT_RECEIVED).
        for batch, serial in transit.scanned:
            world.scan(receiver, batch, serial)

    def book() -> None:
        world.receive(transit, counted)
        for batch, _serials in transit.lines:
            if batch.key in world.recalled:
                send_back_recalled(world, receiver, batch)
        if receiver.role == "pharmacy" and transit.scanned and world.rng.random() < 0.5:
            batch, serial = transit.scanned[0]
            world.at(
                world.now() + timedelta(hours=world.rng.uniform(0.5, 5)),
                lambda: _dispense_this(world, receiver, batch, serial),
            )

    world.at(arrival, goods_in)
    world.at(max(booked, arrival + timedelta(seconds=1)), book)


def _dispense_this(world: World, site: Site, batch: BatchRef, serial: str) -> None:
    """A fast mover: the pack scanned at goods-out and goods-in leaves over the counter."""
    stock = world.stock(site.msp_id, batch)
    if serial in stock and serial not in world.reserved and batch.key not in world.recalled:
        stock.remove(serial)
        world.dispense(site, batch, serial)
        world.note("noise: fast mover (goods-out, goods-in, counter)")


def replenish_once(
    world: World,
    pharmacy: Site,
    *,
    late_share: float,
    miscount: Callable[[Transit], Counted] | None = None,
) -> Transit | None:
    """One delivery to a pharmacy from its supplier: up to three batches, three to seven packs
    each, never a batch withheld from it (a plant needs that pharmacy never to get it)."""
    supplier = world.sites[pharmacy.supplier]
    choices = [
        b for b in world.holdings(supplier.msp_id) if (pharmacy.msp_id, b.key) not in world.withheld
    ]
    if not choices:
        return None
    chosen = world.rng.sample(choices, min(len(choices), world.rng.randint(1, 3)))
    lines = [(b, world.rng.randint(3, 7)) for b in chosen]
    transit = world.ship(supplier, pharmacy, lines, dispatch_scans=world.rng.randint(0, 2))
    if transit is not None:
        counted = miscount(transit) if miscount else None
        deliver(world, transit, late_share=0.0 if counted else late_share, counted=counted)
    return transit


def send_back_recalled(world: World, site: Site, batch: BatchRef) -> None:
    """Recall handling: within hours the holder scans a pack or two of the recalled batch and
    returns its whole stock to the manufacturer, who scans a returned pack on arrival. Holders
    a plant keeps on the recalled stock (`withheld`) do not."""
    if (site.msp_id, batch.key) in world.withheld or site.msp_id == batch.manufacturer:
        return
    maker = world.sites[batch.manufacturer]

    def handle() -> None:
        stock = world.stock(site.msp_id, batch)
        if not stock:
            return
        for serial in world.rng.sample(stock, min(len(stock), world.rng.randint(1, 2))):
            world.scan(site, batch, serial)
        world.at(world.now() + timedelta(minutes=world.rng.uniform(20, 180)), ship_back)

    def ship_back() -> None:
        stock = world.stock(site.msp_id, batch)
        transit = world.ship(site, maker, [(batch, len(stock))]) if stock else None
        if transit is None:
            return
        world.note("noise: recall return")
        arrival = world.now() + timedelta(hours=world.travel_hours(site, maker))

        def arrive() -> None:
            world.receive(transit)
            world.scan(maker, batch, transit.lines[0][1][0])

        world.at(arrival, arrive)

    world.at(world.now() + timedelta(hours=world.rng.uniform(1, 8)), handle)
