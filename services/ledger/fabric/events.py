"""Committed chaincode events from the Gateway's ChaincodeEvents stream, resumable.

Checkpoints. The gateway streams, per block holding any, the contract's events of valid
transactions in transaction order; an event carries its transaction id but not the transaction's
position in the block. The fabric-gateway clients therefore checkpoint (block number, id of the
last transaction processed) and resume with start block + ``after_transaction_id``. The port's
`Checkpoint` is (block, tx_index); on Fabric its `tx_index` is the event's *ordinal*: its
position among this contract's events in that block (0-based). A transaction emits at most one
event, so the ordinal names an event as exactly as its transaction id does, never changes once
the block is committed, and orders events as the ledger does. Resuming asks for the checkpoint's
block and skips that block's first ``tx_index + 1`` events: no gap, no duplicate.
Difference to the embedded ledger, whose `tx_index` is the transaction's position counting every
transaction in the block: the values differ (not the order), so a checkpoint belongs to the
backend that produced it. `blocks.BlockEvent` keeps both numbers when a block is read.

Reading up to now. The stream never ends and skips blocks without events, so "everything
committed so far" needs a bound: the height (qscc GetChainInfo) and the last block below it
holding one of the contract's events, found by reading blocks backwards from the top until one
has an event. Blocks never change, so each is examined at most once per ledger object.

Timestamps. Gateway events carry none; the contract stamps every event payload with its
transaction's timestamp (``"at"``, UTC, milliseconds). Where a payload has no ``at``, the
block is read and the transaction's channel header timestamp is used.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.identity import OrgIdentity
from services.ledger.errors import LedgerError
from services.ledger.fabric import errors, protos
from services.ledger.fabric.blocks import BlockEvent, LedgerQueries
from services.ledger.fabric.gateway import Connection
from services.ledger.fabric.identity import creator
from services.ledger.port import ChaincodeEvent, Checkpoint

_RETRY_FIRST, _RETRY_MAX = 0.5, 10.0


@dataclass(frozen=True, slots=True)
class StreamedEvent:
    """One event as the gateway streams it, with its block and ordinal in that block."""

    block: int
    ordinal: int
    tx_id: str
    name: str
    payload: bytes

    @property
    def checkpoint(self) -> Checkpoint:
        return Checkpoint(self.block, self.ordinal)


@dataclass(frozen=True, slots=True)
class LastEvent:
    """The block holding the contract's latest committed event and how many it holds."""

    block: int
    count: int

    @property
    def checkpoint(self) -> Checkpoint:
        return Checkpoint(self.block, self.count - 1)


def events_request(signer: OrgIdentity, channel: str, chaincode: str, start_block: int) -> Any:
    """A signed `ChaincodeEventsRequest` reading from `start_block` (inclusive)."""
    request = protos.gateway.ChaincodeEventsRequest(
        channel_id=channel,
        chaincode_id=chaincode,
        identity=creator(signer),
        start_position=protos.orderer.SeekPosition(
            specified=protos.orderer.SeekSpecified(number=start_block)
        ),
    )
    request_bytes = bytes(request.SerializeToString())
    return protos.gateway.SignedChaincodeEventsRequest(
        request=request_bytes, signature=signer.sign(request_bytes)
    )


def start_block(after: Checkpoint | None) -> int:
    """The block to stream from: the checkpoint's own (it may hold further events)."""
    return after.block if after is not None else 0


def events_after(responses: Iterable[Any], after: Checkpoint | None) -> Iterator[StreamedEvent]:
    """The events of `ChaincodeEventsResponse`s strictly after `after`, with their ordinals."""
    for response in responses:
        block = int(response.block_number)
        for ordinal, event in enumerate(response.events):
            streamed = StreamedEvent(
                block, ordinal, str(event.tx_id), str(event.event_name), bytes(event.payload)
            )
            if after is None or streamed.checkpoint > after:
                yield streamed


def stamped_at(payload: bytes) -> datetime | None:
    """The transaction time the contract wrote into an event payload ("at"), if any."""
    try:
        body = json.loads(payload)
    except ValueError:
        return None
    at = body.get("at") if isinstance(body, dict) else None
    if not isinstance(at, str):
        return None
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class EventTail:
    """Remembers which committed block holds the contract's last event."""

    def __init__(self, events_in: Callable[[int], list[BlockEvent]]) -> None:
        self._events_in = events_in
        self._scanned = 0  # every block below this number has been accounted for
        self._last: LastEvent | None = None
        self._lock = threading.Lock()

    def last(self, height: int) -> LastEvent | None:
        """The last block below `height` holding an event (None if there is none)."""
        with self._lock:
            for number in range(height - 1, self._scanned - 1, -1):
                found = self._events_in(number)
                if found:
                    self._last = LastEvent(number, len(found))
                    break
            self._scanned = max(self._scanned, height)
            return self._last


