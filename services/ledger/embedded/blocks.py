"""Hash chaining of blocks: how a transaction, a block's data and a block are hashed.

One definition used when committing and when auditing, so `pharmatrace ledger verify` checks
exactly what was written.
"""

from __future__ import annotations

import hashlib

GENESIS_PREVIOUS_HASH = bytes(32)


def transaction_hash(envelope: bytes, validation: str) -> bytes:
    return hashlib.sha256(envelope + b"\x00" + validation.encode()).digest()


def data_hash(transaction_hashes: list[bytes]) -> bytes:
    return hashlib.sha256(b"".join(transaction_hashes)).digest()


def block_hash(number: int, previous_hash: bytes, data: bytes) -> bytes:
    return hashlib.sha256(number.to_bytes(8, "big") + previous_hash + data).digest()


def genesis_data_hash(channel: str) -> bytes:
    return hashlib.sha256(b"pharmatrace-genesis:" + channel.encode()).digest()
