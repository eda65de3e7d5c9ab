"""Who and what the demo is made of: organizations, premises, products, batches, and the flows.

Company names are invented; addresses, cities and coordinates are real places. GLNs and GTINs use
the GS1 prefix of each company's country and carry valid check digits (computed, never typed).
"""

from __future__ import annotations

from dataclasses import dataclass

from services.gs1 import gs1_check_digit


def with_check_digit(digits: str) -> str:
    """A GS1 key (GLN, GTIN) from its data digits."""
    return digits + str(gs1_check_digit(digits))


@dataclass(frozen=True)
class Participant:
    """One organization of the demo network with its premises."""

    key: str  # the scenario's short name for it
    msp_id: str
    role: str
    name: str
    address: str
    city: str
    country: str
    latitude: float
    longitude: float
    gln_digits: str  # 12 data digits; the 13th is the check digit
    user: str  # the one demo user of the organization

    @property
    def gln(self) -> str:
        return with_check_digit(self.gln_digits)


REGULATOR = Participant(
    "agency",
    "AgencyMSP",
    "regulator",
    "European Medicines Verification Agency",
    "Domenico Scarlattilaan 6, 1083 HS Amsterdam",
    "Amsterdam",
    "NL",
    52.3387,
    4.8729,
    "871234500001",
    "inspector.devries",
)

PARTICIPANTS: tuple[Participant, ...] = (
    Participant(
        "basel",
        "RheinhafenMSP",
        "manufacturer",
        "Rheinhafen Pharma AG",
        "Hochbergerstrasse 60, 4057 Basel",
        "Basel",
        "CH",
        47.5818,
        7.5947,
        "761234500001",
        "qa.keller",
    ),
    Participant(
        "dublin",
        "LiffeyMSP",
        "manufacturer",
        "Liffey Biologics Ltd",
        "Grange Castle Business Park, Clondalkin, Dublin 22",
        "Dublin",
        "IE",
        53.3216,
        -6.4412,
        "539123400001",
        "qa.obrien",
    ),
    Participant(
        "frankfurt",
        "MainPharmaMSP",
        "distributor",
        "Main-Pharmahandel GmbH",
        "Hanauer Landstraße 291, 60314 Frankfurt am Main",
        "Frankfurt",
        "DE",
        50.1172,
        8.7286,
        "401234500001",
        "warehouse.schmidt",
    ),
    Participant(
        "lyon",
        "RhoneMSP",
        "distributor",
        "Rhône Répartition SA",
        "Avenue Tony Garnier 60, 69007 Lyon",
        "Lyon",
        "FR",
        45.7340,
        4.8270,
        "301234500001",
        "warehouse.martin",
    ),
    Participant(
        "berlin",
        "BerlinApoMSP",
        "pharmacy",
        "Apotheke am Rosenthaler Platz",
        "Rosenthaler Straße 40, 10178 Berlin",
        "Berlin",
        "DE",
        52.5290,
        13.4015,
        "402345600001",
        "pharmacist.weber",
    ),
    Participant(
        "munich",
        "MunichApoMSP",
        "pharmacy",
        "Marien-Apotheke Schwabing",
        "Leopoldstraße 58, 80802 München",
        "Munich",
        "DE",
        48.1606,
        11.5856,
        "402345600002",
        "pharmacist.huber",
    ),
    Participant(
        "paris",
        "ParisPharmaMSP",
        "pharmacy",
        "Pharmacie du Marais",
        "24 Rue de Bretagne, 75003 Paris",
        "Paris",
        "FR",
        48.8630,
        2.3623,
        "341234500001",
        "pharmacien.dubois",
    ),
    Participant(
        "marseille",
        "MarseillePharmaMSP",
        "pharmacy",
        "Pharmacie du Vieux-Port",
        "12 Quai du Port, 13002 Marseille",
        "Marseille",
        "FR",
        43.2961,
        5.3699,
        "341234500002",
        "pharmacien.roux",
    ),
)


@dataclass(frozen=True)
class DemoProduct:
    key: str
    maker: str  # participant key
    gtin_digits: str  # 13 data digits of the GTIN-14
    name: str
    form: str
    strength: str
    pack_size: str

    @property
    def gtin(self) -> str:
        return with_check_digit(self.gtin_digits)


