"""The chaincode side of Fabric's chaincode protocol, on one bidirectional peer stream.

Follows fabric-chaincode-go's `shim/handler.go`:

- we send REGISTER carrying our `ChaincodeID` (name = the chaincode package id); the peer answers
  REGISTERED, then READY;
- each TRANSACTION (or INIT) runs the contract in a worker thread of its own, so the peer may run
  several transactions at once on one stream; the worker's stub sends GET_STATE, PUT_STATE, … tagged
  with the transaction's (channel, txid) and waits for the peer's RESPONSE or ERROR for that pair;
- the transaction ends with COMPLETED whose payload is a serialized `protos.Response`: status 200
  with the contract's result and the transaction's `ChaincodeEvent` on the message, or status 500
  with `ContractError.to_wire()` as the message — the way the Go shim reports an error, which the
  peer's endorser turns into a failed proposal carrying that message;
- KEEPALIVE is echoed back.

Guarantees the PyPI shim (fabric-chaincode-python 2.5.4) does not give, each covered by the tests:
every TRANSACTION gets exactly one reply whatever fails (an unexpected exception becomes
COMPLETED/500 with an INTERNAL `ContractError`, at once); an ERROR from the peer fails the request
that caused it (never read as a value); the event reaches the peer; and nothing logs state values
or transaction arguments (logs carry short transaction ids, known transaction names, outcomes and
exception types only).

The handler does not know gRPC: it is given a thread-safe `send` callable for outgoing messages and
is fed incoming messages through `handle`, so the unit tests drive it with an in-process fake peer.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from chaincode.contract import EVALUATE, SUBMIT
from chaincode.errors import ContractError, ErrorCode
from chaincode.fabric_service import _protos as pb
from chaincode.fabric_service import faults
from chaincode.fabric_service.stub import (
    FabricStub,
    PeerError,
    PeerTimeoutError,
    StreamClosedError,
    decode_proposal,
)
from chaincode.stub import ChaincodeStub

LOGGER = logging.getLogger("pharmatrace.chaincode")

OK = 200
ERROR_STATUS = 500
_KNOWN_FUNCTIONS = frozenset(SUBMIT) | frozenset(EVALUATE)

Send = Callable[[pb.Message], None]
TxKey = tuple[str, str]  # (channel id, transaction id), as the Go shim keys its response channels


class Contract(Protocol):
    """What the handler runs: `chaincode.PharmaTraceContract` or a test double."""

    def invoke(self, stub: ChaincodeStub, function: str, parameters: list[str]) -> bytes: ...


class HandlerState(StrEnum):
    CREATED = "created"  # REGISTER sent, waiting for REGISTERED
    ESTABLISHED = "established"  # registered, waiting for READY
    READY = "ready"  # serving transactions
    CLOSED = "closed"  # the stream ended


class ProtocolError(Exception):
    """The peer broke the protocol or refused us; the stream must end (as in the Go shim)."""


def short_txid(txid: str) -> str:
    """The first 8 characters, as Fabric logs transaction ids."""
    return txid[:8]


@dataclass(eq=False)
class _Waiter:
    done: threading.Event = field(default_factory=threading.Event)
    reply: pb.Message | None = None


@dataclass
class _Outcome:
    response: pb.Message
    event: tuple[str, bytes] | None
    summary: str


class Handler:
    """One peer stream: registration, transactions in worker threads, request/response routing."""

    def __init__(
        self,
        contract: Contract,
        package_id: str,
        send: Send,
        *,
        workers: int = 16,
        peer_timeout: float = 60.0,
        test_faults: bool = False,
    ) -> None:
        if not package_id:
            raise ValueError("the chaincode package id is required")
        self._contract = contract
        self._package_id = package_id
        self._sink = send
        self._peer_timeout = peer_timeout
        self._test_faults = test_faults
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="chaincode-tx")
        self._send_lock = threading.Lock()  # one writer at a time on the stream
        self._lock = threading.Lock()  # state, waiters and running transactions
        self._waiters: dict[TxKey, _Waiter] = {}
        self._running: set[TxKey] = set()
        self._closed = False
        self.state = HandlerState.CREATED

    # -- stream lifecycle ----------------------------------------------------------------------
    def start(self) -> None:
        """Send REGISTER with our chaincode id; the peer answers REGISTERED, then READY."""
        chaincode_id = pb.chaincode.ChaincodeID(name=self._package_id)
        LOGGER.info("registering with the peer as %s", self._package_id)
        self._send(
            pb.shim.ChaincodeMessage(type=pb.REGISTER, payload=chaincode_id.SerializeToString())
        )

    def close(self) -> None:
        """The stream ended: wake every waiting request (it fails with `StreamClosedError`)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self.state = HandlerState.CLOSED
            waiters = list(self._waiters.values())
        for waiter in waiters:
            waiter.done.set()
        self._executor.shutdown(wait=False, cancel_futures=True)
        LOGGER.info("stream to the peer closed")

    @property
    def closed(self) -> bool:
        return self._closed

    # -- incoming messages ---------------------------------------------------------------------
    def handle(self, message: pb.Message) -> None:
        """Process one message from the peer. Never blocks on a transaction.

        Raises `ProtocolError` when the stream must end.
        """
        kind = int(message.type)
        if kind == pb.KEEPALIVE:
            self._send_quietly(message)  # answer in kind, as the Go shim does
            return
        if self.state is HandlerState.READY:
            self._handle_ready(message, kind)
        elif self.state is HandlerState.ESTABLISHED:
            self._expect(message, kind, pb.READY, HandlerState.READY)
            LOGGER.info("the peer is ready; serving transactions")
        elif self.state is HandlerState.CREATED:
            self._expect(message, kind, pb.REGISTERED, HandlerState.ESTABLISHED)
            LOGGER.info("registered with the peer")
        else:
            raise ProtocolError("message received after the stream closed")

    def _expect(self, message: pb.Message, kind: int, wanted: int, then: HandlerState) -> None:
        if kind == wanted:
            self.state = then
            return
        if kind == pb.ERROR:
            # The peer's own words (e.g. an unknown package id); they carry no state.
            reason = bytes(message.payload).decode("utf-8", "replace")
            LOGGER.error("the peer refused the registration: %s", reason)
            raise ProtocolError("the peer refused the registration")
        problem = f"unexpected {pb.type_name(kind)} while {self.state}"
        self._send_quietly(self._error_reply(message, problem))
        LOGGER.error("protocol error: %s", problem)
        raise ProtocolError(problem)

    def _handle_ready(self, message: pb.Message, kind: int) -> None:
        if kind in (pb.RESPONSE, pb.ERROR):
            self._route_reply(message)
        elif kind in (pb.TRANSACTION, pb.INIT):
            self._start_transaction(message)
        else:
            problem = f"unexpected {pb.type_name(kind)} while ready"
            LOGGER.warning("tx %s: %s", short_txid(str(message.txid)), problem)
            self._send_quietly(self._error_reply(message, problem))

    def _route_reply(self, message: pb.Message) -> None:
        key = (str(message.channel_id), str(message.txid))
        with self._lock:
            waiter = self._waiters.get(key)
            if waiter is not None and waiter.reply is None:
                waiter.reply = message
                waiter.done.set()
                return
        LOGGER.warning(
            "tx %s: %s from the peer matches no waiting request; ignored",
            short_txid(key[1]),
            pb.type_name(int(message.type)),
        )

    # -- requests to the peer (the stub's `PeerLink`) ------------------------------------------
    def call(self, channel_id: str, txid: str, message_type: int, payload: bytes) -> bytes:
        """Send one request for a transaction and wait for the peer's answer to it."""
        key = (channel_id, txid)
        waiter = _Waiter()
        with self._lock:
            if self._closed:
                raise StreamClosedError("the stream to the peer is closed")
            if key in self._waiters:  # a transaction's requests are sequential by construction
                raise RuntimeError("a request of this transaction is already waiting")
            self._waiters[key] = waiter
        try:
            self._send(
                pb.shim.ChaincodeMessage(
                    type=message_type, payload=payload, txid=txid, channel_id=channel_id
                )
            )
            if not waiter.done.wait(self._peer_timeout):
                raise PeerTimeoutError(f"no answer from the peer to {pb.type_name(message_type)}")
        finally:
            with self._lock:
                self._waiters.pop(key, None)
        reply = waiter.reply
        if reply is None:
            raise StreamClosedError("the stream to the peer closed during a request")
        if int(reply.type) == pb.RESPONSE:
            return bytes(reply.payload)
        if int(reply.type) == pb.ERROR:
            raise PeerError(bytes(reply.payload).decode("utf-8", "replace"))
        raise PeerError(f"unexpected {pb.type_name(int(reply.type))} in answer to a request")

    # -- transactions --------------------------------------------------------------------------
    def _start_transaction(self, message: pb.Message) -> None:
        key = (str(message.channel_id), str(message.txid))
        with self._lock:
            duplicate = key in self._running
            if not duplicate:
                self._running.add(key)
        if duplicate:
            LOGGER.warning("tx %s: already running; refused", short_txid(key[1]))
            self._send_quietly(self._error_reply(message, "this transaction is already running"))
            return
        try:
            self._executor.submit(self._execute, message)
        except RuntimeError:  # the executor shut down: the stream is closing
            self._finish(
                message,
                _Outcome(_internal_response("The chaincode service is shutting down."), None, ""),
            )

    def _execute(self, message: pb.Message) -> None:
        """Worker thread: run one transaction and always reply to it exactly once."""
        started = time.monotonic()
        outcome: _Outcome | None = None
        try:
            outcome = self._run(message)
        finally:
            # Reached for BaseException too (the exception then goes on to the executor).
            if outcome is None:
                outcome = _Outcome(
                    _internal_response("The chaincode service failed."), None, "INTERNAL"
                )
            self._finish(message, outcome)
            LOGGER.info(
                "tx %s %s: %s in %.1f ms",
                short_txid(str(message.txid)),
                outcome_name(message),
                outcome.summary,
                (time.monotonic() - started) * 1000,
            )

    def _run(self, message: pb.Message) -> _Outcome:
        function = ""
        stub: FabricStub | None = None
        try:
            function, parameters = _function_and_parameters(message)
            header = decode_proposal(message.proposal) if message.HasField("proposal") else None
            stub = FabricStub(self, str(message.channel_id), str(message.txid), header)
            if self._test_faults and faults.is_fault(function):
                payload = faults.run(function, stub)
            else:
                payload = self._contract.invoke(stub, function, parameters)
            if stub.failure is not None:  # a failed peer request was swallowed: not a success
                raise stub.failure
            return _Outcome(
                pb.response.Response(status=OK, payload=payload),
                stub.event,
                "OK" + (" with event" if stub.event else ""),
            )
        except ContractError as err:
            if stub is not None and stub.failure is not None and err.code is not ErrorCode.INTERNAL:
                # Refused after a failed peer request was swallowed: report the real failure.
                return self._internal(message, function, stub.failure)
            if err.code is ErrorCode.INTERNAL:
                _log_internal(message, err.__cause__ or err)
            return _Outcome(_error_response(err), None, f"refused {err.code}")
        except Exception as exc:
            return self._internal(message, function, exc)

    @staticmethod
    def _internal(message: pb.Message, function: str, exc: BaseException) -> _Outcome:
        _log_internal(message, exc)
        label = function if function in _KNOWN_FUNCTIONS else "the transaction"
        error = ContractError(
            ErrorCode.INTERNAL,
            f"{label} failed in the chaincode service: {type(exc).__name__}.",
        )
        return _Outcome(_error_response(error), None, f"INTERNAL ({type(exc).__name__})")

    def _finish(self, message: pb.Message, outcome: _Outcome) -> None:
        reply = pb.shim.ChaincodeMessage(
            type=pb.COMPLETED,
            payload=outcome.response.SerializeToString(),
            txid=message.txid,
            channel_id=message.channel_id,
        )
        if outcome.event is not None:
            name, payload = outcome.event
            # The peer fills in chaincode_id and tx_id (processChaincodeExecutionResult).
            reply.chaincode_event.CopyFrom(
                pb.events.ChaincodeEvent(event_name=name, payload=payload)
            )
        try:
            self._send_quietly(reply)
        finally:
            with self._lock:
                self._running.discard((str(message.channel_id), str(message.txid)))

    # -- sending -------------------------------------------------------------------------------
    def _send(self, message: pb.Message) -> None:
        with self._send_lock:
            if self._closed:
                raise StreamClosedError("the stream to the peer is closed")
            self._sink(message)

    def _send_quietly(self, message: pb.Message) -> None:
        """Send a reply; a closed stream is logged, not raised (there is nobody to tell)."""
        try:
            self._send(message)
        except Exception as exc:
            LOGGER.warning(
                "tx %s: could not send %s (%s)",
                short_txid(str(message.txid)),
                pb.type_name(int(message.type)),
                type(exc).__name__,
            )

    @staticmethod
    def _error_reply(message: pb.Message, problem: str) -> pb.Message:
        return pb.shim.ChaincodeMessage(
            type=pb.ERROR,
            payload=problem.encode(),
            txid=message.txid,
            channel_id=message.channel_id,
        )


