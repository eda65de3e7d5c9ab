"""Chaincode events: ordered, pageable by checkpoint, followed live, and only for valid txs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from services.identity import OrgIdentity
from services.ledger import ChaincodeEvent, Checkpoint, CommitStatusError, SubmitResult
from services.ledger.embedded import EmbeddedLedger
from tests.integration.ledger.helpers import (
    block_sizes,
    commit_in_one_block,
    ledger_rows,
    ship_body,
    submit,
)
from tests.support.network import SmallNetwork

pytestmark = pytest.mark.integration

Signer = Callable[[str], OrgIdentity]


def _multi_transaction_block(
    network: SmallNetwork, ledger: EmbeddedLedger, signer: Signer
) -> list[SubmitResult]:
    """Three independent ships (distinct holders) committed as one block."""
    senders = [("MakerMSP", 2), ("WholesaleMSP", 3), ("PharmacyAMSP", 4)]
    results = commit_in_one_block(
        ledger,
        signer("RegulatorMSP"),
        [
            lambda msp=msp, q=q: submit(
                ledger,
                signer(msp),
                "Ship",
                ship_body(f"SHP-EV-{msp}", "PharmacyBMSP", network.gtin, "LOT001", q),
            )
            for msp, q in senders
        ],
        ordered=True,
    )
    assert all(isinstance(r, SubmitResult) for r in results), results
    assert len({r.block for r in results}) == 1
    return results


def _page_through(ledger: EmbeddedLedger, limit: int) -> list[ChaincodeEvent]:
    events: list[ChaincodeEvent] = []
    after: Checkpoint | None = None
    while page := ledger.read_events(after, limit):
        assert len(page) <= limit
        events.extend(page)
        after = page[-1].checkpoint
    return events


def test_given_a_ledger_when_events_are_read_then_they_come_in_block_and_index_order(
    network: SmallNetwork, ledger: EmbeddedLedger, signer: Signer
) -> None:
    shipped = _multi_transaction_block(network, ledger, signer)

    events = ledger.read_events(None)

    checkpoints = [event.checkpoint for event in events]
    assert checkpoints == sorted(checkpoints)
    assert len(set(checkpoints)) == len(checkpoints)
    assert [e.name for e in events[:7]] == ["OrganizationRegistered"] * 6 + ["ProductRegistered"]
    tail = events[-3:]
    assert [e.tx_id for e in tail] == [r.tx_id for r in shipped]
    assert [e.checkpoint for e in tail] == [Checkpoint(shipped[0].block, i) for i in range(3)]
    assert all(e.name == "ShipmentShipped" for e in tail)


@pytest.mark.parametrize("limit", [1, 2, 5, 1000])
def test_given_events_when_paged_by_checkpoint_then_the_pages_join_into_the_whole_list(
    network: SmallNetwork, ledger: EmbeddedLedger, signer: Signer, limit: int
) -> None:
    _multi_transaction_block(network, ledger, signer)
    everything = ledger.read_events(None)

    paged = _page_through(ledger, limit)

    assert paged == everything


def test_given_a_checkpoint_inside_a_block_when_reading_after_it_then_the_rest_of_the_block_follows(
    network: SmallNetwork, ledger: EmbeddedLedger, signer: Signer
) -> None:
    shipped = _multi_transaction_block(network, ledger, signer)
    block = shipped[0].block

    after_first = ledger.read_events(Checkpoint(block, 0))
    after_last = ledger.read_events(Checkpoint(block, 2))
    after_block = ledger.read_events(Checkpoint(block, 99))

    assert [e.tx_id for e in after_first] == [shipped[1].tx_id, shipped[2].tx_id]
    assert after_last == []
    assert after_block == []
    assert ledger.read_events(Checkpoint(block - 1, 0))[0].tx_id == shipped[0].tx_id


def test_given_a_follower_waiting_for_events_when_a_block_commits_then_it_wakes_up_and_stops_on_request(  # noqa: E501
    network: SmallNetwork, ledger: EmbeddedLedger, signer: Signer
) -> None:
    last = ledger.read_events(None)[-1].checkpoint
    stop = threading.Event()
    received: list[tuple[float, ChaincodeEvent]] = []

    def follow() -> None:
        for event in ledger.events(last, stop):
            received.append((time.monotonic(), event))

    follower = threading.Thread(target=follow)
    follower.start()
    time.sleep(0.3)  # the follower has found nothing new and is waiting
    assert received == []

    committed_at = time.monotonic()
    result = submit(
        ledger,
        signer("MakerMSP"),
        "Ship",
        ship_body("SHP-LIVE", "WholesaleMSP", network.gtin, "LOT001", 1),
    )
    deadline = time.monotonic() + 5
    while not received and time.monotonic() < deadline:
        time.sleep(0.01)

    assert [e.tx_id for _, e in received] == [result.tx_id]
    assert received[0][0] - committed_at < 2
    stop.set()
    follower.join(2)
    assert not follower.is_alive(), "events() kept blocking after stop was set"


def test_given_a_follower_when_the_ledger_closes_then_the_generator_ends(
    ledger: EmbeddedLedger,
) -> None:
    last = ledger.read_events(None)[-1].checkpoint
    follower = threading.Thread(target=lambda: list(ledger.events(last)))
    follower.start()
    time.sleep(0.1)

    ledger.close()
    follower.join(2)

    assert not follower.is_alive()


def test_given_invalid_and_event_less_transactions_when_reading_events_then_only_valid_ones_appear(
    network: SmallNetwork, ledger: EmbeddedLedger, signer: Signer
) -> None:
    before = ledger.read_events(None)
    valid, conflict = commit_in_one_block(
        ledger,
        signer("RegulatorMSP"),
        [
            lambda sid=sid: submit(
                ledger,
                signer("MakerMSP"),
                "Ship",
                ship_body(sid, "WholesaleMSP", network.gtin, "LOT001", 1),
            )
            for sid in ("SHP-V", "SHP-X")
        ],
        ordered=True,
    )
    read_only = submit(ledger, signer("RegulatorMSP"), "ListOrganizations", {})

    events = ledger.read_events(None)

    assert isinstance(valid, SubmitResult)
    assert isinstance(conflict, CommitStatusError)
    assert [e.tx_id for e in events[len(before) :]] == [valid.tx_id]
    tx_ids = {e.tx_id for e in events}
    assert conflict.tx_id not in tx_ids
    assert read_only.tx_id not in tx_ids
    validations = dict(
        ledger_rows(ledger.path, "SELECT tx_id, validation FROM transactions WHERE block >= 1")
    )
    assert validations[conflict.tx_id or ""] == "MVCC_READ_CONFLICT"
    assert validations[read_only.tx_id] == "VALID"
    assert block_sizes(ledger.path)[valid.block] == 2
