"""Signed transaction proposals, byte for byte as the fabric-gateway clients build them.

    SignedProposal{proposal_bytes, signature = sign(proposal_bytes)}
    Proposal{header, payload}
      Header{channel_header, signature_header}
        ChannelHeader{type ENDORSER_TRANSACTION, channel_id, tx_id, timestamp, epoch 0,
                      extension ChaincodeHeaderExtension{chaincode_id{name}}}
        SignatureHeader{creator SerializedIdentity, nonce 24 random bytes}
      ChaincodeProposalPayload{input ChaincodeInvocationSpec{chaincode_spec{
        type, chaincode_id{name}, input{args [function, *args]}}}}

The transaction id is hex(SHA-256(nonce + creator)), which the peer recomputes, so it cannot be
chosen and a replayed proposal is refused as a duplicate. The timestamp comes from the caller's
clock (injectable, like the embedded ledger's); the contract reads time only from it.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.identity import OrgIdentity
from services.ledger.fabric import protos
from services.ledger.fabric.identity import creator

NONCE_SIZE = 24
# Peers ignore the spec type of an invocation; the Node fabric-gateway client sets NODE (the Go
# one leaves it unset). NODE keeps our proposals byte-identical to the Node client's.
CHAINCODE_TYPE = 2  # ChaincodeSpec.Type.NODE
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SignedProposal:
    """A proposal ready for Endorse or Evaluate: its id, serialized bytes and signature."""

    tx_id: str
    channel: str
    proposal_bytes: bytes
    signature: bytes

    def to_proto(self) -> Any:
        """The `peer.SignedProposal` message."""
        return protos.proposal.SignedProposal(
            proposal_bytes=self.proposal_bytes, signature=self.signature
        )


def transaction_id(nonce: bytes, creator_bytes: bytes) -> str:
    """hex(SHA-256(nonce + creator)): how Fabric derives (and checks) a transaction id."""
    return hashlib.sha256(nonce + creator_bytes).hexdigest()


def to_timestamp(at: datetime) -> Any:
    """A `google.protobuf.Timestamp`; naive datetimes are taken as UTC, like the contract does."""
    moment = at if at.tzinfo else at.replace(tzinfo=UTC)
    delta = moment - _EPOCH  # integer arithmetic: no float rounding of microseconds
    return protos.timestamp.Timestamp(
        seconds=delta.days * 86_400 + delta.seconds, nanos=delta.microseconds * 1000
    )


def from_timestamp(stamp: Any) -> datetime:
    """The aware UTC datetime of a `google.protobuf.Timestamp` (microsecond precision)."""
    seconds, nanos = int(stamp.seconds), int(stamp.nanos)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=nanos // 1000)


def new_proposal(
    signer: OrgIdentity,
    *,
    channel: str,
    chaincode: str,
    function: str,
    args: tuple[str, ...],
    at: datetime,
    nonce: bytes | None = None,
) -> SignedProposal:
    """Build and sign the proposal to run `function(*args)` of `chaincode` on `channel`."""
    nonce = os.urandom(NONCE_SIZE) if nonce is None else nonce
    creator_bytes = creator(signer)
    tx_id = transaction_id(nonce, creator_bytes)
    header = protos.common.Header(
        channel_header=_channel_header(channel, chaincode, tx_id, at),
        signature_header=protos.common.SignatureHeader(
            creator=creator_bytes, nonce=nonce
        ).SerializeToString(),
    )
    proposal = protos.proposal.Proposal(
        header=header.SerializeToString(),
        payload=_proposal_payload(chaincode, function, args),
    )
    proposal_bytes = bytes(proposal.SerializeToString())
    return SignedProposal(tx_id, channel, proposal_bytes, signer.sign(proposal_bytes))


def _channel_header(channel: str, chaincode: str, tx_id: str, at: datetime) -> bytes:
    extension = protos.proposal.ChaincodeHeaderExtension(
        chaincode_id=protos.chaincode.ChaincodeID(name=chaincode)
    )
    header = protos.common.ChannelHeader(
        type=protos.common.HeaderType.Value("ENDORSER_TRANSACTION"),
        channel_id=channel,
        tx_id=tx_id,
        timestamp=to_timestamp(at),
        epoch=0,
        extension=extension.SerializeToString(),
    )
    return bytes(header.SerializeToString())


def _proposal_payload(chaincode: str, function: str, args: tuple[str, ...]) -> bytes:
    spec = protos.chaincode.ChaincodeSpec(
        type=CHAINCODE_TYPE,
        chaincode_id=protos.chaincode.ChaincodeID(name=chaincode),
        input=protos.chaincode.ChaincodeInput(
            args=[function.encode(), *(arg.encode() for arg in args)]
        ),
    )
    invocation = protos.chaincode.ChaincodeInvocationSpec(chaincode_spec=spec)
    payload = protos.proposal.ChaincodeProposalPayload(input=invocation.SerializeToString())
    return bytes(payload.SerializeToString())
