"""Fabric's commit-time validation on the embedded ledger: MVCC, phantom reads, duplicate ids."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import pytest

from services.domain import shipments
from services.identity import OrgIdentity
from services.ledger import CommitStatusError, EndorseError, SubmitResult
from services.ledger.embedded import EmbeddedLedger, verify_chain
from services.ledger.embedded.committer import Committer, EndorsedTransaction
from services.runtime import Actor
from tests.integration.ledger.helpers import (
    commit_in_one_block,
    evaluate,
    ledger_rows,
    run_concurrently,
    ship_body,
    submit,
)
from tests.support.network import SmallNetwork, with_check_digit

pytestmark = pytest.mark.integration

Signer = Callable[[str], OrgIdentity]


def _pause_after_endorsing(
    monkeypatch: pytest.MonkeyPatch, ledger: EmbeddedLedger, function: str
) -> tuple[threading.Event, threading.Event]:
    """Endorsements of `function` stop before ordering until `release` is set."""
    endorsed, release = threading.Event(), threading.Event()
    original = ledger._endorse

    def endorse_then_wait(signer: OrgIdentity, name: str, args: tuple[str, ...]) -> Any:
        outcome = original(signer, name, args)
        if name == function:
            endorsed.set()
            assert release.wait(10), "the test never released the endorsement"
        return outcome

    monkeypatch.setattr(ledger, "_endorse", endorse_then_wait)
    return endorsed, release


RANGE_CHANGES = [
    pytest.param(
        "ListOrganizations",
        {},
        lambda net, led, sig: submit(
            led,
            sig("RegulatorMSP"),
            "RegisterOrganization",
            {
                "msp_id": "NewcomerMSP",
                "name": "Newcomer",
                "role": "pharmacy",
                "gln": with_check_digit("400123400006"),
            },
        ),
        id="a-key-appears-in-the-range",
    ),
    pytest.param(
        "GetBatch",
        {"gtin": "09506000134352", "lot": "LOT001"},
        lambda net, led, sig: submit(
            led,
            sig("PharmacyAMSP"),
            "Ship",
            ship_body("SHP-ALL", "PharmacyBMSP", net.gtin, "LOT001", 10),
        ),
        id="a-key-disappears-from-the-range",
    ),
    pytest.param(
        "GetBatch",
        {"gtin": "09506000134352", "lot": "LOT001"},
        lambda net, led, sig: submit(
            led,
            sig("MakerMSP"),
            "Ship",
            ship_body("SHP-SOME", "WholesaleMSP", net.gtin, "LOT001", 1),
        ),
        id="a-key-in-the-range-changes-version",
    ),
]


def _in_thread(call: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    """Start `call` in a thread; the list receives its result or the exception it raised."""
    outcome: list[Any] = []
    thread = threading.Thread(target=lambda: outcome.extend(run_concurrently([call])))
    thread.start()
    return thread, outcome


def _maker_holding(ledger: EmbeddedLedger, signer: Signer, network: SmallNetwork) -> int:
    batch = evaluate(
        ledger, signer("MakerMSP"), "GetBatch", {"gtin": network.gtin, "lot": "LOT001"}
    )
    return next(h["quantity"] for h in batch["holdings"] if h["msp_id"] == "MakerMSP")


def _assert_left_no_trace(ledger: EmbeddedLedger, tx_id: str, validation: str) -> None:
    """The invalidated transaction is in its block, but wrote nothing and emitted nothing."""
    status = ledger.transaction_status(tx_id)
    assert status is not None
    block, index, recorded = status
    assert recorded == validation
    assert ledger_rows(
        ledger.path, "SELECT COUNT(*) FROM history WHERE block = ? AND tx_index = ?", (block, index)
    ) == [(0,)]
    assert ledger_rows(
        ledger.path, "SELECT COUNT(*) FROM state WHERE block = ? AND tx_index = ?", (block, index)
    ) == [(0,)]
    assert ledger_rows(
        ledger.path, "SELECT event_name FROM transactions WHERE tx_id = ?", (tx_id,)
    ) == [(None,)]
    assert tx_id not in {event.tx_id for event in ledger.read_events(None)}


def _ship(
    network: SmallNetwork, ledger: EmbeddedLedger, signer: Signer, shipment_id: str, quantity: int
) -> SubmitResult:
    body = ship_body(shipment_id, "WholesaleMSP", network.gtin, "LOT001", quantity)
    return submit(ledger, signer("MakerMSP"), "Ship", body)


def _assert_only_first_ship_counted(
    network: SmallNetwork, ledger: EmbeddedLedger, signer: Signer, first: Any, second: Any
) -> None:
    assert isinstance(first, SubmitResult), first
    assert isinstance(second, CommitStatusError), second
    assert second.code == "MVCC_READ_CONFLICT"
    assert second.tx_id
    assert second.tx_id != first.tx_id
    _assert_left_no_trace(ledger, second.tx_id, "MVCC_READ_CONFLICT")
    assert _maker_holding(ledger, signer, network) == 20 - 3
    with pytest.raises(EndorseError) as refused:
        evaluate(ledger, signer("MakerMSP"), "GetShipment", {"shipment_id": "SHP-MVCC-B"})
    assert refused.value.error.code == "UNKNOWN_SHIPMENT"
    assert verify_chain(ledger.path).ok


def test_given_two_endorsements_reading_one_holding_when_committed_in_one_block_then_the_second_is_an_mvcc_conflict(  # noqa: E501
    network: SmallNetwork, ledger: EmbeddedLedger, signer: Signer
) -> None:
    first, second = commit_in_one_block(
        ledger,
        signer("RegulatorMSP"),
        [
            lambda: _ship(network, ledger, signer, "SHP-MVCC-A", 3),
            lambda: _ship(network, ledger, signer, "SHP-MVCC-B", 5),
        ],
        ordered=True,
    )

    _assert_only_first_ship_counted(network, ledger, signer, first, second)
    assert ledger.transaction_status(second.tx_id) == (first.block, 1, "MVCC_READ_CONFLICT")


def test_given_two_endorsements_reading_one_holding_when_the_second_commits_in_a_later_block_then_it_is_an_mvcc_conflict(  # noqa: E501
    network: SmallNetwork,
    ledger: EmbeddedLedger,
    signer: Signer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    both_endorsed = threading.Barrier(2, timeout=10)
    first_committed = threading.Event()
    original = ledger._endorse

    def endorse_then_wait(signer_: OrgIdentity, name: str, args: tuple[str, ...]) -> Any:
        outcome = original(signer_, name, args)
        if name == "Ship":
            both_endorsed.wait()  # both simulations saw the same version of the maker's holding
            if "SHP-MVCC-B" in args[0]:
                assert first_committed.wait(10)
        return outcome

    monkeypatch.setattr(ledger, "_endorse", endorse_then_wait)

    def first_then_signal() -> SubmitResult:
        try:
            return _ship(network, ledger, signer, "SHP-MVCC-A", 3)
        finally:
            first_committed.set()

    first, second = run_concurrently(
        [first_then_signal, lambda: _ship(network, ledger, signer, "SHP-MVCC-B", 5)]
    )

    _assert_only_first_ship_counted(network, ledger, signer, first, second)
    block, _index, _validation = ledger.transaction_status(second.tx_id)  # type: ignore[misc]
    assert block > first.block


def test_given_two_runtime_ships_racing_on_one_holding_when_submitted_then_the_loser_is_retried_and_both_count(  # noqa: E501
    network: SmallNetwork, ledger: EmbeddedLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    both_endorsed = threading.Barrier(2, timeout=10)
    original = ledger._endorse
    lock, first_round = threading.Lock(), [True, True]

    def endorse_then_meet(signer_: OrgIdentity, name: str, args: tuple[str, ...]) -> Any:
        outcome = original(signer_, name, args)
        with lock:
            racing = bool(first_round) and first_round.pop()
        if racing:
            both_endorsed.wait()  # force the race once; the runtime's retry endorses afresh
        return outcome

    monkeypatch.setattr(ledger, "_endorse", endorse_then_meet)
    line = shipments.ShipmentLineRequest(gtin=network.gtin, lot="LOT001", quantity=4)
    maker: Actor = network.maker

    outcomes = run_concurrently(
        [
            lambda: shipments.ship(network.rt, actor=maker, receiver="WholesaleMSP", lines=[line])
            for _ in range(2)
        ]
    )

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    statuses = ledger_rows(
        ledger.path, "SELECT validation, COUNT(*) FROM transactions GROUP BY validation"
    )
    assert dict(statuses)["MVCC_READ_CONFLICT"] == 1
    assert _maker_holding(ledger, network.rt.identity, network) == 20 - 2 * 4


@pytest.mark.parametrize(("query", "query_body", "interference"), RANGE_CHANGES)
def test_given_a_range_read_endorsed_when_the_range_changes_before_commit_then_phantom_read_conflict(  # noqa: E501
    network: SmallNetwork,
    ledger: EmbeddedLedger,
    signer: Signer,
    monkeypatch: pytest.MonkeyPatch,
    query: str,
    query_body: dict[str, Any],
    interference: Callable[[SmallNetwork, EmbeddedLedger, Signer], SubmitResult],
) -> None:
    endorsed, release = _pause_after_endorsing(monkeypatch, ledger, query)
    reader, outcome = _in_thread(lambda: submit(ledger, signer("RegulatorMSP"), query, query_body))
    assert endorsed.wait(10)

    interference(network, ledger, signer)  # commits while the range read waits to be ordered
    release.set()
    reader.join(30)

    (result,) = outcome
    assert isinstance(result, CommitStatusError), result
    assert result.code == "PHANTOM_READ_CONFLICT"
    _assert_left_no_trace(ledger, result.tx_id or "", "PHANTOM_READ_CONFLICT")
    assert verify_chain(ledger.path).ok


@pytest.mark.parametrize(("query", "query_body", "interference"), RANGE_CHANGES)
def test_given_a_range_read_queued_behind_a_write_into_its_range_when_both_commit_in_one_block_then_phantom_read_conflict(  # noqa: E501
    network: SmallNetwork,
    ledger: EmbeddedLedger,
    signer: Signer,
    query: str,
    query_body: dict[str, Any],
    interference: Callable[[SmallNetwork, EmbeddedLedger, Signer], SubmitResult],
) -> None:
    write, read = commit_in_one_block(
        ledger,
        signer("RegulatorMSP"),
        [
            lambda: interference(network, ledger, signer),
            lambda: submit(ledger, signer("RegulatorMSP"), query, query_body),
        ],
        ordered=True,
    )

    assert isinstance(write, SubmitResult), write
    assert isinstance(read, CommitStatusError), read
    assert read.code == "PHANTOM_READ_CONFLICT"
    assert ledger.transaction_status(read.tx_id or "") == (write.block, 1, "PHANTOM_READ_CONFLICT")
    _assert_left_no_trace(ledger, read.tx_id or "", "PHANTOM_READ_CONFLICT")
    assert verify_chain(ledger.path).ok


def test_given_a_range_read_endorsed_when_nothing_changes_before_commit_then_it_is_valid(
    ledger: EmbeddedLedger, signer: Signer, monkeypatch: pytest.MonkeyPatch
) -> None:
    endorsed, release = _pause_after_endorsing(monkeypatch, ledger, "ListOrganizations")
    reader, outcome = _in_thread(
        lambda: submit(ledger, signer("RegulatorMSP"), "ListOrganizations", {})
    )
    assert endorsed.wait(10)
    submit(ledger, signer("RegulatorMSP"), "GetOrganization", {"msp_id": "MakerMSP"})  # a read
    release.set()
    reader.join(30)

    (result,) = outcome
    assert isinstance(result, SubmitResult), result
    assert ledger.transaction_status(result.tx_id) == (result.block, 0, "VALID")
    assert len(json.loads(result.result)) == 6


def _duplicating_enqueue(
    monkeypatch: pytest.MonkeyPatch, function: str
) -> list[Future[tuple[int, int, str]]]:
    """Committer.enqueue queues every `function` transaction twice, the copy with its own future
    (as if a client or a faulty orderer handed the same endorsed transaction over again)."""
    copies: list[Future[tuple[int, int, str]]] = []
    original = Committer.enqueue

    def enqueue_twice(self: Committer, tx: EndorsedTransaction) -> None:
        original(self, tx)
        if json.loads(tx.envelope)["proposal"]["function"] == function:
            copy = dataclasses.replace(tx, done=Future())
            copies.append(copy.done)
            original(self, copy)

    monkeypatch.setattr(Committer, "enqueue", enqueue_twice)
    return copies


def test_given_an_endorsed_transaction_when_enqueued_twice_in_one_block_then_the_copy_is_duplicate_txid(  # noqa: E501
    network: SmallNetwork,
    ledger: EmbeddedLedger,
    signer: Signer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    copies = _duplicating_enqueue(monkeypatch, "Ship")
    body = ship_body("SHP-DUP-1", "WholesaleMSP", network.gtin, "LOT001", 2)

    (result,) = commit_in_one_block(
        ledger, signer("RegulatorMSP"), [lambda: submit(ledger, signer("MakerMSP"), "Ship", body)]
    )

    assert isinstance(result, SubmitResult), result
    block, index, validation = copies[0].result(timeout=10)
    assert (block, validation) == (result.block, "DUPLICATE_TXID")
    assert ledger_rows(
        ledger.path,
        "SELECT tx_index, validation FROM transactions WHERE tx_id = ? ORDER BY tx_index",
        (result.tx_id,),
    ) == [(index - 1, "VALID"), (index, "DUPLICATE_TXID")]
    _assert_duplicate_changed_nothing(network, ledger, signer, block, index)


def test_given_a_committed_transaction_when_enqueued_again_later_then_the_copy_is_duplicate_txid(
    network: SmallNetwork,
    ledger: EmbeddedLedger,
    signer: Signer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    captured: list[EndorsedTransaction] = []
    original = Committer.enqueue

    def recording(self: Committer, tx: EndorsedTransaction) -> None:
        captured.append(tx)
        original(self, tx)

    monkeypatch.setattr(Committer, "enqueue", recording)
    body = ship_body("SHP-DUP-2", "WholesaleMSP", network.gtin, "LOT001", 2)
    result = submit(ledger, signer("MakerMSP"), "Ship", body)
    replay = dataclasses.replace(captured[-1], done=Future())

    ledger._ensure_committer().enqueue(replay)
    block, index, validation = replay.done.result(timeout=10)

    assert validation == "DUPLICATE_TXID"
    assert block == result.block + 1
    assert ledger.transaction_status(result.tx_id) == (result.block, 0, "VALID")
    _assert_duplicate_changed_nothing(network, ledger, signer, block, index)


def _assert_duplicate_changed_nothing(
    network: SmallNetwork, ledger: EmbeddedLedger, signer: Signer, block: int, index: int
) -> None:
    assert ledger_rows(
        ledger.path, "SELECT COUNT(*) FROM history WHERE block = ? AND tx_index = ?", (block, index)
    ) == [(0,)]
    assert ledger_rows(
        ledger.path,
        "SELECT event_name FROM transactions WHERE block = ? AND tx_index = ?",
        (block, index),
    ) == [(None,)]
    assert _maker_holding(ledger, signer, network) == 20 - 2  # shipped once, not twice
    assert verify_chain(ledger.path).ok
