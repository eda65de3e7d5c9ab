"""A Gateway stub double that behaves like a peer's gateway at the protobuf level.

It checks what a peer checks (the proposal's transaction id against nonce + creator, every
signature and its low S), prepares transactions the way the gateway does, keeps a ledger of real
`common.Block`s, answers qscc GetChainInfo / GetBlockByNumber from it and streams
`ChaincodeEventsResponse`s per block holding events, waiting for new blocks like the peer does.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from services.ledger.fabric import protos
from services.ledger.fabric.profile import ConnectionProfile, OrgProfile, PeerEndpoint
from services.ledger.fabric.proposal import from_timestamp, to_timestamp

MSP_IDS = ("MakerMSP", "WholesaleMSP")
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
ENDORSER_TRANSACTION, CONFIG = 3, 1
MVCC_READ_CONFLICT = 11


class FakeRpcError(grpc.RpcError):
    """What a failed grpc call raises: a status code, a message and trailing metadata."""

    def __init__(self, code: grpc.StatusCode, message: str, metadata: tuple[Any, ...] = ()) -> None:
        super().__init__(message)
        self._code, self._message, self._metadata = code, message, metadata

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._message

    def trailing_metadata(self) -> tuple[Any, ...]:
        return self._metadata


def status_details(*details: tuple[str, str, str]) -> bytes:
    """A serialized google.rpc.Status holding gateway.ErrorDetail(address, msp_id, message)s."""
    status = protos.RpcStatus(code=10, message="failed")
    for address, msp_id, message in details:
        status.details.add().Pack(
            protos.gateway.ErrorDetail(address=address, msp_id=msp_id, message=message)
        )
    return bytes(status.SerializeToString())


def refusal(code: str, message: str) -> FakeRpcError:
    """How the gateway reports the contract refusing an endorsement."""
    wire = json.dumps({"code": code, "message": message}, sort_keys=True)
    detail = ("peer0:7051", "MakerMSP", f"chaincode response 500, {wire}")
    return FakeRpcError(
        grpc.StatusCode.ABORTED,
        "failed to endorse transaction, see attached details for more info",
        ((protos.STATUS_DETAILS_KEY, status_details(detail)),),
    )


def verify_signature(creator_bytes: bytes, message: bytes, signature: bytes) -> str:
    """Check a signature as a peer does (including low S); the signer's MSP ID."""
    identity = protos.identities.SerializedIdentity.FromString(creator_bytes)
    cert = x509.load_pem_x509_certificate(bytes(identity.id_bytes))
    _r, s = decode_dss_signature(signature)
    assert s <= P256_ORDER // 2, "high-S signature: a Fabric peer rejects it"
    public_key = cert.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    return str(identity.mspid)


@dataclass
class Invocation:
    """A proposal as the fake peer reads it."""

    tx_id: str
    channel: str
    chaincode: str
    function: str
    args: list[str]
    creator: bytes
    timestamp: Any
    header: bytes
    proposal_payload: bytes


def read_proposal(signed: Any) -> Invocation:
    proposal = protos.proposal.Proposal.FromString(signed.proposal_bytes)
    header = protos.common.Header.FromString(proposal.header)
    channel_header = protos.common.ChannelHeader.FromString(header.channel_header)
    signature_header = protos.common.SignatureHeader.FromString(header.signature_header)
    payload = protos.proposal.ChaincodeProposalPayload.FromString(proposal.payload)
    spec = protos.chaincode.ChaincodeInvocationSpec.FromString(payload.input).chaincode_spec
    expected_id = hashlib.sha256(signature_header.nonce + signature_header.creator).hexdigest()
    assert channel_header.tx_id == expected_id, "tx id is not SHA-256(nonce + creator)"
    verify_signature(signature_header.creator, signed.proposal_bytes, signed.signature)
    args = [bytes(a).decode() for a in spec.input.args]
    return Invocation(
        tx_id=channel_header.tx_id,
        channel=channel_header.channel_id,
        chaincode=spec.chaincode_id.name,
        function=args[0],
        args=args[1:],
        creator=bytes(signature_header.creator),
        timestamp=channel_header.timestamp,
        header=bytes(proposal.header),
        proposal_payload=bytes(proposal.payload),
    )