def _function_and_parameters(message: pb.Message) -> tuple[str, list[str]]:
    arguments = list(pb.chaincode.ChaincodeInput.FromString(message.payload).args)
    try:
        texts = [bytes(argument).decode("utf-8") for argument in arguments]
    except UnicodeDecodeError:
        raise ContractError(
            ErrorCode.INVALID_ARGUMENT, "Transaction arguments must be UTF-8 text."
        ) from None
    return (texts[0], texts[1:]) if texts else ("", [])


def outcome_name(message: pb.Message) -> str:
    """The transaction's name for logs: a known contract function, never client text."""
    try:
        arguments = pb.chaincode.ChaincodeInput.FromString(message.payload).args
        function = bytes(arguments[0]).decode("utf-8") if arguments else ""
    except Exception:
        return "<undecodable>"
    if function in _KNOWN_FUNCTIONS or faults.is_fault(function):
        return function
    return "<unknown function>"


def _error_response(error: ContractError) -> pb.Message:
    return pb.response.Response(status=ERROR_STATUS, message=error.to_wire())


def _internal_response(message: str) -> pb.Message:
    return _error_response(ContractError(ErrorCode.INTERNAL, message))


def _log_internal(message: pb.Message, exc: BaseException) -> None:
    """An unexpected failure: its type and code location, never its message (it may hold data)."""
    frames = "".join(traceback.format_tb(exc.__traceback__)).rstrip()
    LOGGER.error(
        "tx %s failed unexpectedly: %s%s",
        short_txid(str(message.txid)),
        type(exc).__name__,
        f"\n{frames}" if frames else "",
    )
