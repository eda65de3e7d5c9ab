"""`pharmatrace ledger verify`: re-check the whole ledger against its hash chain.

Only the envelopes are covered by the hash chain, so everything else is checked against them:
every transaction hash, data hash and block hash is recomputed; the event columns the indexer reads
must equal the event inside each envelope; the history must hold exactly the write sets of the
valid transactions, block by block; and the world state must equal the replay of those write sets.
No row may point past the last block. The first inconsistency is reported with its block number.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.ledger.embedded import blocks, schema

StateEntry = tuple[bytes, int, int]  # value, block, tx_index


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


class BrokenChainError(Exception):
    def __init__(self, block: int, reason: str) -> None:
        super().__init__(reason)
        self.block = block
        self.reason = reason


def verify_chain(path: Path, progress: Callable[[int, int], None] | None = None) -> ChainReport:
    conn = schema.connect(path, readonly=True)
    checked_blocks = checked_txs = 0
    try:
        total = conn.execute("SELECT COUNT(*) FROM blocks").fetchone()[0]
        previous = blocks.GENESIS_PREVIOUS_HASH
        state: dict[str, StateEntry] = {}
        rows = conn.execute(
            "SELECT number, previous_hash, data_hash, hash, tx_count FROM blocks ORDER BY number"
        ).fetchall()
        for expected_number, row in enumerate(rows):
            txs = conn.execute(
                "SELECT tx_index, envelope, validation, event_name, event_payload "
                "FROM transactions WHERE block = ? ORDER BY tx_index",
                (row[0],),
            ).fetchall()
            _check_block(expected_number, row, previous, txs)
            _check_events_and_history(conn, expected_number, txs, state)
            checked_blocks, checked_txs = checked_blocks + 1, checked_txs + len(txs)
            previous = bytes(row[3])
            if progress:
                progress(expected_number + 1, total)
        _check_nothing_beyond(conn, len(rows) - 1)
        _check_state(conn, state, len(rows) - 1)
        return ChainReport(checked_blocks, checked_txs, None, "ok")
    except BrokenChainError as broken:
        return ChainReport(checked_blocks, checked_txs, broken.block, broken.reason)
    finally:
        conn.close()


def _check_block(
    expected: int,
    row: tuple[int, bytes, bytes, bytes, int],
    previous: bytes,
    txs: list[tuple[int, bytes, str, str | None, bytes | None]],
) -> None:
    number, prev, data, stored_hash, count = row
    if number != expected:
        raise BrokenChainError(expected, f"block {expected} is missing")
    if bytes(prev) != previous:
        raise BrokenChainError(number, "previous-hash link broken")
    if number == 0:
        computed_data = bytes(data)  # genesis: fixed data hash, checked through its block hash
    else:
        if len(txs) != count or [t[0] for t in txs] != list(range(len(txs))):
            raise BrokenChainError(
                number, f"block holds {len(txs)} transactions, its header says {count}"
            )
        computed_data = blocks.data_hash([blocks.transaction_hash(bytes(t[1]), t[2]) for t in txs])
        if computed_data != bytes(data):
            raise BrokenChainError(number, "transactions do not match the block's data hash")
    if blocks.block_hash(number, previous, computed_data) != bytes(stored_hash):
        raise BrokenChainError(number, "block hash does not match its contents")


def _check_events_and_history(
    conn: sqlite3.Connection,
    number: int,
    txs: list[tuple[int, bytes, str, str | None, bytes | None]],
    state: dict[str, StateEntry],
) -> None:
    expected_history: list[tuple[str, int, int, bytes | None, int]] = []
    for index, envelope_raw, validation, event_name, event_payload in txs:
        envelope: dict[str, Any] = json.loads(envelope_raw)
        event = envelope.get("event") if validation == "VALID" else None
        stored_event = [event_name, bytes(event_payload or b"").hex()] if event_name else None
        if stored_event != (list(event) if event else None):
            raise BrokenChainError(number, f"transaction {index}: event differs from its envelope")
        if validation != "VALID":
            continue
        for key, value_hex in envelope["rwset"]["writes"]:
            value = bytes.fromhex(value_hex) if value_hex is not None else None
            expected_history.append((key, number, index, value, int(value is None)))
            if value is None:
                state.pop(key, None)
            else:
                state[key] = (value, number, index)
    stored = conn.execute(
        "SELECT key, block, tx_index, value, is_delete FROM history WHERE block = ? "
        "ORDER BY tx_index, key",
        (number,),
    ).fetchall()
    actual = [(r[0], r[1], r[2], bytes(r[3]) if r[3] is not None else None, r[4]) for r in stored]
    if actual != sorted(expected_history, key=lambda h: (h[2], h[0])):
        raise BrokenChainError(
            number, "history differs from the write sets of the block's transactions"
        )


def _check_nothing_beyond(conn: sqlite3.Connection, last: int) -> None:
    for table in ("transactions", "history", "state"):
        row = conn.execute(f"SELECT MIN(block) FROM {table} WHERE block > ?", (last,)).fetchone()
        if row[0] is not None:
            raise BrokenChainError(
                last, f"{table} refers to block {row[0]}, after the last block {last}"
            )


def _check_state(conn: sqlite3.Connection, expected: dict[str, StateEntry], last: int) -> None:
    """The world state must equal the replay of every valid write set."""
    seen = 0
    for key, value, block, tx_index in conn.execute(
        "SELECT key, value, block, tx_index FROM state ORDER BY key"
    ):
        seen += 1
        if expected.get(key) != (bytes(value), block, tx_index):
            raise BrokenChainError(
                last, f"world state disagrees with the transactions at key {key!r}"
            )
    if seen != len(expected):
        missing = next(iter(sorted(set(expected) - _state_keys(conn))), "?")
        raise BrokenChainError(
            last, f"world state lacks key {missing!r} written by the transactions"
        )


def _state_keys(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT key FROM state")}