class EventReader:
    """Reads and follows the contract's events through one gateway peer."""

    def __init__(self, connection: Connection, signer: OrgIdentity) -> None:
        self._connection = connection
        self._signer = signer
        self.queries = LedgerQueries(connection, signer)
        self._tail = EventTail(self.queries.contract_events)
        self._calls: set[Any] = set()
        self._lock = threading.Lock()
        self._closed = threading.Event()

    def read(self, after: Checkpoint | None, limit: int) -> list[ChaincodeEvent]:
        """Committed events strictly after `after`, oldest first, at most `limit`."""
        if limit <= 0:
            return []
        last = self._tail.last(self.queries.height())
        if last is None or (after is not None and after >= last.checkpoint):
            return []
        page: list[ChaincodeEvent] = []
        call = self._open(after, timeout=self._connection.timeouts.events_read)
        try:
            for streamed in events_after(call, after):
                if streamed.block > last.block:
                    break  # defensive: the bound block had fewer events than counted
                page.append(self._event(streamed))
                if len(page) >= limit or streamed.checkpoint >= last.checkpoint:
                    break
        except protos.grpc.RpcError as exc:
            raise errors.events_error(errors.failure_of(exc)) from exc
        finally:
            self._finish(call)
        return page

    def follow(
        self, after: Checkpoint | None, stop: threading.Event | None
    ) -> Iterator[ChaincodeEvent]:
        """Events after `after` as they commit, until `stop` is set or the reader is closed.

        A dropped connection is retried (with backoff) from the last event yielded.
        """
        stop = stop or threading.Event()
        delay = _RETRY_FIRST
        while not (stop.is_set() or self._closed.is_set()):
            call = self._open(after, timeout=None)
            watcher = self._cancel_on(stop, call)
            try:
                for streamed in events_after(call, after):
                    event = self._event(streamed)
                    yield event
                    after, delay = event.checkpoint, _RETRY_FIRST
            except protos.grpc.RpcError as exc:
                if stop.is_set() or self._closed.is_set():
                    return
                failure = errors.failure_of(exc)
                if not failure.transient:
                    raise errors.events_error(failure) from exc
            finally:
                watcher.set()
                self._finish(call)
            self._pause(stop, delay)  # the stream dropped (or ended): reconnect, backing off
            delay = min(delay * 2, _RETRY_MAX)

    def close(self) -> None:
        """Cancel every open stream; followers return."""
        self._closed.set()
        with self._lock:
            calls = list(self._calls)
        for call in calls:
            call.cancel()

    def _open(self, after: Checkpoint | None, timeout: float | None) -> Any:
        if self._closed.is_set():
            raise LedgerError("The ledger is closed.")
        request = events_request(
            self._signer, self._connection.channel, self._connection.chaincode, start_block(after)
        )
        call = self._connection.stub.ChaincodeEvents(request, timeout=timeout)
        with self._lock:
            self._calls.add(call)
        return call

    def _finish(self, call: Any) -> None:
        call.cancel()
        with self._lock:
            self._calls.discard(call)

    def _pause(self, stop: threading.Event, seconds: float) -> None:
        """Sleep up to `seconds`, waking early when `stop` is set or the reader closes."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not (stop.is_set() or self._closed.is_set()):
            stop.wait(min(0.1, seconds))

    def _cancel_on(self, stop: threading.Event, call: Any) -> threading.Event:
        """Cancel `call` once `stop` is set; set the returned event when no longer needed."""
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                if stop.wait(0.1):
                    call.cancel()
                    return

        threading.Thread(target=watch, name="fabric-events-stop", daemon=True).start()
        return done

    def _event(self, streamed: StreamedEvent) -> ChaincodeEvent:
        return ChaincodeEvent(
            block=streamed.block,
            tx_index=streamed.ordinal,
            tx_id=streamed.tx_id,
            name=streamed.name,
            payload=streamed.payload,
            timestamp=stamped_at(streamed.payload) or self._block_timestamp(streamed),
        )

    def _block_timestamp(self, streamed: StreamedEvent) -> datetime:
        for event in self.queries.contract_events(streamed.block):
            if event.tx_id == streamed.tx_id:
                return event.timestamp
        raise LedgerError(
            f"Transaction {streamed.tx_id} is not in block {streamed.block}.",
            tx_id=streamed.tx_id,
        )
