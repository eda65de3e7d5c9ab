"""Wait for a submitted transaction's commit and read its validation code.

The commit status request is built and signed before Submit (as the fabric-gateway clients do),
so nothing can fail between handing the transaction to ordering and asking for its fate.
CommitStatus blocks on the peer until the block holding the transaction is committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.identity import OrgIdentity
from services.ledger.fabric import errors, protos
from services.ledger.fabric.gateway import Connection
from services.ledger.fabric.identity import creator

VALID = 0  # TxValidationCode.VALID


@dataclass(frozen=True, slots=True)
class CommitStatusRequest:
    """A signed request for one transaction's commit status."""

    tx_id: str
    request: bytes
    signature: bytes

    def to_proto(self) -> Any:
        return protos.gateway.SignedCommitStatusRequest(
            request=self.request, signature=self.signature
        )


def commit_status_request(signer: OrgIdentity, channel: str, tx_id: str) -> CommitStatusRequest:
    """Sign `CommitStatusRequest{transaction_id, channel_id, identity}` as `signer`."""
    request = protos.gateway.CommitStatusRequest(
        transaction_id=tx_id, channel_id=channel, identity=creator(signer)
    )
    request_bytes = bytes(request.SerializeToString())
    return CommitStatusRequest(tx_id, request_bytes, signer.sign(request_bytes))


def wait_for_commit(connection: Connection, request: CommitStatusRequest) -> int:
    """The number of the block holding the transaction; raises unless it committed VALID."""
    try:
        response = connection.stub.CommitStatus(
            request.to_proto(), timeout=connection.timeouts.commit_status
        )
    except protos.grpc.RpcError as exc:
        raise errors.commit_status_error(errors.failure_of(exc), request.tx_id) from exc
    code = int(response.result)
    if code != VALID:
        raise errors.invalidated(code, request.tx_id)
    return int(response.block_number)