PRODUCTS: tuple[DemoProduct, ...] = (
    DemoProduct(
        "amoxicillin",
        "basel",
        "0761234510001",
        "Amoxicillin 500 mg capsules, 20",
        "capsule",
        "500 mg",
        "20",
    ),
    DemoProduct(
        "atorvastatin",
        "basel",
        "0761234510002",
        "Atorvastatin 20 mg film-coated tablets, 30",
        "tablet",
        "20 mg",
        "30",
    ),
    DemoProduct(
        "metformin",
        "basel",
        "0761234510003",
        "Metformin 850 mg tablets, 60",
        "tablet",
        "850 mg",
        "60",
    ),
    DemoProduct(
        "insulin",
        "dublin",
        "0539123410001",
        "Insulin glargine 100 U/ml pre-filled pen, 5",
        "solution for injection",
        "100 U/ml",
        "5 pens",
    ),
    DemoProduct(
        "salbutamol",
        "dublin",
        "0539123410002",
        "Salbutamol 100 micrograms/dose inhaler, 200 doses",
        "pressurised inhalation",
        "100 micrograms/dose",
        "1 inhaler",
    ),
    DemoProduct(
        "ibuprofen",
        "dublin",
        "0539123410003",
        "Ibuprofen 400 mg tablets, 24",
        "tablet",
        "400 mg",
        "24",
    ),
)


@dataclass(frozen=True)
class DemoBatch:
    key: str
    product: str  # product key
    lot: str
    registered_day: float  # days after the timeline starts
    shelf_life_days: int  # from registration to expiry


BATCHES: tuple[DemoBatch, ...] = (
    # Short-dated stock: expires about two months into the timeline (planted problem d).
    DemoBatch("amx_short", "amoxicillin", "AMX24A01", 2.0, 58),
    DemoBatch("amx", "amoxicillin", "AMX24B02", 3.0, 900),
    DemoBatch("atv", "atorvastatin", "ATV24C11", 3.2, 1080),
    DemoBatch("met", "metformin", "MET24D07", 3.4, 1080),
    DemoBatch("gla", "insulin", "GLA4471", 4.0, 730),
    DemoBatch("sal", "salbutamol", "SAL5520", 4.2, 720),
    DemoBatch("ibu", "ibuprofen", "IBU6610", 4.4, 1095),
)


# -- how goods flow ---------------------------------------------------------------------------

Leg = tuple[float, str, str, list[tuple[str, float]]]
"""A shipment: (day, sender key, receiver key, [(batch key, share of the batch)])."""

RECALL_DAY = 100.2
RECALL_REASON = (
    "Dose counter defect: some inhalers can run empty while still showing doses remaining "
    "(field safety notice FSN-0412)"
)  # no final full stop: the contract and the verdict add one after the reason

# Received the next day. Shares are of the whole batch, rounded down, and never add up to more
# than the sender received.
FIRST_LEG: list[Leg] = [
    (5.1, "basel", "frankfurt", [("amx_short", 0.5), ("amx", 0.5), ("atv", 0.6), ("met", 0.5)]),
    (5.3, "basel", "lyon", [("amx", 0.4), ("atv", 0.3), ("met", 0.4)]),
    (6.1, "dublin", "frankfurt", [("gla", 0.7), ("ibu", 0.3)]),
    (6.2, "dublin", "lyon", [("sal", 0.6), ("ibu", 0.5)]),
]
SECOND_LEG: list[Leg] = [
    (9.1, "frankfurt", "berlin", [("atv", 0.15), ("gla", 0.2), ("met", 0.15), ("amx", 0.15)]),
    (9.3, "frankfurt", "munich", [("atv", 0.15), ("gla", 0.2), ("amx_short", 0.2), ("ibu", 0.1)]),
    (10.2, "lyon", "paris", [("sal", 0.2), ("amx", 0.15), ("met", 0.15), ("ibu", 0.15)]),
    (11.1, "lyon", "marseille", [("amx", 0.15), ("met", 0.15), ("atv", 0.1)]),
    (61.2, "frankfurt", "berlin", [("atv", 0.1)]),
    (63.1, "lyon", "paris", [("met", 0.1)]),
]
# Shipped on the last day and not received: the amber sample.
IN_TRANSIT: Leg = (119.6, "lyon", "marseille", [("ibu", 0.1)])
