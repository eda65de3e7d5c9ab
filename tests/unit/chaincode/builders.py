"""The cast, identifiers, request bodies and worlds the contract's unit tests share.

Fixtures in conftest.py wrap the `build_*` functions; hypothesis tests call them directly (a
function-scoped fixture is not rebuilt between hypothesis examples).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

import pytest

from chaincode import merkle
from chaincode.errors import ContractError, ErrorCode
from chaincode.identifiers import check_digit
from tests.unit.chaincode.fake_stub import FakeWorld

Body = dict[str, Any]

# -- time --------------------------------------------------------------------------------------
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # the set-up day
T1 = T0 + timedelta(days=1)  # when a test acts, unless it says otherwise

# -- the cast ----------------------------------------------------------------------------------
REGULATOR = "RegulatorMSP"
MANUFACTURER = "PharmaCoMSP"
OTHER_MANUFACTURER = "GenericsMSP"
DISTRIBUTOR = "WholesaleMSP"
PHARMACY_A = "PharmacyAMSP"
PHARMACY_B = "PharmacyBMSP"
STRANGER = "StrangerMSP"  # never registered

ROLES = {
    REGULATOR: "regulator",
    MANUFACTURER: "manufacturer",
    OTHER_MANUFACTURER: "manufacturer",
    DISTRIBUTOR: "distributor",
    PHARMACY_A: "pharmacy",
    PHARMACY_B: "pharmacy",
}


# -- GS1 identifiers ---------------------------------------------------------------------------
def with_check_digit(data: str) -> str:
    return data + str(check_digit(data))


def wrong_check_digit(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)


def make_gtin(item: int) -> str:
    """A GTIN-14 under company prefix 401234."""
    return with_check_digit(f"0401234{item:06d}")


def make_gln(location: int) -> str:
    return with_check_digit(f"401234{location:06d}")


def make_sscc(serial: int) -> str:
    return with_check_digit(f"0401234{serial:010d}")


GLNS = {msp_id: make_gln(number) for number, msp_id in enumerate(ROLES, start=1)}
PHARMACY_A_BRANCH = make_gln(101)  # pharmacy A's second shop, registered as further premises
LOCATIONS = {PHARMACY_A: [PHARMACY_A_BRANCH]}  # further premises, by organization
OTHER_GLN = make_gln(999)  # premises of nobody
GTIN = make_gtin(1)
OTHER_GTIN = make_gtin(2)


# -- request bodies --------------------------------------------------------------------------
def organization_body(msp_id: str, role: str | None = None, **fields: Any) -> Body:
    return {
        "msp_id": msp_id,
        "name": f"{msp_id.removesuffix('MSP')} Ltd",
        "role": role or ROLES[msp_id],
        "gln": GLNS.get(msp_id) or make_gln(500 + len(msp_id)),
        **fields,
    }


def product_body(gtin: str = GTIN, **fields: Any) -> Body:
    return {
        "gtin": gtin,
        "name": "Amoxicillin 500 mg capsules",
        "form": "capsule",
        "strength": "500 mg",
        "pack_size": "20",
        "national_code": "01234567",
        **fields,
    }


def ship_body(shipment_id: str, receiver: str, *lines: Body, **fields: Any) -> Body:
    return {"shipment_id": shipment_id, "receiver": receiver, "lines": list(lines), **fields}


def status_body(batch: BatchSpec, status: str, reason: str = "Suspected falsification") -> Body:
    return {**batch.key, "status": status, "reason": reason}


@dataclass(frozen=True)
class BatchSpec:
    """A batch as its manufacturer knows it: the serials behind the committed Merkle root."""

    gtin: str
    lot: str
    serials: tuple[str, ...]  # sorted: the leaf order of the commitment
    expiry: str = "2027-12-31"

    @classmethod
    def of(cls, gtin: str, lot: str, count: int, expiry: str = "2027-12-31") -> BatchSpec:
        serials = sorted(f"SN{lot.replace('-', '')}{n:04d}" for n in range(count))
        return cls(gtin, lot, tuple(serials), expiry)

    @property
    def quantity(self) -> int:
        return len(self.serials)

    @cached_property
    def leaves(self) -> list[bytes]:
        return [merkle.leaf_hash(serial) for serial in self.serials]

    @property
    def root_hex(self) -> str:
        return merkle.root_of_serials(self.serials).hex()

    @property
    def key(self) -> Body:
        return {"gtin": self.gtin, "lot": self.lot}

    def proof(self, serial: str) -> Body:
        index = self.serials.index(serial)
        siblings = merkle.proof_for(self.leaves, index)
        return {"index": index, "siblings": [sibling.hex() for sibling in siblings]}

    def register_body(self, **fields: Any) -> Body:
        return {
            **self.key,
            "expiry": self.expiry,
            "quantity": self.quantity,
            "merkle_root": self.root_hex,
            **fields,
        }

    def line(self, quantity: int, **fields: Any) -> Body:
        return {**self.key, "quantity": quantity, **fields}

    def pack(self, serial: str, **fields: Any) -> Body:
        """A Decommission request for one pack, with its membership proof."""
        return {**self.key, "serial": serial, "proof": self.proof(serial), **fields}


BATCH = BatchSpec.of(GTIN, "LOT-A1", 10)
SERIAL = BATCH.serials[0]


# -- worlds ----------------------------------------------------------------------------------
def bootstrap(world: FakeWorld, at: datetime = T0) -> None:
    world.submit(REGULATOR, "RegisterOrganization", organization_body(REGULATOR), at)


def build_registered_world(**options: Any) -> FakeWorld:
    """The cast registered and licensed (pharmacy A with a branch), GTIN registered by
    MANUFACTURER, BATCH minted."""
    world = FakeWorld(**options)
    bootstrap(world)
    for minute, msp_id in enumerate(ROLES):
        if msp_id != REGULATOR:
            at = T0 + timedelta(minutes=minute)
            body = organization_body(msp_id)
            if msp_id in LOCATIONS:
                body["locations"] = LOCATIONS[msp_id]
            world.submit(REGULATOR, "RegisterOrganization", body, at)
    world.submit(MANUFACTURER, "RegisterProduct", product_body(), T0 + timedelta(minutes=10))
    world.submit(MANUFACTURER, "RegisterBatch", BATCH.register_body(), T0 + timedelta(minutes=11))
    return world


def ship_and_receive(
    world: FakeWorld,
    sender: str,
    receiver: str,
    quantity: int,
    shipment_id: str,
    at: datetime,
    batch: BatchSpec = BATCH,
) -> None:
    world.submit(sender, "Ship", ship_body(shipment_id, receiver, batch.line(quantity)), at)
    world.submit(receiver, "Receive", {"shipment_id": shipment_id}, at + timedelta(minutes=30))


def build_stocked_world(**options: Any) -> FakeWorld:
    """BATCH spread along the chain: manufacturer 2, distributor 3, pharmacy A 3, pharmacy B 2."""
    world = build_registered_world(**options)
    ship_and_receive(world, MANUFACTURER, DISTRIBUTOR, 8, "SHP-1", T0 + timedelta(hours=1))
    ship_and_receive(world, DISTRIBUTOR, PHARMACY_A, 3, "SHP-2", T0 + timedelta(hours=2))
    ship_and_receive(world, DISTRIBUTOR, PHARMACY_B, 2, "SHP-3", T0 + timedelta(hours=3))
    return world


# -- reading and refusing ----------------------------------------------------------------------
def holdings(world: FakeWorld, batch: BatchSpec = BATCH) -> dict[str, int]:
    """Who holds how many units of a batch, as GetBatch reports it."""
    record = world.evaluate(REGULATOR, "GetBatch", batch.key)
    return {entry["msp_id"]: entry["quantity"] for entry in record["holdings"]}


def refused(
    world: FakeWorld,
    code: ErrorCode,
    msp_id: str,
    function: str,
    body: Body,
    at: datetime = T1,
) -> ContractError:
    """Submit a transaction that must be refused with `code` and must change nothing."""
    before = world.snapshot()
    with pytest.raises(ContractError) as caught:
        world.submit(msp_id, function, body, at)
    assert caught.value.code == code, caught.value.message
    assert world.snapshot() == before, "a refused transaction must leave the ledger unchanged"
    return caught.value


def refused_query(
    world: FakeWorld, code: ErrorCode, function: str, body: Body, at: datetime = T1
) -> ContractError:
    """Evaluate a query that must be refused with `code`."""
    with pytest.raises(ContractError) as caught:
        world.evaluate(REGULATOR, function, body, at)
    assert caught.value.code == code, caught.value.message
    return caught.value
