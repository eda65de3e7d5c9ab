"""Events: checkpoint filtering, reads bounded by the height, following, block parsing."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from services.identity import OrgIdentity
from services.ledger import ChaincodeEvent, Checkpoint
from services.ledger.fabric import FabricLedger, protos
from services.ledger.fabric.blocks import BlockEvent, contract_events
from services.ledger.fabric.events import EventTail, LastEvent, events_after, stamped_at
from tests.unit.fabric_client.fakes import MVCC_READ_CONFLICT, FakeGateway

pytestmark = pytest.mark.unit

AT = datetime(2026, 1, 5, 9, 0, 0, 250000, tzinfo=UTC)


def payload(name: str, at: datetime | None = AT) -> bytes:
    body: dict[str, Any] = {"event": name}
    if at is not None:
        body["at"] = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return json.dumps(body).encode()


def response(block: int, *tx_ids: str) -> Any:
    message = protos.gateway.ChaincodeEventsResponse(block_number=block)
    for tx_id in tx_ids:
        message.events.add(chaincode_id="pharmatrace", tx_id=tx_id, event_name="E", payload=b"{}")
    return message


@pytest.fixture
def ledger_with_history(gateway: FakeGateway) -> FakeGateway:
    """Blocks: 0 config; 1 [a]; 2 [b, invalid x, other chaincode y, c]; 3 [read-only];
    4 [invalid z] — the last two hold no event, as after a query-only submit or a conflict."""
    g = gateway
    g.commit_block([g.endorsed_tx("a", ("BatchRegistered", payload("a")))])
    g.commit_block(
        [
            g.endorsed_tx("b", ("ShipmentShipped", payload("b"))),
            g.endorsed_tx("x", ("ShipmentShipped", payload("x")), validation=MVCC_READ_CONFLICT),
            g.endorsed_tx("y", ("Other", payload("y")), chaincode="othercc"),
            g.endorsed_tx("c", ("ShipmentReceived", payload("c", at=None)), at=AT),
        ]
    )
    g.commit_block([g.endorsed_tx("r", None)])
    g.commit_block([g.endorsed_tx("z", ("Lost", payload("z")), validation=MVCC_READ_CONFLICT)])
    return g


def ids(events: list[ChaincodeEvent]) -> list[tuple[int, int, str]]:
    return [(e.block, e.tx_index, e.tx_id) for e in events]


# -- pure checkpoint filtering ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (None, ["a", "b", "c"]),
        (Checkpoint(1, 0), ["b", "c"]),
        (Checkpoint(2, 0), ["c"]),
        (Checkpoint(2, 1), []),
        (Checkpoint(2, 7), []),
        (Checkpoint(0, 5), ["a", "b", "c"]),
    ],
)
def test_events_strictly_after_the_checkpoint_are_kept(
    after: Checkpoint | None, expected: list[str]
) -> None:
    responses = [response(1, "a"), response(2, "b", "c")]

    kept = list(events_after(responses, after))

    assert [e.tx_id for e in kept] == expected
    assert all(after is None or e.checkpoint > after for e in kept)


def test_the_ordinal_counts_events_within_their_block() -> None:
    kept = list(events_after([response(4, "p", "q", "r"), response(9, "s")], None))

    assert [(e.block, e.ordinal) for e in kept] == [(4, 0), (4, 1), (4, 2), (9, 0)]


# -- blocks ---------------------------------------------------------------------------------------


def test_block_parsing_keeps_valid_events_of_our_chaincode_in_order(
    ledger_with_history: FakeGateway,
) -> None:
    found = contract_events(ledger_with_history.block_proto(2), "pharmatrace")

    assert [(e.ordinal, e.tx_index, e.tx_id, e.name) for e in found] == [
        (0, 0, "b", "ShipmentShipped"),
        (1, 3, "c", "ShipmentReceived"),
    ]
    assert found[1].timestamp == AT
    assert contract_events(ledger_with_history.block_proto(0), "pharmatrace") == []
    assert contract_events(ledger_with_history.block_proto(4), "pharmatrace") == []


def test_the_tail_reads_each_block_once() -> None:
    fetched: list[int] = []
    holding = {2: 1, 5: 3}

    def events_in(number: int) -> list[BlockEvent]:
        fetched.append(number)
        event = BlockEvent(number, 0, 0, "t", "E", b"", AT)
        return [event] * holding.get(number, 0)

    tail = EventTail(events_in)

    assert tail.last(4) == LastEvent(2, 1)
    assert fetched == [3, 2]
    last = tail.last(8)
    assert last == LastEvent(5, 3)
    assert fetched == [3, 2, 7, 6, 5]
    assert tail.last(8) == last
    assert fetched == [3, 2, 7, 6, 5]


def test_a_ledger_without_events_has_no_tail() -> None:
    tail = EventTail(lambda _n: [])

    assert tail.last(3) is None


# -- reading ---------------------------------------------------------------------------------------


def test_read_returns_everything_committed_and_does_not_wait_past_the_last_event(
    ledger: FabricLedger, ledger_with_history: FakeGateway
) -> None:
    events = ledger.read_events(None)

    assert ids(events) == [(1, 0, "a"), (2, 0, "b"), (2, 1, "c")]
    assert [e.name for e in events] == ["BatchRegistered", "ShipmentShipped", "ShipmentReceived"]
    assert events[0].payload == payload("a")
    assert ledger.height() == 5


def test_read_resumes_inside_a_block_without_gap_or_duplicate(
    ledger: FabricLedger, ledger_with_history: FakeGateway
) -> None:
    first = ledger.read_events(None, limit=2)
    rest = ledger.read_events(first[-1].checkpoint)

    assert ids(first) == [(1, 0, "a"), (2, 0, "b")]
    assert ids(rest) == [(2, 1, "c")]


def test_reading_when_caught_up_opens_no_stream(
    ledger: FabricLedger, ledger_with_history: FakeGateway
) -> None:
    last = ledger.read_events(None)[-1]
    opened = ledger_with_history.streams_opened

    assert ledger.read_events(last.checkpoint) == []
    assert ledger.read_events(Checkpoint(9, 0)) == []
    assert ledger_with_history.streams_opened == opened


def test_new_commits_are_read_after_the_checkpoint(
    ledger: FabricLedger, maker: OrgIdentity, ledger_with_history: FakeGateway
) -> None:
    checkpoint = ledger.read_events(None)[-1].checkpoint

    committed = ledger.contract(maker).submit("RegisterProduct", "{}")
    events = ledger.read_events(checkpoint)

    assert ids(events) == [(committed.block, 0, committed.tx_id)]
    assert events[0].name == "RegisterProductDone"


def test_timestamps_come_from_the_payload_or_else_from_the_block(
    ledger: FabricLedger, ledger_with_history: FakeGateway
) -> None:
    events = {e.tx_id: e for e in ledger.read_events(None)}

    assert events["a"].timestamp == AT.replace(microsecond=250000)  # "at": milliseconds
    assert events["c"].timestamp == AT  # no "at" in the payload: the block's channel header


def test_an_empty_ledger_reads_nothing(ledger: FabricLedger) -> None:
    assert ledger.read_events(None) == []
    assert ledger.read_events(None, limit=0) == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"at": "2026-01-05T09:00:00.250Z"}', AT),
        (b'{"at": "2026-01-05T09:00:00.250"}', AT),
        (b'{"at": 5}', None),
        (b'{"at": "yesterday"}', None),
        (b"[1, 2]", None),
        (b"\xff", None),
    ],
)
def test_stamped_at(raw: bytes, expected: datetime | None) -> None:
    assert stamped_at(raw) == expected


# -- following ---------------------------------------------------------------------------------


def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_follow_yields_history_then_new_commits_and_stops_when_asked(
    ledger: FabricLedger, maker: OrgIdentity, ledger_with_history: FakeGateway
) -> None:
    stop = threading.Event()
    seen: list[ChaincodeEvent] = []
    follower = threading.Thread(target=lambda: seen.extend(ledger.events(Checkpoint(1, 0), stop)))
    follower.start()

    committed = ledger.contract(maker).submit("Ship", "{}")
    wait_for(lambda: len(seen) == 3)
    stop.set()
    follower.join(5)

    assert not follower.is_alive(), "the follower did not stop"
    assert ids(seen) == [(2, 0, "b"), (2, 1, "c"), (committed.block, 0, committed.tx_id)]


def test_follow_reconnects_after_a_dropped_stream_from_its_last_event(
    ledger: FabricLedger, maker: OrgIdentity, ledger_with_history: FakeGateway
) -> None:
    ledger_with_history.drop_streams_after.append(1)  # the first stream dies after block 1
    stop = threading.Event()
    seen: list[ChaincodeEvent] = []
    follower = threading.Thread(target=lambda: seen.extend(ledger.events(None, stop)))
    follower.start()

    wait_for(lambda: len(seen) == 3)
    stop.set()
    follower.join(5)

    assert ids(seen) == [(1, 0, "a"), (2, 0, "b"), (2, 1, "c")]
    assert ledger_with_history.streams_opened == 2


def test_close_ends_a_follower(ledger: FabricLedger, ledger_with_history: FakeGateway) -> None:
    seen: list[ChaincodeEvent] = []
    follower = threading.Thread(target=lambda: seen.extend(ledger.events(None)))
    follower.start()
    wait_for(lambda: len(seen) == 3)

    ledger.close()
    follower.join(5)

    assert not follower.is_alive()
