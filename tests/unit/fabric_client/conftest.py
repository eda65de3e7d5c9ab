"""Fixtures of the Fabric client unit tests: in-memory identities, a fake gateway, a ledger."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from services.identity import MspDirectory, OrgIdentity, create_organization
from services.ledger.fabric import FabricLedger
from services.ledger.fabric.gateway import Timeouts
from tests.unit.fabric_client.fakes import MSP_IDS, FakeGateway, profile


@pytest.fixture(scope="session")
def identities(tmp_path_factory: pytest.TempPathFactory) -> dict[str, OrgIdentity]:
    root = tmp_path_factory.mktemp("msp")
    for msp_id in MSP_IDS:
        create_organization(root, msp_id)
    msp = MspDirectory(root)
    return {msp_id: msp.identity(msp_id) for msp_id in MSP_IDS}


@pytest.fixture
def maker(identities: dict[str, OrgIdentity]) -> OrgIdentity:
    return identities["MakerMSP"]


class StepClock:
    """Distinct, increasing proposal timestamps."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=7)
        return self.now


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def ledger(maker: OrgIdentity, gateway: FakeGateway) -> Iterator[FabricLedger]:
    """A FabricLedger whose peers are all the fake gateway."""
    fabric = FabricLedger(
        profile(),
        "MakerMSP",
        identity=maker,
        clock=StepClock(),
        timeouts=Timeouts(events_read=5.0),
        stubs=lambda _peer: gateway,
    )
    yield fabric
    fabric.close()
