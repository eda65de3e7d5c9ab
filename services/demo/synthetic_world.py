"""The world a synthetic supply chain is simulated in: real places, and the acts of its parties.

`World` keeps what the ledger cannot know (which physical packs sit on which shelf or lorry) and
performs every act through the real domain services: registrations, shipments and receipts by the
contract, dispenses as a pharmacist does them (scan, then decommission), and every scan through
`services.domain.verification.verify`, so the scan log is exactly what production records. Acts
are queued by time and run in order on a `SimulatedClock`; `services.demo.synthetic` decides what
happens, `services.demo.synthetic_plants` what goes wrong.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial

from services.demo.clock import SimulatedClock
from services.demo.network import with_check_digit
from services.domain import packs as packs_service
from services.domain import shipments, verification
from services.gs1 import PackIdentifier, to_element_string
from services.runtime import Actor, Runtime

START = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
SERIAL_SYMBOLS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
LORRY_KMH = 65.0  # door to door, breaks included
AIR_FREIGHT_KM = 1200.0  # manufacturers fly shipments farther than this, now and then


@dataclass(frozen=True)
class Site:
    """An organization of the synthetic chain at a real place (invented company, real city)."""

    msp_id: str
    role: str
    name: str
    city: str
    latitude: float
    longitude: float
    gln_digits: str
    supplier: str = ""  # the distributor that delivers to it (pharmacies, the depot)

    @property
    def gln(self) -> str:
        return with_check_digit(self.gln_digits)

    @property
    def actor(self) -> Actor:
        return Actor(self.msp_id, self.role, f"staff@{self.msp_id}", self.gln)


MANUFACTURERS = (
    Site(
        "RheinwerkMSP",
        "manufacturer",
        "Rheinwerk Pharma",
        "Darmstadt",
        49.873,
        8.651,
        "400200000001",
    ),
    Site("LusofarmaMSP", "manufacturer", "Lusofarma", "Lisbon", 38.722, -9.139, "560200000002"),
    Site(
        "NordiskMSP",
        "manufacturer",
        "Nordisk Generika",
        "Copenhagen",
        55.676,
        12.568,
        "570200000003",
    ),
)
WHOLESALERS = (
    Site(
        "MainLogMSP",
        "distributor",
        "Main Pharma Logistik",
        "Frankfurt",
        50.111,
        8.682,
        "400200000010",
    ),
    Site("RhoneMSP", "distributor", "Rhône Distribution", "Lyon", 45.764, 4.836, "300200000011"),
    Site("LombardaMSP", "distributor", "Lombarda Farmaci", "Milan", 45.464, 9.190, "800200000012"),
)
# A regional depot: goods reach northern German pharmacies in two hops.
DEPOT = Site(
    "NordDepotMSP",
    "distributor",
    "Nord Depot",
    "Hamburg",
    53.551,
    9.994,
    "400200000013",
    "MainLogMSP",
)
PHARMACIES = (
    Site(
        "ApoMitteMSP",
        "pharmacy",
        "Apotheke Mitte",
        "Berlin",
        52.520,
        13.405,
        "400200000101",
        "NordDepotMSP",
    ),
    Site(
        "AlsterMSP",
        "pharmacy",
        "Alster-Apotheke",
        "Hamburg",
        53.561,
        10.010,
        "400200000102",
        "NordDepotMSP",
    ),
    Site(
        "ParisSolMSP",
        "pharmacy",
        "Pharmacie du Marais",
        "Paris",
        48.857,
        2.352,
        "300200000103",
        "RhoneMSP",
    ),
    Site(
        "RomaMSP",
        "pharmacy",
        "Farmacia Trastevere",
        "Rome",
        41.903,
        12.496,
        "800200000104",
        "LombardaMSP",
    ),
    Site(
        "IsarMSP",
        "pharmacy",
        "Isar-Apotheke",
        "Munich",
        48.135,
        11.582,
        "400200000105",
        "MainLogMSP",
    ),
    Site(
        "MadridMSP",
        "pharmacy",
        "Farmacia Sol",
        "Madrid",
        40.417,
        -3.704,
        "840200000106",
        "RhoneMSP",
    ),
    Site(
        "DomMSP", "pharmacy", "Dom-Apotheke", "Cologne", 50.938, 6.960, "400200000107", "MainLogMSP"
    ),
    Site(
        "WienMSP",
        "pharmacy",
        "Apotheke am Graben",
        "Vienna",
        48.208,
        16.374,
        "900200000108",
        "LombardaMSP",
    ),
    Site(
        "VieuxPortMSP",
        "pharmacy",
        "Pharmacie du Vieux-Port",
        "Marseille",
        43.297,
        5.370,
        "300200000109",
        "RhoneMSP",
    ),
    Site(
        "DamMSP",
        "pharmacy",
        "Apotheek De Dam",
        "Amsterdam",
        52.368,
        4.904,
        "870200000110",
        "MainLogMSP",
    ),
    Site(
        "RamblaMSP",
        "pharmacy",
        "Farmàcia Rambla",
        "Barcelona",
        41.387,
        2.169,
        "840200000111",
        "RhoneMSP",
    ),
    Site(
        "MoleMSP",
        "pharmacy",
        "Farmacia della Mole",
        "Turin",
        45.070,
        7.687,
        "800200000112",
        "LombardaMSP",
    ),
    Site(
        "SablonMSP",
        "pharmacy",
        "Pharmacie du Sablon",
        "Brussels",
        50.850,
        4.352,
        "540200000113",
        "MainLogMSP",
    ),
    Site(
        "WeserMSP",
        "pharmacy",
        "Weser-Apotheke",
        "Bremen",
        53.079,
        8.802,
        "400200000114",
        "NordDepotMSP",
    ),
    Site(
        "VltavaMSP",
        "pharmacy",
        "Lékárna Vltava",
        "Prague",
        50.076,
        14.438,
        "859200000115",
        "MainLogMSP",
    ),
    Site(
        "WislaMSP",
        "pharmacy",
        "Apteka Wisła",
        "Warsaw",
        52.230,
        21.012,
        "590200000116",
        "MainLogMSP",
    ),
)
REGULATOR = Site(
    "EuRegMSP", "regulator", "Medicines Agency", "Amsterdam", 52.339, 4.888, "870200000000"
)


def distance_km(a: Site, b: Site) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


@dataclass(frozen=True)
class BatchRef:
    gtin: str
    lot: str
    expiry: date
    manufacturer: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.gtin, self.lot)

    def code(self, serial: str, *, separators: bool = True) -> str:
        """The element string its DataMatrix carries; a misconfigured scanner drops the GS."""
        text = to_element_string(
            PackIdentifier(gtin=self.gtin, lot=self.lot, serial=serial, expiry=self.expiry)
        )
        return text if separators else text.replace("\x1d", "")


@dataclass
class Transit:
    """A shipment on the road: its ledger id and the physical packs it carries."""

    shipment_id: str
    sender: Site
    receiver: Site
    lines: list[tuple[BatchRef, list[str]]]
    scanned: list[tuple[BatchRef, str]]  # packs scanned at goods-out


@dataclass
class World:
    """The ledger-backed world plus the physical facts of the simulation, acted on in time order."""

    rt: Runtime
    clock: SimulatedClock
    rng: random.Random
    seed: int
    sites: dict[str, Site] = field(default_factory=dict)
    batches: list[BatchRef] = field(default_factory=list)
    shelf: dict[str, dict[tuple[str, str], list[str]]] = field(default_factory=dict)
    received_ever: set[tuple[str, tuple[str, str]]] = field(default_factory=set)  # (msp, batch)
    in_transit: dict[str, Transit] = field(default_factory=dict)
    recalled: set[tuple[str, str]] = field(default_factory=set)
    withheld: set[tuple[str, tuple[str, str]]] = field(default_factory=set)  # never ship these
    gs_dropping: set[str] = field(default_factory=set)  # pharmacies whose desk scanner drops GS
    reserved: set[str] = field(default_factory=set)  # packs a plant needs where they are
    counts: dict[str, int] = field(default_factory=dict)
    _queue: list[tuple[datetime, int, Callable[[], object]]] = field(default_factory=list)
    _seq: int = 0
    _shipments: int = 0

    # -- time --------------------------------------------------------------------------------

    def at(self, moment: datetime, act: Callable[[], object]) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (moment, self._seq, act))

    def run(self, until: datetime) -> None:
        """Every queued act up to `until`, in time order (acts may queue more acts)."""
        while self._queue and self._queue[0][0] < until:
            moment, _seq, act = heapq.heappop(self._queue)
            self.clock.move_to(moment)
            act()

    def now(self) -> datetime:
        return self.clock.now

    def note(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    # -- physical stock ----------------------------------------------------------------------

    def stock(self, msp_id: str, batch: BatchRef) -> list[str]:
        return self.shelf.setdefault(msp_id, {}).setdefault(batch.key, [])

    def batch(self, key: tuple[str, str]) -> BatchRef:
        return next(b for b in self.batches if b.key == key)

    def holdings(self, msp_id: str, *, movable: bool = True) -> list[BatchRef]:
        """Batches with packs on `msp_id`'s shelf (only those that may move, by default)."""
        return [
            self.batch(key)
            for key, serials in sorted(self.shelf.get(msp_id, {}).items())
            if serials and not (movable and key in self.recalled)
        ]

    def take(self, msp_id: str, batch: BatchRef, n: int) -> list[str]:
        """`n` packs picked at random from a shelf (fewer if it holds fewer)."""
        serials = self.stock(msp_id, batch)
        free = [s for s in serials if s not in self.reserved]
        taken = set(self.rng.sample(free, min(n, len(free))))
        serials[:] = [s for s in serials if s not in taken]
        return sorted(taken)

    # -- acts through the domain services ----------------------------------------------------

    def scan(self, site: Site, batch: BatchRef, serial: str) -> verification.Verdict:
        """A verification as the pharmacist's (or warehouse's) scanner sends it."""
        self.note("scans")
        return verification.verify(self.rt, actor=site.actor, code=batch.code(serial))

    def scan_code(self, site: Site, code: str) -> verification.Verdict:
        self.note("scans")
        return verification.verify(self.rt, actor=site.actor, code=code)

    def desk_scan(self, site: Site, batch: BatchRef, serial: str) -> verification.Verdict:
        """A counter scan; at a pharmacy whose scanner drops the group separator, the first read
        is unreadable (INVALID_CODE) and the pharmacist scans again with the camera."""
        if site.msp_id in self.gs_dropping and self.rng.random() < 0.6:
            self.note("noise: scanner dropped the group separator")
            self.scan_code(site, batch.code(serial, separators=False))
        return self.scan(site, batch, serial)

    def dispense(self, site: Site, batch: BatchRef, serial: str, *, slips: bool = True) -> None:
        """Scan, dispense, and now and then re-scan (within tolerance) or undo a slip."""
        verdict = self.desk_scan(site, batch, serial)
        if verdict.result != "OK":
            raise RuntimeError(f"dispensing {serial} at {site.msp_id}: {verdict.result}")
        packs_service.decommission(self.rt, actor=site.actor, code=batch.code(serial))
        self.note("dispenses")
        # Follow-ups are acts of their own: an act never moves the clock, or every act queued
        # meanwhile would run late and bunch up.
        roll = self.rng.random() if slips else 1.0
        if roll < 0.15:
            for _ in range(self.rng.randint(1, 2)):  # the tolerance is two re-scans
                later = self.now() + timedelta(minutes=self.rng.uniform(0.5, 20))
                self.at(later, partial(self._rescan, site, batch, serial))
        elif roll < 0.18:
            later = self.now() + timedelta(minutes=self.rng.uniform(1, 30))
            self.at(later, partial(self._undo, site, batch, serial))

    def _rescan(self, site: Site, batch: BatchRef, serial: str) -> None:
        self.scan(site, batch, serial)
        self.note("noise: re-scan of a dispensed pack")

    def _undo(self, site: Site, batch: BatchRef, serial: str) -> None:
        packs_service.undo(self.rt, actor=site.actor, code=batch.code(serial))
        self.stock(site.msp_id, batch).append(serial)
        self.note("noise: dispense undone")

    def ship(
        self,
        sender: Site,
        receiver: Site,
        lines: list[tuple[BatchRef, int]],
        *,
        dispatch_scans: int = 0,
    ) -> Transit | None:
        """Pick packs, scan some at goods-out, and record the shipment on the ledger."""
        picked = [(b, self.take(sender.msp_id, b, n)) for b, n in lines]
        picked = [(b, serials) for b, serials in picked if serials]
        if not picked:
            return None
        scanned = []
        for _ in range(dispatch_scans):
            batch, serials = self.rng.choice(picked)
            scanned.append((batch, self.rng.choice(serials)))
            self.scan(sender, *scanned[-1])
        self._shipments += 1
        shipment_id = f"SYN{self.seed}-{self._shipments:05d}"
        shipments.ship(
            self.rt,
            actor=sender.actor,
            receiver=receiver.msp_id,
            lines=[
                shipments.ShipmentLineRequest(gtin=b.gtin, lot=b.lot, quantity=len(s))
                for b, s in picked
            ],
            shipment_id=shipment_id,
        )
        transit = Transit(shipment_id, sender, receiver, picked, scanned)
        self.in_transit[shipment_id] = transit
        self.note("shipments")
        return transit

    def receive(self, transit: Transit, counted: dict[tuple[str, str], int] | None = None) -> None:
        """Book the receipt (as counted, if it differs) and put the packs on the shelf."""
        received = [(gtin, lot, n) for (gtin, lot), n in (counted or {}).items()]
        shipments.receive(
            self.rt,
            actor=transit.receiver.actor,
            shipment_id=transit.shipment_id,
            received=received or None,
        )
        del self.in_transit[transit.shipment_id]
        for batch, serials in transit.lines:
            got = (counted or {}).get(batch.key, len(serials))
            self.stock(transit.receiver.msp_id, batch).extend(serials[: min(got, len(serials))])
            self.received_ever.add((transit.receiver.msp_id, batch.key))

    def travel_hours(self, a: Site, b: Site) -> float:
        """Door-to-door time of a delivery: lorry speed plus loading and sorting; half of a
        manufacturer's long-haul shipments fly (airport to airport, then a van), faster than
        any pack could travel in a lorry."""
        km = distance_km(a, b)
        if a.role == "manufacturer" and km > AIR_FREIGHT_KM and self.rng.random() < 0.5:
            self.note("noise: air freight")
            return 2.5 + km / 900 + self.rng.uniform(0.5, 1.5)
        return km / LORRY_KMH + self.rng.uniform(2.0, 10.0)

    def serials(self, n: int, avoid: set[str]) -> list[str]:
        """`n` seeded random serials of the kind manufacturers print (12 symbols)."""
        chosen: list[str] = []
        while len(chosen) < n:
            serial = "".join(self.rng.choice(SERIAL_SYMBOLS) for _ in range(12))
            if serial not in avoid:
                avoid.add(serial)
                chosen.append(serial)
        return chosen
