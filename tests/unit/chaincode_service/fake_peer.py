"""An in-process fake peer for the chaincode handler: a dict ledger behind a queue pair.

The handler sends into `FakePeer.inbox` (what a real stream would carry to the peer); the test
feeds the handler with `FakePeer.send` and answers the handler's requests with `serve`, which plays
the peer's part for GET_STATE, PUT_STATE, DEL_STATE, GET_STATE_BY_RANGE (paged like the peer, 100
results a page by default), QUERY_STATE_NEXT / QUERY_STATE_CLOSE and GET_HISTORY_FOR_KEY, or
answers ERROR where the test asks it to.
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chaincode import PharmaTraceContract
from chaincode.fabric_service import _protos as pb
from chaincode.fabric_service.handler import Contract, Handler
from chaincode.identifiers import check_digit

PACKAGE_ID = "pharmatrace_1:0123456789abcdef"
CHANNEL = "pharmatrace"
NAMESPACE = "pharmatrace"
T0 = datetime(2026, 1, 5, 9, 30, 15, 123456, tzinfo=UTC)
FAKE_PEM = b"-----BEGIN CERTIFICATE-----\nMIIB...fake...\n-----END CERTIFICATE-----\n"

Message = Any
# A rule deciding whether a request is answered with ERROR: returns the ERROR payload, or None.
ErrorRule = Callable[[Message], bytes | None]


def gln(body: str) -> str:
    """A valid 13-digit GLN from 12 digits."""
    return body + str(check_digit(body))


def organization_body(
    msp_id: str, role: str, name: str = "Acme Ltd", **extra: Any
) -> dict[str, Any]:
    return {"msp_id": msp_id, "role": role, "name": name, "gln": gln("400123400001"), **extra}


def signed_proposal(
    msp_id: str,
    when: datetime,
    txid: str,
    *,
    channel: str = CHANNEL,
    header_type: int = pb.ENDORSER_TRANSACTION,
    certificate: bytes = FAKE_PEM,
) -> Message:
    """A `SignedProposal` as a client builds it (unsigned: the handler does not verify)."""
    channel_header = pb.common.ChannelHeader(type=header_type, channel_id=channel, tx_id=txid)
    channel_header.timestamp.seconds = int(when.timestamp())
    channel_header.timestamp.nanos = when.microsecond * 1000
    creator = pb.identities.SerializedIdentity(mspid=msp_id, id_bytes=certificate)
    signature_header = pb.common.SignatureHeader(
        creator=creator.SerializeToString(), nonce=b"nonce"
    )
    header = pb.common.Header(
        channel_header=channel_header.SerializeToString(),
        signature_header=signature_header.SerializeToString(),
    )
    proposal = pb.proposal.Proposal(header=header.SerializeToString(), payload=b"")
    return pb.proposal.SignedProposal(proposal_bytes=proposal.SerializeToString(), signature=b"sig")


def transaction_message(
    txid: str,
    args: list[bytes],
    *,
    msp_id: str = "RegulatorMSP",
    when: datetime = T0,
    channel: str = CHANNEL,
    kind: int = pb.TRANSACTION,
    proposal: Message | None = None,
) -> Message:
    message = pb.shim.ChaincodeMessage(
        type=kind,
        payload=pb.chaincode.ChaincodeInput(args=args).SerializeToString(),
        txid=txid,
        channel_id=channel,
    )
    message.proposal.CopyFrom(
        proposal if proposal is not None else signed_proposal(msp_id, when, txid, channel=channel)
    )
    return message


REQUEST_TYPES = frozenset(
    {
        pb.GET_STATE,
        pb.PUT_STATE,
        pb.DEL_STATE,
        pb.GET_STATE_BY_RANGE,
        pb.QUERY_STATE_NEXT,
        pb.QUERY_STATE_CLOSE,
        pb.GET_HISTORY_FOR_KEY,
    }
)


def ready_message() -> Message:
    """READY as a Fabric 3 peer sends it: with the write-batching and multi-get offers."""
    offers = pb.chaincode.ChaincodeAdditionalParams(
        use_write_batch=True,
        max_size_write_batch=1000,
        use_get_multiple_keys=True,
        max_size_get_multiple_keys=1000,
    )
    return pb.shim.ChaincodeMessage(type=pb.READY, payload=offers.SerializeToString())


@dataclass
class HistoryEntry:
    tx_id: str
    when: datetime
    value: bytes
    is_delete: bool = False


@dataclass
class FakePeer:
    """Plays the peer's side of one chaincode stream."""

    contract: Contract = field(default_factory=PharmaTraceContract)
    page_size: int = 100
    handler_options: dict[str, Any] = field(default_factory=dict)
    state: dict[str, bytes] = field(default_factory=dict)
    history: dict[str, list[HistoryEntry]] = field(default_factory=dict)
    writes: dict[str, dict[str, bytes | None]] = field(default_factory=dict)  # by txid
    requests: list[Message] = field(default_factory=list)  # every request served, in order
    error_rules: list[ErrorRule] = field(default_factory=list)
    inbox: queue.Queue[Message] = field(default_factory=queue.Queue)

    def __post_init__(self) -> None:
        self.handler = Handler(self.contract, PACKAGE_ID, self.inbox.put, **self.handler_options)
        self._iterators: dict[str, list[bytes]] = {}
        self._next_iterator = 0
        self._pending: set[tuple[str, str]] = set()

    # -- the stream -------------------------------------------------------------------------------
    def send(self, message: Message) -> None:
        """Deliver a message from the peer to the chaincode."""
        self.handler.handle(message)

    def receive(self, timeout: float = 5.0) -> Message:
        """The next message the chaincode sent (fails the test if none comes in time).

        Like the real peer (core/chaincode/handler.go, registerTxid), a transaction may have only
        one request pending: the peer drops a second one unanswered, so a shim that pipelines
        would hang there. The fake fails the test instead.
        """
        try:
            message = self.inbox.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"the chaincode sent nothing within {timeout} s") from None
        if message.type in REQUEST_TYPES:
            key = (message.channel_id, message.txid)
            assert key not in self._pending, f"two requests in flight for {key}"
            self._pending.add(key)
        return message

    def register(self) -> None:
        """The handshake: REGISTER from us, REGISTERED and READY from the peer."""
        self.handler.start()
        register = self.receive()
        assert register.type == pb.REGISTER
        self.send(pb.shim.ChaincodeMessage(type=pb.REGISTERED))
        self.send(ready_message())

    def close(self) -> None:
        self.handler.close()

    # -- transactions -----------------------------------------------------------------------------
    def invoke(self, txid: str, function: str, *args: str, **options: Any) -> Message:
        """Send a TRANSACTION and serve its requests until its COMPLETED; returns that."""
        arguments = [function.encode(), *(a.encode() for a in args)]
        self.send(transaction_message(txid, arguments, **options))
        return self.serve(txid)

    def serve(self, txid: str, timeout: float = 5.0) -> Message:
        """Answer requests until the chaincode's final message for `txid`; returns it."""
        while True:
            message = self.receive(timeout)
            if message.type in (pb.COMPLETED, pb.ERROR) and message.txid == txid:
                return message
            self.answer(message)

    def answer(self, request: Message) -> None:
        """Answer one request as the peer would (or with ERROR, by the rules)."""
        self.requests.append(request)
        self._pending.discard((request.channel_id, request.txid))
        for rule in self.error_rules:
            payload = rule(request)
            if payload is not None:
                self.send(self._reply(request, pb.ERROR, payload))
                return
        try:
            payload = self._execute(request)
        except LookupError as exc:
            self.send(self._reply(request, pb.ERROR, str(exc).encode()))
            return
        self.send(self._reply(request, pb.RESPONSE, payload))

    def commit(self, txid: str) -> None:
        """Apply a transaction's writes to the state, as if it were committed."""
        for key, value in self.writes.pop(txid, {}).items():
            if value is None:
                self.state.pop(key, None)
            else:
                self.state[key] = value

    # -- the peer's side of each request -----------------------------------------------------
    def _execute(self, request: Message) -> bytes:
        kind = request.type
        if kind == pb.GET_STATE:
            return self.state.get(pb.shim.GetState.FromString(request.payload).key, b"")
        if kind == pb.PUT_STATE:
            put = pb.shim.PutState.FromString(request.payload)
            self.writes.setdefault(request.txid, {})[put.key] = bytes(put.value)
            return b""
        if kind == pb.DEL_STATE:
            key = pb.shim.DelState.FromString(request.payload).key
            self.writes.setdefault(request.txid, {})[key] = None
            return b""
        if kind == pb.GET_STATE_BY_RANGE:
            query = pb.shim.GetStateByRange.FromString(request.payload)
            results = [
                pb.queryresult.KV(namespace=NAMESPACE, key=key, value=value).SerializeToString()
                for key, value in sorted(self.state.items())
                if query.startKey <= key < query.endKey
            ]
            return self._page(results)
        if kind == pb.GET_HISTORY_FOR_KEY:
            key = pb.shim.GetHistoryForKey.FromString(request.payload).key
            results = []
            for entry in reversed(self.history.get(key, [])):  # newest first, like Fabric
                modification = pb.queryresult.KeyModification(
                    tx_id=entry.tx_id, value=entry.value, is_delete=entry.is_delete
                )
                modification.timestamp.seconds = int(entry.when.timestamp())
                modification.timestamp.nanos = entry.when.microsecond * 1000
                results.append(modification.SerializeToString())
            return self._page(results)
        if kind == pb.QUERY_STATE_NEXT:
            iterator_id = pb.shim.QueryStateNext.FromString(request.payload).id
            if iterator_id not in self._iterators:
                raise LookupError("query iterator not found")
            return self._page(self._iterators.pop(iterator_id), iterator_id)
        if kind == pb.QUERY_STATE_CLOSE:
            iterator_id = pb.shim.QueryStateClose.FromString(request.payload).id
            self._iterators.pop(iterator_id, None)
            return bytes(pb.shim.QueryResponse(has_more=False, id=iterator_id).SerializeToString())
        raise LookupError(f"the fake peer does not serve {pb.type_name(kind)}")

    def _page(self, results: list[bytes], iterator_id: str | None = None) -> bytes:
        if iterator_id is None:
            self._next_iterator += 1
            iterator_id = f"iter-{self._next_iterator}"
        page, rest = results[: self.page_size], results[self.page_size :]
        if rest:
            self._iterators[iterator_id] = rest
        response = pb.shim.QueryResponse(has_more=bool(rest), id=iterator_id)
        for raw in page:
            response.results.add(resultBytes=raw)
        return bytes(response.SerializeToString())

    @staticmethod
    def _reply(request: Message, kind: int, payload: bytes) -> Message:
        return pb.shim.ChaincodeMessage(
            type=kind, payload=payload, txid=request.txid, channel_id=request.channel_id
        )


def response_of(completed: Message) -> Message:
    """The `protos.Response` a COMPLETED message carries."""
    assert completed.type == pb.COMPLETED, pb.type_name(completed.type)
    return pb.response.Response.FromString(completed.payload)
