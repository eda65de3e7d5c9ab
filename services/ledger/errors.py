"""Typed errors per phase of a transaction's life, as in the Fabric Gateway clients."""

from __future__ import annotations

from chaincode.errors import ContractError


class LedgerError(Exception):
    """Base of every ledger error; `tx_id` names the transaction when one was created."""

    def __init__(self, message: str, *, tx_id: str | None = None) -> None:
        super().__init__(message)
        self.tx_id = tx_id


class EndorseError(LedgerError):
    """Endorsement failed: the contract refused the proposal with a coded error."""

    def __init__(self, error: ContractError, *, tx_id: str | None = None) -> None:
        super().__init__(error.message, tx_id=tx_id)
        self.error = error


class SubmitError(LedgerError):
    """The endorsed transaction could not be submitted for ordering."""


class CommitStatusError(LedgerError):
    """The transaction was ordered but invalidated; `code` is Fabric's validation code."""

    def __init__(self, code: str, *, tx_id: str) -> None:
        super().__init__(f"Transaction {tx_id} was invalidated: {code}.", tx_id=tx_id)
        self.code = code


class LedgerUnavailableError(LedgerError):
    """The ledger backend cannot be reached now; the same call may succeed later."""
