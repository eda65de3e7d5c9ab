"""`pharmatrace ledger verify`: re-check the whole hash chain and the world state.

Every block's data hash is recomputed from its stored transactions and every block hash from its
number, predecessor and data; then the world state is compared with the last write of each key in
the history. The first inconsistency found is reported with its block number.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from services.ledger.embedded import blocks, schema


@dataclass(frozen=True)
class ChainReport:
    """Outcome of a verification; `first_broken_block` is None when everything checks out."""

    blocks_checked: int
    transactions_checked: int
    first_broken_block: int | None
    reason: str

    @property
    def ok(self) -> bool:
        return self.first_broken_block is None


def verify_chain(path: Path, progress: Callable[[int, int], None] | None = None) -> ChainReport:
    conn = schema.connect(path, readonly=True)
    try:
        total = conn.execute("SELECT COUNT(*) FROM blocks").fetchone()[0]
        previous = blocks.GENESIS_PREVIOUS_HASH
        tx_count = 0
        block_rows = conn.execute(
            "SELECT number, previous_hash, data_hash, hash, tx_count FROM blocks ORDER BY number"
        )
        for expected_number, row in enumerate(block_rows):
            number, stored_hash = row[0], row[3]
            txs = conn.execute(
                "SELECT envelope, validation FROM transactions WHERE block = ? ORDER BY tx_index",
                (number,),
            ).fetchall()
            tx_count += len(txs)
            problem = _check_block(expected_number, row, previous, txs)
            if problem:
                return ChainReport(expected_number, tx_count, number, problem)
            previous = bytes(stored_hash)
            if progress:
                progress(expected_number + 1, total)
        problem_key = _check_state(conn)
        if problem_key:
            return ChainReport(total, tx_count, total - 1, problem_key)
        return ChainReport(total, tx_count, None, "ok")
    finally:
        conn.close()


def _check_block(
    expected: int,
    row: tuple[int, bytes, bytes, bytes, int],
    previous: bytes,
    txs: list[tuple[bytes, str]],
) -> str:
    number, prev, data, stored_hash, count = row
    if number != expected:
        return f"block {expected} is missing"
    if bytes(prev) != previous:
        return "previous-hash link broken"
    if number == 0:
        computed_data = bytes(data)  # genesis: fixed data hash, checked through its block hash
    else:
        if len(txs) != count:
            return f"block holds {len(txs)} transactions, its header says {count}"
        computed_data = blocks.data_hash(
            [blocks.transaction_hash(bytes(env), validation) for env, validation in txs]
        )
        if computed_data != bytes(data):
            return "transactions do not match the block's data hash"
    if blocks.block_hash(number, previous, computed_data) != bytes(stored_hash):
        return "block hash does not match its contents"
    return ""


def _check_state(conn: sqlite3.Connection) -> str:
    """The world state must equal the last write of every key in the history."""
    mismatch = conn.execute(
        """
        WITH last AS (
            SELECT key, value, is_delete, block, tx_index,
                   ROW_NUMBER() OVER (PARTITION BY key ORDER BY block DESC, tx_index DESC) AS rn
            FROM history)
        SELECT COALESCE(l.key, s.key) FROM last l
        FULL OUTER JOIN state s ON s.key = l.key
        WHERE (l.rn = 1 OR l.rn IS NULL) AND (
              (l.key IS NULL) OR
              (l.is_delete = 1 AND s.key IS NOT NULL) OR
              (l.is_delete = 0 AND (s.key IS NULL OR s.value != l.value
                                    OR s.block != l.block OR s.tx_index != l.tx_index)))
        LIMIT 1
        """
    ).fetchone()
    return f"world state disagrees with history at key {mismatch[0]!r}" if mismatch else ""
