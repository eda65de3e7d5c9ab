"""The demo scenario: 120 days of a small European supply chain, with planted problems.

The Runtime's clock is a `SimulatedClock` set to about 120 days ago; the scenario moves it forward
event by event (registrations, shipments and receipts, pharmacists verifying and dispensing) and
finally to the real present, so an API served afterwards on the real clock sees the same world.

Who takes part and how goods flow is in `network`; the problems planted for verification to catch
(a cloned serial, a recalled batch, custody without shipment, an expired pack) are in `planted`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from services.auth.tokens import create_token
from services.config import Settings
from services.demo.clock import SimulatedClock
from services.demo.network import (
    BATCHES,
    FIRST_LEG,
    PARTICIPANTS,
    PRODUCTS,
    RECALL_DAY,
    REGULATOR,
    SECOND_LEG,
    Participant,
)
from services.demo.planted import plan_planted_problems
from services.demo.result import (
    DemoIncident,
    DemoOrganization,
    DemoResult,
    DemoSample,
    DemoUser,
)
from services.domain import batches, organizations, packs, products, shipments
from services.domain.verification import verify
from services.errors import PharmaTraceError
from services.gs1 import PackIdentifier, to_digital_link, to_element_string, to_human_readable
from services.readmodel.tables import Organization
from services.runtime import Actor, Runtime
from services.serials.generate import generate_serials

DemoProgress = Callable[[str, int, int], None]
"""Called as (step, done, total) while the demo is built."""

TIMELINE_DAYS = 120
MIN_PACKS_PER_BATCH = 20
MAX_PACKS_PER_BATCH = 1_000_000
DISPENSES_PER_DELIVERY = 6  # routine dispenses per (pharmacy, batch): enough to look lived-in


class DemoError(RuntimeError):
    """The demo cannot be built here (wrong clock, non-empty data) or went off its script."""


def demo_runtime(settings: Settings) -> Runtime:
    """A Runtime on a `SimulatedClock`, as `build_demo` needs."""
    return Runtime(settings, clock=SimulatedClock())


def build_demo(
    runtime: Runtime, *, packs_per_batch: int = 2000, progress: DemoProgress | None = None
) -> DemoResult:
    """Build the demo world into an empty `runtime` (whose clock must be a `SimulatedClock`)."""
    if not isinstance(runtime.clock, SimulatedClock):
        raise DemoError("build_demo needs a Runtime created with clock=SimulatedClock().")
    if not MIN_PACKS_PER_BATCH <= packs_per_batch <= MAX_PACKS_PER_BATCH:
        raise DemoError(
            f"packs_per_batch must be between {MIN_PACKS_PER_BATCH} and {MAX_PACKS_PER_BATCH}."
        )
    with runtime.session() as session:
        if session.get(Organization, REGULATOR.msp_id) is not None:
            raise DemoError("The data directory already holds a network; reset it first.")
    return Scenario(runtime, runtime.clock, packs_per_batch, progress).run()


@dataclass(order=True)
class _Event:
    day: float
    seq: int
    action: Callable[[], None] = field(compare=False)


@dataclass
class Stock:
    """A batch's serials, handed out so that routine dispenses never touch the sample packs."""

    gtin: str
    lot: str
    expiry: date
    serials: list[str]  # still free, in random order
    registered: frozenset[str]

    def take(self) -> str:
        return self.serials.pop()

    def code(self, serial: str) -> PackIdentifier:
        return PackIdentifier(gtin=self.gtin, lot=self.lot, serial=serial, expiry=self.expiry)


