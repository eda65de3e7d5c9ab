"""The ledger port and its implementations.

Callers see Fabric Gateway vocabulary whatever the backend: a `Ledger` hands out a `Contract` bound
to a signing identity; `Contract.evaluate` reads, `Contract.submit` endorses, orders and waits for
the commit; `Ledger.events` streams committed chaincode events from a resumable `Checkpoint`.

Error tree (each carries the transaction id when there is one)::

    LedgerError
    ├── EndorseError        the contract refused (carries its coded ContractError)
    ├── SubmitError         the transaction could not be handed to ordering
    ├── CommitStatusError   ordered but invalidated at commit (e.g. MVCC_READ_CONFLICT)
    └── LedgerUnavailableError  the backend cannot be reached; retry later
"""

from services.ledger.errors import (
    CommitStatusError,
    EndorseError,
    LedgerError,
    LedgerUnavailableError,
    SubmitError,
)
from services.ledger.port import ChaincodeEvent, Checkpoint, Contract, Ledger, SubmitResult

__all__ = [
    "ChaincodeEvent",
    "Checkpoint",
    "CommitStatusError",
    "Contract",
    "EndorseError",
    "Ledger",
    "LedgerError",
    "LedgerUnavailableError",
    "SubmitError",
    "SubmitResult",
]
