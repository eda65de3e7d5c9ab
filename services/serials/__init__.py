"""Serial lists of batches: the off-chain half of the serial commitment.

The ledger holds each batch's serial count and Merkle root; this store keeps the serials (to tell a
known serial from an unknown one in a few microseconds) and the tree (to hand a dispensing
pharmacy the proof the contract checks).
"""

from services.serials.store import PreparedSerials, SerialStore, SerialStoreError

__all__ = ["PreparedSerials", "SerialStore", "SerialStoreError"]
