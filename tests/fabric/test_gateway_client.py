"""The Gateway client against the real Fabric network: a supply chain, refusals, events, MVCC.

Runs on the session network of tests/fabric/conftest.py (real orderer, one peer per org, the
Python chaincode as a service). Nothing is mocked. Product and lot are fresh per run, so the
module also runs against a network that already holds data.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from chaincode import merkle
from chaincode.errors import ErrorCode
from network.layout import Layout
from services.ledger import (
    ChaincodeEvent,
    Checkpoint,
    CommitStatusError,
    EndorseError,
    SubmitResult,
)
from services.ledger.fabric import FabricLedger, load_profile
from services.ledger.fabric import commit as commit_step
from services.ledger.fabric import transaction as transaction_step
from services.ledger.fabric.proposal import new_proposal
from tests.support.network import with_check_digit

pytestmark = [pytest.mark.fabric, pytest.mark.slow, pytest.mark.timeout(1800)]

# Point at the connection.json of a network already running (e.g. `pharmatrace network up`)
# to run this module against it instead of the session network of tests/fabric/conftest.py.
PROFILE_ENV = "PHARMATRACE_FABRIC_PROFILE"

REGULATOR, MAKER, WHOLESALER, PHARMACY = (
    "RegulatorMSP",
    "ManufacturerMSP",
    "DistributorMSP",
    "PharmacyMSP",
)
ORGS = [
    # msp_id, role, name, GLN body (12 digits)
    (MAKER, "manufacturer", "Acme Pharma GmbH", "400123400001"),
    (WHOLESALER, "distributor", "Phoenix Wholesale", "400123400003"),
    (PHARMACY, "pharmacy", "Apotheke am Markt", "400123400004"),
]


def body(**fields: Any) -> str:
    return json.dumps(fields, sort_keys=True)


@dataclass
class Chain:
    """What the journey committed, in order, for the tests to check."""

    ledger: FabricLedger
    before: Checkpoint | None
    gtin: str
    lot: str
    committed: list[SubmitResult] = field(default_factory=list)

    def submit(self, msp_id: str, function: str, **fields: Any) -> SubmitResult:
        result = self.ledger.contract(self.ledger.identity(msp_id)).submit(function, body(**fields))
        self.committed.append(result)
        return result

    def evaluate(self, msp_id: str, function: str, **fields: Any) -> Any:
        signer = self.ledger.identity(msp_id)
        return json.loads(self.ledger.contract(signer).evaluate(function, body(**fields)))


@pytest.fixture(scope="module")
def profile_path(request: pytest.FixtureRequest) -> Path:
    """The session network's profile, or that of a running network named by PROFILE_ENV."""
    if named := os.environ.get(PROFILE_ENV):
        return Path(named)
    request.getfixturevalue("fabric_network")
    layout: Layout = request.getfixturevalue("fabric_layout")
    return layout.connection_json


@pytest.fixture(scope="module")
def ledger(profile_path: Path) -> Iterator[FabricLedger]:
    fabric = FabricLedger(load_profile(profile_path), REGULATOR)
    yield fabric
    fabric.close()


def last_checkpoint(ledger: FabricLedger) -> Checkpoint | None:
    checkpoint = None
    while page := ledger.read_events(checkpoint, 500):
        checkpoint = page[-1].checkpoint
    return checkpoint


def register(chain: Chain, msp_id: str, role: str, name: str, gln_body: str) -> None:
    """Register an organization; one already there (an earlier run) is fine."""
    try:
        chain.submit(
            msp_id if role == "regulator" else REGULATOR,
            "RegisterOrganization",
            msp_id=msp_id,
            role=role,
            name=name,
            gln=with_check_digit(gln_body),
        )
    except EndorseError as exc:
        if exc.error.code is not ErrorCode.ORGANIZATION_EXISTS:
            raise


@pytest.fixture(scope="module")
def chain(ledger: FabricLedger) -> Chain:
    """Bootstrap, organizations, a product, a batch, shipped to the wholesaler and received."""
    run = secrets.randbelow(10**6)
    chain = Chain(ledger, None, gtin=with_check_digit(f"0950600{run:06d}"), lot=f"LOT{run:06d}")
    register(chain, REGULATOR, "regulator", "National Regulator", "400123400000")
    for org in ORGS:
        register(chain, *org)
    # Registrations may be an earlier run's: compare events only from here on.
    chain.committed.clear()
    chain.before = last_checkpoint(ledger)
    chain.submit(MAKER, "RegisterProduct", gtin=chain.gtin, name="Paracetamol 500 mg")
    serials = [f"SN{i:04d}" for i in range(40)]
    chain.submit(
        MAKER,
        "RegisterBatch",
        gtin=chain.gtin,
        lot=chain.lot,
        expiry=(datetime.now(UTC) + timedelta(days=730)).date().isoformat(),
        quantity=len(serials),
        merkle_root=merkle.root_of_serials(serials).hex(),
    )
    line = {"gtin": chain.gtin, "lot": chain.lot, "quantity": 15}
    chain.submit(MAKER, "Ship", shipment_id=f"S-{run}", receiver=WHOLESALER, lines=[line])
    chain.submit(WHOLESALER, "Receive", shipment_id=f"S-{run}")
    return chain


def test_a_supply_chain_commits_and_reads_back(chain: Chain) -> None:
    batch = chain.evaluate(WHOLESALER, "GetBatch", gtin=chain.gtin, lot=chain.lot)

    holdings = {h["msp_id"]: h["quantity"] for h in batch["holdings"]}
    assert holdings == {MAKER: 25, WHOLESALER: 15}
    assert batch["manufacturer"] == MAKER
    blocks = [c.block for c in chain.committed]
    assert blocks == sorted(blocks)
    assert len({c.tx_id for c in chain.committed}) == len(chain.committed)
    assert chain.ledger.height() > blocks[-1]


