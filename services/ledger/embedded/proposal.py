"""Signed proposals: what a client asks the embedded ledger to run, and who asks.

The transaction id is derived as on Fabric: SHA-256 of nonce + creator, so it cannot be chosen
freely and a replayed proposal is caught as a duplicate.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from chaincode import canonical
from services.identity import OrgIdentity


@dataclass(frozen=True)
class Proposal:
    """An unsigned transaction proposal."""

    tx_id: str
    nonce: str
    msp_id: str
    certificate_pem: str
    function: str
    args: tuple[str, ...]
    timestamp: str  # ISO 8601 UTC, microseconds

    def to_json(self) -> dict[str, object]:
        return {
            "tx_id": self.tx_id,
            "nonce": self.nonce,
            "msp_id": self.msp_id,
            "certificate": self.certificate_pem,
            "function": self.function,
            "args": list(self.args),
            "timestamp": self.timestamp,
        }

    @cached_property
    def signed_bytes(self) -> bytes:
        """The canonical bytes the creator signs (computed once per proposal)."""
        return canonical.dumps(self.to_json())

    @property
    def datetime(self) -> datetime:
        return datetime.fromisoformat(self.timestamp)


def transaction_id(nonce: bytes, msp_id: str, certificate_pem: bytes) -> str:
    return hashlib.sha256(nonce + msp_id.encode() + certificate_pem).hexdigest()


def new_proposal(
    signer: OrgIdentity, function: str, args: tuple[str, ...], at: datetime
) -> tuple[Proposal, bytes]:
    """A fresh proposal and the signer's signature over its bytes."""
    nonce = os.urandom(24)
    proposal = Proposal(
        tx_id=transaction_id(nonce, signer.msp_id, signer.certificate_pem),
        nonce=nonce.hex(),
        msp_id=signer.msp_id,
        certificate_pem=signer.certificate_pem.decode(),
        function=function,
        args=args,
        timestamp=at.isoformat(timespec="microseconds"),
    )
    return proposal, signer.sign(proposal.signed_bytes)


def tx_id_matches(proposal: Proposal) -> bool:
    expected = transaction_id(
        bytes.fromhex(proposal.nonce), proposal.msp_id, proposal.certificate_pem.encode()
    )
    return proposal.tx_id == expected
