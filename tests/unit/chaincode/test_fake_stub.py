"""The fake ledger behaves like Fabric where the contract could tell: a test of the test double."""

from __future__ import annotations

from datetime import datetime

import pytest

from chaincode.stub import create_composite_key
from tests.unit.chaincode.builders import MANUFACTURER, T0, T1
from tests.unit.chaincode.fake_stub import FakeWorld

pytestmark = pytest.mark.unit


def key(*attributes: str) -> str:
    return create_composite_key("thing", list(attributes))


def commit_writes(world: FakeWorld, writes: dict[str, bytes | None], at: datetime = T0) -> str:
    stub = world.stub(MANUFACTURER, at)
    for k, value in writes.items():
        if value is None:
            stub.delete_state(k)
        else:
            stub.put_state(k, value)
    world.commit(stub)
    return stub.get_txid()


def test_stub_reports_the_creator_tx_id_and_timestamp() -> None:
    stub = FakeWorld().stub(MANUFACTURER, T1, tx_id="tx-given")

    assert stub.get_creator().msp_id == MANUFACTURER
    assert stub.get_txid() == "tx-given"
    assert stub.get_tx_timestamp() == T1


def test_tx_ids_are_unique_and_deterministic() -> None:
    first, second = FakeWorld(), FakeWorld()

    ids = [first.next_tx_id() for _ in range(3)]

    assert len(set(ids)) == 3
    assert ids == [second.next_tx_id() for _ in range(3)]


def test_missing_key_reads_as_empty_bytes() -> None:
    assert FakeWorld().stub(MANUFACTURER, T0).get_state(key("a")) == b""


def test_writes_are_buffered_until_commit() -> None:
    world = FakeWorld()
    stub = world.stub(MANUFACTURER, T0)

    stub.put_state(key("a"), b"1")

    assert world.state == {}
    assert stub.get_state(key("a")) == b"", "a peer's simulation reads committed state only"
    world.commit(stub)
    assert world.state == {key("a"): b"1"}


def test_read_own_writes_view_when_asked() -> None:
    world = FakeWorld(read_own_writes=True)
    commit_writes(world, {key("gone"): b"x"})
    stub = world.stub(MANUFACTURER, T1)

    stub.put_state(key("a"), b"1")
    stub.delete_state(key("gone"))

    assert stub.get_state(key("a")) == b"1"
    assert stub.get_state(key("gone")) == b""
    assert list(stub.get_state_by_partial_composite_key("thing", [])) == [(key("a"), b"1")]


def test_an_uncommitted_stub_changes_nothing() -> None:
    world = FakeWorld()
    commit_writes(world, {key("a"): b"1"})
    before = world.snapshot()
    stub = world.stub(MANUFACTURER, T1)

    stub.put_state(key("a"), b"2")
    stub.delete_state(key("a"))
    stub.set_event("Anything", b"{}")

    assert world.snapshot() == before


@pytest.mark.parametrize("value", [b"", None])
def test_put_state_refuses_an_empty_value_and_key(value: bytes | None) -> None:
    stub = FakeWorld().stub(MANUFACTURER, T0)

    with pytest.raises(ValueError, match="non-empty"):
        stub.put_state(key("a"), value or b"")
    with pytest.raises(ValueError, match="empty"):
        stub.put_state("", b"1")


def test_partial_composite_key_scan_is_sorted_and_exact_on_attributes() -> None:
    world = FakeWorld()
    commit_writes(
        world,
        {
            key("b", "2"): b"b2",
            key("a", "9"): b"a9",
            key("b", "10"): b"b10",
            key("bb", "1"): b"bb1",
            create_composite_key("other", ["b", "1"]): b"other",
        },
    )
    stub = world.stub(MANUFACTURER, T1)

    assert [v for _, v in stub.get_state_by_partial_composite_key("thing", ["b"])] == [
        b"b10",
        b"b2",
    ]
    assert [v for _, v in stub.get_state_by_partial_composite_key("thing", [])] == [
        b"a9",
        b"b10",
        b"b2",
        b"bb1",
    ]


def test_only_the_last_event_of_a_transaction_is_kept() -> None:
    world = FakeWorld()
    stub = world.stub(MANUFACTURER, T0)

    stub.set_event("First", b"1")
    stub.set_event("Last", b"2")
    world.commit(stub)

    assert [(e.name, e.payload) for e in world.events] == [("Last", b"2")]
    assert world.last_event.tx_id == stub.get_txid()


def test_event_needs_a_name() -> None:
    with pytest.raises(ValueError, match="name"):
        FakeWorld().stub(MANUFACTURER, T0).set_event("", b"{}")


def test_history_is_newest_first_like_fabric_and_records_deletes() -> None:
    world = FakeWorld()
    first = commit_writes(world, {key("a"): b"1"}, T0)
    second = commit_writes(world, {key("a"): None}, T1)

    entries = list(world.stub(MANUFACTURER, T1).get_history_for_key(key("a")))

    assert [(e.tx_id, e.is_delete, e.value) for e in entries] == [
        (second, True, b""),
        (first, False, b"1"),
    ]
    assert entries[1].timestamp == T0
    assert key("a") not in world.state


def test_history_oldest_first_when_configured_like_the_embedded_ledger() -> None:
    world = FakeWorld(history_newest_first=False)
    first = commit_writes(world, {key("a"): b"1"})
    second = commit_writes(world, {key("a"): b"2"})

    entries = world.stub(MANUFACTURER, T1).get_history_for_key(key("a"))

    assert [e.tx_id for e in entries] == [first, second]