class Scenario:
    """The demo's story, told into one Runtime; `planted` adds the problems."""

    def __init__(
        self,
        rt: Runtime,
        clock: SimulatedClock,
        packs_per_batch: int,
        progress: DemoProgress | None,
    ) -> None:
        self.rt = rt
        self.clock = clock
        self.packs = packs_per_batch
        self.progress = progress or (lambda _step, _done, _total: None)
        real_now = datetime.now(UTC)
        self.start = (real_now - timedelta(days=TIMELINE_DAYS)).replace(
            hour=7, minute=0, second=0, microsecond=0
        )
        clock.set(self.start)
        self.by_key = {p.key: p for p in (REGULATOR, *PARTICIPANTS)}
        self.stock: dict[str, Stock] = {}
        self.events: list[_Event] = []
        self.incidents: list[DemoIncident] = []
        self.samples: list[DemoSample] = []
        self.counts = {"shipments": 0, "dispensed": 0, "scans": 0, "refused": 0}
        self.random = random.Random(20240501)

    # -- helpers -----------------------------------------------------------------------------
    def at(self, day: float) -> datetime:
        return self.start + timedelta(days=day)

    def actor(self, key: str) -> Actor:
        p = self.by_key[key]
        return Actor(msp_id=p.msp_id, role=p.role, user=p.user, location=p.gln)

    def schedule(self, day: float, action: Callable[[], None]) -> None:
        self.events.append(_Event(day, len(self.events), action))

    def share(self, fraction: float) -> int:
        # Rounded down, so the shares a holder ships on never add up to more than it received.
        return max(1, int(self.packs * fraction))

    # -- the story ---------------------------------------------------------------------------
    def run(self) -> DemoResult:
        self.register_network()
        self.register_batches()
        self.plan_distribution()
        plan_planted_problems(self)
        self.play_timeline()
        self.clock.move_to(datetime.now(UTC))
        users = self.create_users()
        return DemoResult(
            started_at=self.start.isoformat(),
            ended_at=self.clock.now.isoformat(),
            organizations=[_organization(p) for p in (REGULATOR, *PARTICIPANTS)],
            users=users,
            samples=self.samples,
            incidents=self.incidents,
            counts={
                "organizations": len(PARTICIPANTS) + 1,
                "products": len(PRODUCTS),
                "batches": len(BATCHES),
                "packs": self.packs * len(BATCHES),
                **self.counts,
                "blocks": self.rt.ledger.height(),
            },
        )

    def register_network(self) -> None:
        total = 1 + len(PARTICIPANTS) + len(PRODUCTS)
        organizations.bootstrap_regulator(
            self.rt,
            msp_id=REGULATOR.msp_id,
            name=REGULATOR.name,
            gln=REGULATOR.gln,
            address=REGULATOR.address,
            country=REGULATOR.country,
            latitude=REGULATOR.latitude,
            longitude=REGULATOR.longitude,
        )
        regulator = self.actor(REGULATOR.key)
        for done, p in enumerate(PARTICIPANTS, start=1):
            self.progress("network", done, total)
            self.clock.move_to(self.at(0.05 * done))
            organizations.register_organization(
                self.rt,
                actor=regulator,
                msp_id=p.msp_id,
                name=p.name,
                role=p.role,
                gln=p.gln,
                licence_number=f"{p.country}-{p.role[:3].upper()}-{p.gln_digits[-6:]}",
                address=p.address,
                country=p.country,
                latitude=p.latitude,
                longitude=p.longitude,
            )
        for done, product in enumerate(PRODUCTS, start=len(PARTICIPANTS) + 1):
            self.progress("network", done, total)
            self.clock.move_to(self.at(1 + 0.02 * done))
            products.register_product(
                self.rt,
                actor=self.actor(product.maker),
                gtin=product.gtin,
                name=product.name,
                form=product.form,
                strength=product.strength,
                pack_size=product.pack_size,
            )
        self.progress("network", total, total)

    def register_batches(self) -> None:
        product_by_key = {p.key: p for p in PRODUCTS}
        for done, spec in enumerate(BATCHES):
            self.progress("batches", done, len(BATCHES))
            product = product_by_key[spec.product]
            registered = self.at(spec.registered_day)
            self.clock.move_to(registered)
            serials = generate_serials(self.packs)
            expiry = (registered + timedelta(days=spec.shelf_life_days)).date()
            batches.register_batch(
                self.rt,
                actor=self.actor(product.maker),
                gtin=product.gtin,
                lot=spec.lot,
                expiry=expiry,
                serials=serials,
                manufactured=(registered - timedelta(days=12)).date(),
            )
            shuffled = list(serials)
            self.random.shuffle(shuffled)
            self.stock[spec.key] = Stock(
                product.gtin, spec.lot, expiry, shuffled, frozenset(serials)
            )
        self.progress("batches", len(BATCHES), len(BATCHES))

    # -- distribution and routine dispensing --------------------------------------------------
    def plan_distribution(self) -> None:
        for number, (day, sender, receiver, lines) in enumerate(FIRST_LEG + SECOND_LEG):
            self.plan_shipment(number, day, sender, receiver, lines, received=True)
            if self.by_key[receiver].role == "pharmacy":
                for batch_key, fraction in lines:
                    self.plan_dispenses(receiver, batch_key, day + 2, self.share(fraction))

    def plan_shipment(
        self,
        number: int,
        day: float,
        sender: str,
        receiver: str,
        lines: list[tuple[str, float]],
        *,
        received: bool,
    ) -> None:
        shipment_id = shipments.shipment_id_for(self.by_key[sender].msp_id, f"demo-{number}")
        requests = [
            shipments.ShipmentLineRequest(
                gtin=self.stock[key].gtin, lot=self.stock[key].lot, quantity=self.share(fraction)
            )
            for key, fraction in lines
        ]

        def ship() -> None:
            shipments.ship(
                self.rt,
                actor=self.actor(sender),
                receiver=self.by_key[receiver].msp_id,
                lines=requests,
                shipment_id=shipment_id,
                to_location=self.by_key[receiver].gln,
            )
            self.counts["shipments"] += 1

        def receive() -> None:
            shipments.receive(self.rt, actor=self.actor(receiver), shipment_id=shipment_id)

        self.schedule(day, ship)
        if received:
            self.schedule(day + 0.9, receive)

    def plan_dispenses(self, pharmacy: str, batch_key: str, first_day: float, held: int) -> None:
        """A few patients a month get a pack of this batch, while it is still sellable."""
        spec = next(b for b in BATCHES if b.key == batch_key)
        last_day = min(
            110.0,
            spec.registered_day + spec.shelf_life_days - 4,
            RECALL_DAY - 3 if batch_key == "sal" else TIMELINE_DAYS,
        )
        count = min(held // 2, DISPENSES_PER_DELIVERY)
        for n in range(count):
            day = first_day + (last_day - first_day) * (n + 0.5) / count
            jitter = self.random.uniform(-0.1, 0.1)
            self.schedule(day + jitter, lambda: self.dispense(pharmacy, batch_key))

    def dispense(self, pharmacy: str, batch_key: str, pack: PackIdentifier | None = None) -> None:
        """A pharmacist scans a pack (green expected) and supplies it to a patient."""
        stock = self.stock[batch_key]
        pack = pack or stock.code(stock.take())
        code = to_element_string(pack)
        actor = self.actor(pharmacy)
        verdict = verify(self.rt, actor=actor, code=code)
        self.counts["scans"] += 1
        if verdict.result != "OK":
            raise DemoError(
                f"Routine scan of {pack.lot}/{pack.serial} at {actor.msp_id} gave "
                f"{verdict.result}: {'; '.join(verdict.reasons)}"
            )
        packs.decommission(self.rt, actor=actor, code=code)
        self.counts["dispensed"] += 1

    def play_timeline(self) -> None:
        ordered = sorted(self.events)
        for done, event in enumerate(ordered):
            if done % 5 == 0:
                self.progress("supply chain", done, len(ordered))
            self.clock.move_to(self.at(event.day))
            event.action()
        self.progress("supply chain", len(ordered), len(ordered))

    # -- helpers of the planted problems ---------------------------------------------------------
    def reserve(self, batch_key: str) -> PackIdentifier:
        """A pack set aside for a sample: routine dispenses will never pick it."""
        stock = self.stock[batch_key]
        return stock.code(stock.serials.pop(0))

    def scan_and_try_dispense(self, pharmacy: str, pack: PackIdentifier) -> None:
        """A pharmacist scans a problem pack, then tries to dispense it anyway."""
        actor = self.actor(pharmacy)
        code = to_element_string(pack)
        verify(self.rt, actor=actor, code=code)
        self.counts["scans"] += 1
        try:
            packs.decommission(self.rt, actor=actor, code=code)
        except PharmaTraceError as refused:
            self.counts["refused"] += 1
            self.incidents.append(
                DemoIncident(
                    at=self.clock.now.isoformat(timespec="seconds"),
                    msp_id=actor.msp_id,
                    action=f"dispense {pack.lot}/{pack.serial}",
                    code=code,
                    error=refused.code,
                    message=refused.message,
                )
            )
        else:
            raise DemoError(f"{actor.msp_id} could dispense {pack.serial}: the contract let it.")

    def add_sample(
        self, label: str, pack: PackIdentifier, result: str, light: str, scanner: str
    ) -> None:
        p = self.by_key[scanner]
        self.samples.append(
            DemoSample(
                label=label,
                element_string=to_element_string(pack),
                digital_link=to_digital_link(pack),
                human_readable=to_human_readable(pack),
                expected_result=result,
                expected_light=light,
                scan_as=p.msp_id,
                user=p.user,
            )
        )

    # -- access --------------------------------------------------------------------------------
    def create_users(self) -> list[DemoUser]:
        users = []
        everyone = (REGULATOR, *PARTICIPANTS)
        for done, p in enumerate(everyone):
            self.progress("api tokens", done, len(everyone))
            token = create_token(self.rt, user=p.user, msp_id=p.msp_id)
            users.append(DemoUser(user=p.user, msp_id=p.msp_id, role=p.role, token=token))
        self.progress("api tokens", len(everyone), len(everyone))
        return users


def _organization(p: Participant) -> DemoOrganization:
    return DemoOrganization(
        msp_id=p.msp_id,
        name=p.name,
        role=p.role,
        gln=p.gln,
        address=p.address,
        city=p.city,
        country=p.country,
        latitude=p.latitude,
        longitude=p.longitude,
    )


__all__ = ["DemoError", "DemoProgress", "build_demo", "demo_runtime"]
