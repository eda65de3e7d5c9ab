"""Worlds for the contract's unit tests, from an empty channel to stock on pharmacy shelves."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.unit.chaincode.builders import (
    BATCH,
    DISTRIBUTOR,
    MANUFACTURER,
    PHARMACY_A,
    SERIAL,
    T0,
    T1,
    build_registered_world,
    build_stocked_world,
    ship_body,
)
from tests.unit.chaincode.fake_stub import FakeWorld


@pytest.fixture
def bare_world() -> FakeWorld:
    """A channel nobody has bootstrapped."""
    return FakeWorld()


@pytest.fixture
def world() -> FakeWorld:
    """Regulator, two manufacturers, a distributor and two pharmacies (pharmacy A with a branch),
    all licensed; the manufacturer's product and its 10-pack batch minted, all of it in the
    manufacturer's hands."""
    return build_registered_world()


@pytest.fixture
def in_transit_world(world: FakeWorld) -> FakeWorld:
    """8 units of the batch shipped to the distributor as SHP-1, not yet received."""
    body = ship_body("SHP-1", DISTRIBUTOR, BATCH.line(8))
    world.submit(MANUFACTURER, "Ship", body, T0 + timedelta(hours=1))
    return world


@pytest.fixture
def stocked_world() -> FakeWorld:
    """The batch along the chain: manufacturer 2, distributor 3, pharmacy A 3, pharmacy B 2."""
    return build_stocked_world()


@pytest.fixture
def dispensed_world(stocked_world: FakeWorld) -> FakeWorld:
    """Pharmacy A dispensed SERIAL at T1 at its own premises."""
    stocked_world.submit(PHARMACY_A, "Decommission", BATCH.pack(SERIAL), T1)
    return stocked_world