def chaincode_action(chaincode: str, tx_id: str, result: bytes, event: Any) -> bytes:
    action = protos.proposal.ChaincodeAction(
        response=protos.proposal_response.Response(status=200, payload=result),
        chaincode_id=protos.chaincode.ChaincodeID(name=chaincode),
    )
    if event is not None:
        name, payload = event
        action.events = protos.chaincode_event.ChaincodeEvent(
            chaincode_id=chaincode, tx_id=tx_id, event_name=name, payload=payload
        ).SerializeToString()
    return bytes(action.SerializeToString())


def envelope_payload(header: bytes, proposal_payload: bytes, action: bytes) -> bytes:
    """What the gateway's prepareTransaction builds from a proposal and its endorsement."""
    response_payload = protos.proposal_response.ProposalResponsePayload(
        proposal_hash=b"h", extension=action
    )
    action_payload = protos.transaction.ChaincodeActionPayload(
        chaincode_proposal_payload=proposal_payload,
        action=protos.transaction.ChaincodeEndorsedAction(
            proposal_response_payload=response_payload.SerializeToString()
        ),
    )
    signature_header = protos.common.Header.FromString(header).signature_header
    tx = protos.transaction.Transaction(
        actions=[
            protos.transaction.TransactionAction(
                header=signature_header, payload=action_payload.SerializeToString()
            )
        ]
    )
    return bytes(
        protos.common.Payload(
            header=protos.common.Header.FromString(header), data=tx.SerializeToString()
        ).SerializeToString()
    )


@dataclass
class CommittedTx:
    tx_id: str
    envelope: bytes
    validation: int = 0


Contract = Callable[[Invocation], tuple[bytes, Any]]


def echo_contract(call: Invocation) -> tuple[bytes, Any]:
    """Result {"function", "args"}; an event named after the function, stamped "at"."""
    result = json.dumps({"function": call.function, "args": call.args}).encode()
    if call.function.startswith("Get"):
        return result, None
    # as chaincode.context.TxContext.now_iso writes it
    at = from_timestamp(call.timestamp).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    payload = json.dumps({"function": call.function, "tx_id": call.tx_id, "at": at}).encode()
    return result, (f"{call.function}Done", payload)


