"""An in-memory Fabric ledger for the contract's unit tests (never for production).

`FakeWorld` is the shared ledger: committed world state, every key's history and the committed
chaincode events. Each transaction runs against its own `FakeStub`, which follows Fabric wherever
the contract could notice the difference:

- the creator's MSP ID, the transaction id and the timestamp are the ones the test gives;
- writes are buffered and applied only when the transaction succeeds, so a refused transaction
  provably changes nothing; reads see committed state only, as in a peer's simulation and in the
  embedded ledger (`read_own_writes=True` gives a read-your-writes view, to show the contract
  does not depend on either);
- `get_state` of a missing key returns empty bytes; empty keys and empty values are refused;
- a partial-composite-key query returns its keys in sorted order;
- `set_event` keeps only the last event of a transaction;
- `get_history_for_key` returns newest first, as the stub protocol and Fabric (since v2.0,
  FAB-16303) require; `history_newest_first=False` exists only to test the fake itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chaincode import canonical
from chaincode.contract import PharmaTraceContract
from chaincode.stub import Creator, KeyModification, create_composite_key

EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Event:
    """One committed chaincode event."""

    tx_id: str
    name: str
    payload: bytes

    @property
    def body(self) -> Any:
        return canonical.loads(self.payload)


@dataclass(frozen=True, slots=True)
class Committed:
    """Who committed which transaction when (for checks on event envelopes)."""

    tx_id: str
    msp_id: str
    function: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything a transaction could change, frozen for comparison."""

    state: dict[str, bytes]
    history: dict[str, tuple[KeyModification, ...]]
    events: tuple[Event, ...]


def _check_key(key: str) -> None:
    if not key:
        raise ValueError("a state key must not be empty")


class FakeStub:
    """One transaction's `ChaincodeStub` over a `FakeWorld`; collects writes and the event."""

    def __init__(self, world: FakeWorld, creator: Creator, tx_id: str, timestamp: datetime) -> None:
        self._world = world
        self._creator = creator
        self._tx_id = tx_id
        self._timestamp = timestamp
        self.writes: dict[str, bytes | None] = {}  # None deletes
        self.event: tuple[str, bytes] | None = None

    def get_txid(self) -> str:
        return self._tx_id

    def get_tx_timestamp(self) -> datetime:
        return self._timestamp

    def get_creator(self) -> Creator:
        return self._creator

    def get_state(self, key: str) -> bytes:
        _check_key(key)
        if self._world.read_own_writes and key in self.writes:
            return self.writes[key] or b""
        return self._world.state.get(key, b"")

    def put_state(self, key: str, value: bytes) -> None:
        _check_key(key)
        if not value:
            raise ValueError("put_state needs a non-empty value; delete_state removes a key")
        self.writes[key] = bytes(value)

    def delete_state(self, key: str) -> None:
        _check_key(key)
        self.writes[key] = None

    def get_state_by_partial_composite_key(
        self, object_type: str, attributes: list[str]
    ) -> Iterator[tuple[str, bytes]]:
        prefix = create_composite_key(object_type, attributes)
        view = dict(self._world.state)
        if self._world.read_own_writes:
            for key, value in self.writes.items():
                if value is None:
                    view.pop(key, None)
                else:
                    view[key] = value
        # Code-point order is UTF-8 byte order, the order of Fabric's range scans.
        return iter([(key, view[key]) for key in sorted(view) if key.startswith(prefix)])

    def get_history_for_key(self, key: str) -> Iterator[KeyModification]:
        _check_key(key)
        entries = list(self._world.history.get(key, ()))
        if self._world.history_newest_first:
            entries.reverse()
        return iter(entries)

    def set_event(self, name: str, payload: bytes) -> None:
        if not name:
            raise ValueError("an event needs a name")
        self.event = (name, bytes(payload))  # Fabric keeps only the last event of a transaction


@dataclass
class FakeWorld:
    """The shared ledger of a unit test, and a small client that submits and evaluates."""

    read_own_writes: bool = False
    history_newest_first: bool = True
    state: dict[str, bytes] = field(default_factory=dict)
    history: dict[str, list[KeyModification]] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    log: list[Committed] = field(default_factory=list)
    now: datetime = EPOCH  # timestamp of the last transaction run; evaluate's default
    contract: PharmaTraceContract = field(default_factory=PharmaTraceContract)
    _tx_count: int = 0

    # -- transactions ----------------------------------------------------------------------------
    def next_tx_id(self) -> str:
        self._tx_count += 1
        return f"tx-{self._tx_count:05d}"

    def stub(self, msp_id: str, at: datetime, tx_id: str | None = None) -> FakeStub:
        creator = Creator(msp_id=msp_id, certificate_pem=f"certificate of {msp_id}".encode())
        return FakeStub(self, creator, tx_id or self.next_tx_id(), at)

    def commit(self, stub: FakeStub, *, msp_id: str = "", function: str = "") -> None:
        """Apply a successful transaction's writes and event, as the committing peer does."""
        tx_id, at = stub.get_txid(), stub.get_tx_timestamp()
        for key in sorted(stub.writes):
            value = stub.writes[key]
            if value is None:
                self.state.pop(key, None)
            else:
                self.state[key] = value
            self.history.setdefault(key, []).append(
                KeyModification(
                    tx_id=tx_id, timestamp=at, value=value or b"", is_delete=value is None
                )
            )
        if stub.event is not None:
            self.events.append(Event(tx_id, *stub.event))
        self.log.append(Committed(tx_id, msp_id or stub.get_creator().msp_id, function, at))

    def invoke(
        self,
        msp_id: str,
        function: str,
        parameters: list[str],
        at: datetime,
        *,
        tx_id: str | None = None,
        commit: bool = True,
    ) -> bytes:
        """Run the contract with raw string parameters; a refusal raises and changes nothing."""
        stub = self.stub(msp_id, at, tx_id)
        self.now = at
        result = self.contract.invoke(stub, function, parameters)
        if commit:
            self.commit(stub, function=function)
        return result

    def submit(
        self, msp_id: str, function: str, body: dict[str, Any], at: datetime, **options: Any
    ) -> Any:
        """Submit one transaction with a JSON-object argument; returns the decoded result."""
        raw = self.invoke(msp_id, function, [json.dumps(body)], at, **options)
        return canonical.loads(raw)

    def evaluate(
        self,
        msp_id: str,
        function: str,
        body: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> Any:
        """Evaluate (never commit) a transaction, by default at the last transaction's time."""
        raw = self.invoke(msp_id, function, [json.dumps(body or {})], at or self.now, commit=False)
        return canonical.loads(raw)

    # -- inspection ------------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        return Snapshot(
            state=dict(self.state),
            history={key: tuple(entries) for key, entries in self.history.items()},
            events=tuple(self.events),
        )

    @property
    def last_event(self) -> Event:
        return self.events[-1]

    def record(self, object_type: str, *attributes: str) -> Any:
        """A committed record, decoded, or None."""
        raw = self.state.get(create_composite_key(object_type, list(attributes)))
        return canonical.loads(raw) if raw else None
