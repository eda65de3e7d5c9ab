"""The ledger port: what the rest of the system may ask of a ledger.

Both `services.ledger.embedded.EmbeddedLedger` and the Fabric Gateway client implement these
protocols, so services, CLI, indexer and demo switch backend by configuration alone.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.identity import OrgIdentity


@dataclass(frozen=True, order=True, slots=True)
class Checkpoint:
    """A position in the ledger: the last (block, transaction index) already processed."""

    block: int
    tx_index: int


@dataclass(frozen=True, slots=True)
class ChaincodeEvent:
    """The event of one committed, valid transaction."""

    block: int
    tx_index: int
    tx_id: str
    name: str
    payload: bytes
    timestamp: datetime

    @property
    def checkpoint(self) -> Checkpoint:
        return Checkpoint(self.block, self.tx_index)


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """A committed transaction: the contract's result, its id and the block holding it."""

    result: bytes
    tx_id: str
    block: int


class Contract(Protocol):
    """The contract as seen through one signing identity."""

    def evaluate(self, name: str, *args: str) -> bytes:
        """Run a read-only transaction on one peer; nothing is ordered."""
        ...

    def submit(self, name: str, *args: str) -> SubmitResult:
        """Endorse, order and wait for the commit; raises a `LedgerError` subclass on failure."""
        ...


class Ledger(Protocol):
    """A channel with the PharmaTrace contract deployed."""

    def contract(self, signer: OrgIdentity) -> Contract:
        """The contract bound to `signer` (who signs every proposal made through it)."""
        ...

    def read_events(self, after: Checkpoint | None, limit: int = 1000) -> list[ChaincodeEvent]:
        """Committed events strictly after `after` (from the start when None), oldest first."""
        ...

    def events(
        self, after: Checkpoint | None, stop: threading.Event | None = None
    ) -> Iterator[ChaincodeEvent]:
        """Follow committed events after `after`, blocking for new ones until `stop` is set."""
        ...

    def height(self) -> int:
        """Number of blocks committed."""
        ...

    def close(self) -> None: ...