@dataclass
class FakeGateway:
    """The Gateway stub of one peer with a ledger of blocks."""

    chaincode: str = "pharmatrace"
    channel: str = "pharmatrace"
    contract: Contract = echo_contract
    refuse: dict[str, FakeRpcError] = field(default_factory=dict)
    fail: dict[str, FakeRpcError] = field(default_factory=dict)  # by RPC name
    next_validation: list[int] = field(default_factory=list)
    blocks: list[list[CommittedTx]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    streams_opened: int = 0
    drop_streams_after: list[int] = field(default_factory=list)  # UNAVAILABLE after n responses
    _new_block: threading.Condition = field(default_factory=threading.Condition)

    def __post_init__(self) -> None:
        if not self.blocks:
            self.blocks.append([self.config_tx()])

    # -- ledger helpers for tests -----------------------------------------------------------
    def config_tx(self) -> CommittedTx:
        header = protos.common.ChannelHeader(type=CONFIG, channel_id=self.channel)
        payload = protos.common.Payload(
            header=protos.common.Header(channel_header=header.SerializeToString())
        )
        envelope = protos.common.Envelope(payload=payload.SerializeToString())
        return CommittedTx("", bytes(envelope.SerializeToString()))

    def endorsed_tx(
        self,
        tx_id: str,
        event: tuple[str, bytes] | None,
        *,
        validation: int = 0,
        chaincode: str | None = None,
        at: datetime | None = None,
    ) -> CommittedTx:
        """A committed endorser transaction built directly (not through the client)."""
        chaincode = chaincode or self.chaincode
        channel_header = protos.common.ChannelHeader(
            type=ENDORSER_TRANSACTION,
            channel_id=self.channel,
            tx_id=tx_id,
            timestamp=to_timestamp(at or datetime(2026, 1, 5, 9, 0)),
        )
        header = protos.common.Header(
            channel_header=channel_header.SerializeToString(),
            signature_header=protos.common.SignatureHeader(nonce=b"n").SerializeToString(),
        )
        action = chaincode_action(chaincode, tx_id, b"{}", event)
        payload = envelope_payload(header.SerializeToString(), b"", action)
        envelope = protos.common.Envelope(payload=payload, signature=b"s")
        return CommittedTx(tx_id, bytes(envelope.SerializeToString()), validation)

    def commit_block(self, txs: list[CommittedTx]) -> int:
        with self._new_block:
            self.blocks.append(txs)
            self._new_block.notify_all()
            return len(self.blocks) - 1

    def block_proto(self, number: int) -> Any:
        txs = self.blocks[number]
        block = protos.common.Block(header=protos.common.BlockHeader(number=number))
        block.data.data.extend(tx.envelope for tx in txs)
        flags = bytes(tx.validation for tx in txs) if number > 0 else b""
        block.metadata.metadata.extend([b"", b"", flags, b"", b""])
        return block

    # -- the Gateway service ----------------------------------------------------------------
    def _maybe_fail(self, rpc: str) -> None:
        self.calls.append(rpc)
        if rpc in self.fail:
            raise self.fail[rpc]

    def Evaluate(self, request: Any, timeout: float | None = None) -> Any:  # noqa: N802 — the Gateway stub's method names
        self._maybe_fail("Evaluate")
        call = read_proposal(request.proposed_transaction)
        assert request.transaction_id == call.tx_id
        if call.chaincode == "qscc":
            payload = self._qscc(call)
        else:
            if call.function in self.refuse:
                raise self.refuse[call.function]
            payload = self.contract(call)[0]
        return protos.gateway.EvaluateResponse(
            result=protos.proposal_response.Response(status=200, payload=payload)
        )

    def _qscc(self, call: Invocation) -> bytes:
        assert call.args[0] == self.channel
        if call.function == "GetChainInfo":
            return bytes(protos.ledger.BlockchainInfo(height=len(self.blocks)).SerializeToString())
        assert call.function == "GetBlockByNumber"
        return bytes(self.block_proto(int(call.args[1])).SerializeToString())

    def Endorse(self, request: Any, timeout: float | None = None) -> Any:  # noqa: N802 — the Gateway stub's method names
        self._maybe_fail("Endorse")
        call = read_proposal(request.proposed_transaction)
        assert request.transaction_id == call.tx_id
        assert request.channel_id == self.channel
        if call.function in self.refuse:
            raise self.refuse[call.function]
        result, event = self.contract(call)
        action = chaincode_action(call.chaincode, call.tx_id, result, event)
        payload = envelope_payload(call.header, call.proposal_payload, action)
        return protos.gateway.EndorseResponse(
            prepared_transaction=protos.common.Envelope(payload=payload)
        )

    def Submit(self, request: Any, timeout: float | None = None) -> Any:  # noqa: N802 — the Gateway stub's method names
        self._maybe_fail("Submit")
        envelope = request.prepared_transaction
        payload = protos.common.Payload.FromString(envelope.payload)
        creator = protos.common.SignatureHeader.FromString(payload.header.signature_header).creator
        verify_signature(creator, envelope.payload, envelope.signature)
        validation = self.next_validation.pop(0) if self.next_validation else 0
        tx = CommittedTx(request.transaction_id, bytes(envelope.SerializeToString()), validation)
        self.commit_block([tx])
        return protos.gateway.SubmitResponse()

    def CommitStatus(self, request: Any, timeout: float | None = None) -> Any:  # noqa: N802 — the Gateway stub's method names
        self._maybe_fail("CommitStatus")
        status = protos.gateway.CommitStatusRequest.FromString(request.request)
        verify_signature(status.identity, request.request, request.signature)
        for number, txs in enumerate(self.blocks):
            for tx in txs:
                if tx.tx_id == status.transaction_id:
                    return protos.gateway.CommitStatusResponse(
                        result=tx.validation, block_number=number
                    )
        raise FakeRpcError(grpc.StatusCode.NOT_FOUND, "no such transaction")

    def ChaincodeEvents(self, request: Any, timeout: float | None = None) -> FakeStream:  # noqa: N802 — the Gateway stub's method names
        self._maybe_fail("ChaincodeEvents")
        events_request = protos.gateway.ChaincodeEventsRequest.FromString(request.request)
        verify_signature(events_request.identity, request.request, request.signature)
        assert events_request.chaincode_id == self.chaincode
        self.streams_opened += 1
        start = int(events_request.start_position.specified.number)
        drop = self.drop_streams_after.pop(0) if self.drop_streams_after else None
        return FakeStream(self, start, timeout if timeout is not None else 10.0, drop)

    def responses_from(self, number: int) -> Any | None:
        """The ChaincodeEventsResponse of block `number`, None if it holds no events.

        Written independently of the client's block parser, after the peer's Go code
        (internal/pkg/gateway/event): valid endorser transactions, in order, this chaincode.
        """
        response = protos.gateway.ChaincodeEventsResponse(block_number=number)
        for tx in self.blocks[number]:
            payload = protos.common.Payload.FromString(
                protos.common.Envelope.FromString(tx.envelope).payload
            )
            kind = protos.common.ChannelHeader.FromString(payload.header.channel_header).type
            if number == 0 or tx.validation != 0 or kind != ENDORSER_TRANSACTION:
                continue
            action = protos.transaction.Transaction.FromString(payload.data).actions[0]
            endorsed = protos.transaction.ChaincodeActionPayload.FromString(action.payload).action
            extension = protos.proposal_response.ProposalResponsePayload.FromString(
                endorsed.proposal_response_payload
            ).extension
            raw = protos.proposal.ChaincodeAction.FromString(extension).events
            event = protos.chaincode_event.ChaincodeEvent.FromString(raw)
            if event.chaincode_id == self.chaincode and event.event_name and event.tx_id:
                response.events.append(event)
        return response if response.events else None


class FakeStream:
    """A server stream: responses per block with events; then waits for blocks or a cancel."""

    def __init__(
        self, gateway: FakeGateway, start: int, timeout: float, drop_after: int | None = None
    ) -> None:
        self._gateway = gateway
        self._next = start
        self._timeout = timeout
        self._drop_after = drop_after
        self._sent = 0
        self.cancelled = threading.Event()

    def cancel(self) -> bool:
        self.cancelled.set()
        with self._gateway._new_block:
            self._gateway._new_block.notify_all()
        return True

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        waited = 0.0
        while True:
            if self.cancelled.is_set():
                raise FakeRpcError(grpc.StatusCode.CANCELLED, "Locally cancelled by application!")
            if self._sent == self._drop_after:
                raise FakeRpcError(grpc.StatusCode.UNAVAILABLE, "Socket closed")
            with self._gateway._new_block:
                if self._next >= len(self._gateway.blocks):
                    if waited >= self._timeout:
                        raise FakeRpcError(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded")
                    self._gateway._new_block.wait(0.05)
                    waited += 0.05
                    continue
            number = self._next
            self._next += 1
            response = self._gateway.responses_from(number)
            if response is not None:
                self._sent += 1
                return response


def profile() -> ConnectionProfile:
    """A profile whose organizations' peers are all the fake (see the `stubs` factory)."""
    return ConnectionProfile(
        channel="pharmatrace",
        chaincode="pharmatrace",
        organizations={
            msp_id: OrgProfile(msp_id, PeerEndpoint(f"peer.{msp_id}:7051")) for msp_id in MSP_IDS
        },
    )
