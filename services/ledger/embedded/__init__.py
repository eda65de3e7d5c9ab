"""The embedded ledger: the real contract, in process, on SQLite, with Fabric's semantics.

Zero set-up on one machine. Proposals are signed by X.509 identities and checked against the MSP
CAs; the contract is simulated against committed state recording a read set with versions; an
in-process orderer cuts blocks; the committer re-validates every read (MVCC), applies valid write
sets, and hash-chains the blocks, each block in one SQLite transaction (WAL, synchronous=FULL), so
a crash at any moment keeps every committed block and no half of one.
"""

from services.ledger.embedded.audit import ChainReport, verify_chain
from services.ledger.embedded.ledger import EmbeddedLedger

__all__ = ["ChainReport", "EmbeddedLedger", "verify_chain"]
