"""Endorse a proposal, sign the transaction the gateway prepares, submit it for ordering.

The gateway collects enough endorsements and answers with the prepared transaction: an
unsigned `common.Envelope`. The client signs the envelope's payload bytes, exactly as returned,
and hands it back with Submit. The contract's result is read from the endorsed proposal
response inside the envelope (Payload → Transaction → ChaincodeActionPayload →
ProposalResponsePayload → ChaincodeAction.response.payload).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.identity import OrgIdentity
from services.ledger.errors import SubmitError
from services.ledger.fabric import errors, protos
from services.ledger.fabric.gateway import Connection
from services.ledger.fabric.proposal import SignedProposal


@dataclass(frozen=True, slots=True)
class PreparedTransaction:
    """An endorsed, not yet signed transaction and the contract's result in it."""

    tx_id: str
    payload: bytes
    result: bytes


def evaluate(connection: Connection, proposal: SignedProposal) -> bytes:
    """Run a proposal on one peer without ordering it; the contract's result."""
    request = protos.gateway.EvaluateRequest(
        transaction_id=proposal.tx_id,
        channel_id=proposal.channel,
        proposed_transaction=proposal.to_proto(),
    )
    try:
        response = connection.stub.Evaluate(request, timeout=connection.timeouts.evaluate)
    except protos.grpc.RpcError as exc:
        raise errors.endorse_error(errors.failure_of(exc), proposal.tx_id) from exc
    return bytes(response.result.payload)


def endorse(connection: Connection, proposal: SignedProposal) -> PreparedTransaction:
    """Collect the endorsements the chaincode's policy needs; the transaction to sign."""
    request = protos.gateway.EndorseRequest(
        transaction_id=proposal.tx_id,
        channel_id=proposal.channel,
        proposed_transaction=proposal.to_proto(),
    )
    try:
        response = connection.stub.Endorse(request, timeout=connection.timeouts.endorse)
    except protos.grpc.RpcError as exc:
        raise errors.endorse_error(errors.failure_of(exc), proposal.tx_id) from exc
    payload = bytes(response.prepared_transaction.payload)
    try:
        result = result_of(payload)
    except protos.DecodeError as exc:
        raise SubmitError(
            f"The gateway prepared an unreadable transaction: {exc}", tx_id=proposal.tx_id
        ) from exc
    return PreparedTransaction(proposal.tx_id, payload, result)


def submit(connection: Connection, signer: OrgIdentity, prepared: PreparedTransaction) -> None:
    """Sign the prepared transaction and hand it to the ordering service through the gateway."""
    envelope = protos.common.Envelope(
        payload=prepared.payload, signature=signer.sign(prepared.payload)
    )
    request = protos.gateway.SubmitRequest(
        transaction_id=prepared.tx_id,
        channel_id=connection.channel,
        prepared_transaction=envelope,
    )
    try:
        connection.stub.Submit(request, timeout=connection.timeouts.submit)
    except protos.grpc.RpcError as exc:
        raise errors.submit_error(errors.failure_of(exc), prepared.tx_id) from exc


def result_of(envelope_payload: bytes) -> bytes:
    """The contract's result carried by an endorsed transaction's envelope payload."""
    payload = protos.common.Payload.FromString(envelope_payload)
    transaction: Any = protos.transaction.Transaction.FromString(payload.data)
    if not transaction.actions:
        return b""
    action = protos.transaction.ChaincodeActionPayload.FromString(transaction.actions[0].payload)
    response_payload = protos.proposal_response.ProposalResponsePayload.FromString(
        action.action.proposal_response_payload
    )
    chaincode_action = protos.proposal.ChaincodeAction.FromString(response_payload.extension)
    return bytes(chaincode_action.response.payload)