def test_a_refusal_carries_the_contracts_code_and_the_tx_id(chain: Chain) -> None:
    contract = chain.ledger.contract(chain.ledger.identity(MAKER))
    unknown = body(gtin=chain.gtin, lot="NO-SUCH-LOT")

    with pytest.raises(EndorseError) as evaluated:
        contract.evaluate("GetBatch", unknown)
    line = {"gtin": chain.gtin, "lot": "NO-SUCH-LOT", "quantity": 1}
    with pytest.raises(EndorseError) as submitted:
        contract.submit("Ship", body(shipment_id="S-x", receiver=WHOLESALER, lines=[line]))

    for raised in (evaluated, submitted):
        assert raised.value.error.code is ErrorCode.UNKNOWN_BATCH
        assert raised.value.tx_id is not None
        assert len(raised.value.tx_id) == 64


def test_events_are_the_journeys_transactions_in_order(chain: Chain) -> None:
    events = chain.ledger.read_events(chain.before)

    events = events[: len(chain.committed)]  # later tests of the module may add more
    assert [e.tx_id for e in events] == [c.tx_id for c in chain.committed]
    assert [e.name for e in events] == [
        "ProductRegistered",
        "BatchRegistered",
        "ShipmentShipped",
        "ShipmentReceived",
    ]
    assert [e.block for e in events] == [c.block for c in chain.committed]
    for event in events:
        payload = json.loads(event.payload)
        assert payload["tx_id"] == event.tx_id
        assert abs(event.timestamp - datetime.now(UTC)) < timedelta(hours=1)


def test_events_resume_from_any_checkpoint_without_gap_or_duplicate(chain: Chain) -> None:
    everything = chain.ledger.read_events(chain.before)

    for size in (1, 2, 3):
        pages: list[ChaincodeEvent] = []
        checkpoint = chain.before
        while page := chain.ledger.read_events(checkpoint, size):
            assert len(page) <= size
            pages += page
            checkpoint = page[-1].checkpoint
        assert pages[: len(everything)] == everything


def test_the_events_stream_follows_and_stops(chain: Chain) -> None:
    expected = chain.ledger.read_events(chain.before)
    stop = threading.Event()
    seen: list[ChaincodeEvent] = []

    def follow() -> None:
        for event in chain.ledger.events(chain.before, stop):
            seen.append(event)

    follower = threading.Thread(target=follow)
    follower.start()
    deadline = time.monotonic() + 60
    while len(seen) < len(expected) and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    follower.join(10)

    assert not follower.is_alive(), "the stream did not stop"
    assert seen[: len(expected)] == expected


def endorse_ship(chain: Chain, shipment_id: str) -> tuple[Any, Any]:
    """Endorse (not yet submit) a shipment of one unit from the maker's holding."""
    signer = chain.ledger.identity(MAKER)
    line = {"gtin": chain.gtin, "lot": chain.lot, "quantity": 1}
    connection = chain.ledger.contract(signer).connection
    proposal = new_proposal(
        signer,
        channel=connection.channel,
        chaincode=connection.chaincode,
        function="Ship",
        args=(body(shipment_id=shipment_id, receiver=WHOLESALER, lines=[line]),),
        at=datetime.now(UTC),
    )
    prepared = transaction_step.endorse(connection, proposal)
    return prepared, commit_step.commit_status_request(signer, connection.channel, proposal.tx_id)


def test_two_shipments_endorsed_on_the_same_holding_one_is_an_mvcc_conflict(
    chain: Chain,
) -> None:
    # Both read the maker's holding at the same version before either is ordered.
    run = secrets.token_hex(3)
    first, second = endorse_ship(chain, f"S-{run}-1"), endorse_ship(chain, f"S-{run}-2")
    connection = chain.ledger.contract(chain.ledger.identity(MAKER)).connection
    signer = chain.ledger.identity(MAKER)

    outcomes: list[int | CommitStatusError] = []
    for prepared, _status in (first, second):
        transaction_step.submit(connection, signer, prepared)
    for _prepared, status in (first, second):
        try:
            outcomes.append(commit_step.wait_for_commit(connection, status))
        except CommitStatusError as exc:
            outcomes.append(exc)

    conflicts = [o for o in outcomes if isinstance(o, CommitStatusError)]
    assert len(conflicts) == 1, outcomes
    assert conflicts[0].code == "MVCC_READ_CONFLICT"
    assert conflicts[0].tx_id in {first[0].tx_id, second[0].tx_id}


def test_concurrent_submits_through_the_port_conflict_or_serialise(chain: Chain) -> None:
    """Through `Contract.submit` from two threads: each either commits or fails with
    CommitStatusError MVCC_READ_CONFLICT (whether they overlap depends on timing)."""
    run = secrets.token_hex(3)
    contract = chain.ledger.contract(chain.ledger.identity(MAKER))
    line = {"gtin": chain.gtin, "lot": chain.lot, "quantity": 1}
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def ship(index: int) -> None:
        barrier.wait()
        try:
            payload = body(shipment_id=f"S-{run}-{index}", receiver=WHOLESALER, lines=[line])
            outcomes.append(contract.submit("Ship", payload))
        except CommitStatusError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=ship, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert len(outcomes) == 2, outcomes
    assert any(isinstance(o, SubmitResult) for o in outcomes)
    for outcome in outcomes:
        if isinstance(outcome, CommitStatusError):
            assert outcome.code == "MVCC_READ_CONFLICT"
