"""`FabricContract`: the PharmaTrace chaincode seen through one signing identity.

evaluate: proposal → Gateway.Evaluate (one peer, nothing ordered) → result
submit:   proposal → Gateway.Endorse → sign envelope → Gateway.Submit
          → Gateway.CommitStatus (waits for the block) → SubmitResult(result, tx_id, block)
"""

from __future__ import annotations

from services.identity import OrgIdentity
from services.ledger.fabric import commit, transaction
from services.ledger.fabric.gateway import Connection
from services.ledger.fabric.proposal import SignedProposal, new_proposal
from services.ledger.port import SubmitResult


class FabricContract:
    """The contract through one signer, over the gateway peer of the signer's organization."""

    def __init__(self, connection: Connection, signer: OrgIdentity) -> None:
        self._connection = connection
        self.signer = signer

    @property
    def connection(self) -> Connection:
        """The gateway connection, for driving the steps one by one (transaction, commit)."""
        return self._connection

    def evaluate(self, name: str, *args: str) -> bytes:
        """Run a read-only transaction on one peer; `EndorseError` if the contract refuses."""
        return transaction.evaluate(self._connection, self._proposal(name, args))

    def submit(self, name: str, *args: str) -> SubmitResult:
        """Endorse, order and wait for the commit; raises a `LedgerError` subclass on failure."""
        proposal = self._proposal(name, args)
        prepared = transaction.endorse(self._connection, proposal)
        status_request = commit.commit_status_request(
            self.signer, self._connection.channel, proposal.tx_id
        )
        transaction.submit(self._connection, self.signer, prepared)
        block = commit.wait_for_commit(self._connection, status_request)
        return SubmitResult(result=prepared.result, tx_id=proposal.tx_id, block=block)

    def _proposal(self, name: str, args: tuple[str, ...]) -> SignedProposal:
        return new_proposal(
            self.signer,
            channel=self._connection.channel,
            chaincode=self._connection.chaincode,
            function=name,
            args=args,
            at=self._connection.clock(),
        )
