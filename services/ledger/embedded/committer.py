"""The embedded orderer and committer: cut blocks, validate, apply, chain, notify.

One thread takes every endorsed transaction queued at that moment (up to `max_block_txs`) as one
block, so under load each fsync commits many transactions. Validation is Fabric's: a transaction
whose read versions or range results changed since endorsement is kept in the block but marked
MVCC_READ_CONFLICT / PHANTOM_READ_CONFLICT and its writes are dropped; a repeated transaction id is
DUPLICATE_TXID. The whole block (state, history, transactions, block header) is one SQLite
transaction, so a crash leaves either all of it or none.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from services.ledger.embedded import blocks, schema
from services.ledger.embedded.simulation import ReadWriteSet

VALID = "VALID"


@dataclass
class EndorsedTransaction:
    """An endorsed transaction waiting to be ordered, and the future its submitter waits on."""

    tx_id: str
    timestamp: str
    envelope: bytes
    rwset: ReadWriteSet
    event: tuple[str, bytes] | None
    done: Future[tuple[int, int, str]]  # (block, tx_index, validation)


class Committer:
    """Owns the write connection; a daemon thread commits queued transactions block by block."""

    def __init__(
        self, path: Path, on_block: Callable[[int], None], max_block_txs: int = 1000
    ) -> None:
        self._conn = schema.connect(path)
        self._queue: queue.SimpleQueue[EndorsedTransaction | None] = queue.SimpleQueue()
        self._on_block = on_block
        self._max = max_block_txs
        self._thread = threading.Thread(target=self._run, name="embedded-committer", daemon=True)
        self._thread.start()

    def enqueue(self, tx: EndorsedTransaction) -> None:
        self._queue.put(tx)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)
        self._conn.close()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self._max:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)
                    break
                batch.append(nxt)
            self._commit(batch)

    def _commit(self, batch: list[EndorsedTransaction]) -> None:
        try:
            number, outcomes = self._write_block(batch)
        except sqlite3.Error as exc:
            for tx in batch:
                tx.done.set_exception(exc)
            return
        for index, (tx, validation) in enumerate(zip(batch, outcomes, strict=True)):
            tx.done.set_result((number, index, validation))
        self._on_block(number)

    def _write_block(self, batch: list[EndorsedTransaction]) -> tuple[int, list[str]]:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            last_number, last_hash = conn.execute(
                "SELECT number, hash FROM blocks ORDER BY number DESC LIMIT 1"
            ).fetchone()
            number = last_number + 1
            seen: set[str] = set()
            outcomes, tx_hashes = [], []
            for index, tx in enumerate(batch):
                validation = self._validate(tx, seen)
                seen.add(tx.tx_id)
                outcomes.append(validation)
                self._insert_transaction(number, index, tx, validation)
                if validation == VALID:
                    self._apply(number, index, tx.rwset)
                tx_hashes.append(blocks.transaction_hash(tx.envelope, validation))
            data = blocks.data_hash(tx_hashes)
            conn.execute(
                "INSERT INTO blocks VALUES (?, ?, ?, ?, ?, ?)",
                (
                    number,
                    bytes(last_hash),
                    data,
                    blocks.block_hash(number, bytes(last_hash), data),
                    datetime.now(UTC).isoformat(),
                    len(batch),
                ),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return number, outcomes

    def _validate(self, tx: EndorsedTransaction, seen: set[str]) -> str:
        conn = self._conn
        if (
            tx.tx_id in seen
            or conn.execute("SELECT 1 FROM transactions WHERE tx_id = ?", (tx.tx_id,)).fetchone()
        ):
            return "DUPLICATE_TXID"
        for key, version in tx.rwset.reads.items():
            row = conn.execute("SELECT block, tx_index FROM state WHERE key = ?", (key,)).fetchone()
            if (tuple(row) if row else None) != version:
                return "MVCC_READ_CONFLICT"
        for start, end, seen_keys in tx.rwset.ranges:
            rows = conn.execute(
                "SELECT key, block, tx_index FROM state WHERE key >= ? AND key < ? ORDER BY key",
                (start, end),
            ).fetchall()
            if [(r[0], (r[1], r[2])) for r in rows] != seen_keys:
                return "PHANTOM_READ_CONFLICT"
        return VALID

    def _insert_transaction(
        self, number: int, index: int, tx: EndorsedTransaction, validation: str
    ) -> None:
        event = tx.event if validation == VALID else None
        self._conn.execute(
            "INSERT INTO transactions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                number,
                index,
                tx.tx_id,
                tx.envelope,
                validation,
                event[0] if event else None,
                event[1] if event else None,
                tx.timestamp,
            ),
        )

    def _apply(self, number: int, index: int, rwset: ReadWriteSet) -> None:
        conn = self._conn
        for key, value in rwset.writes.items():
            if value is None:
                conn.execute("DELETE FROM state WHERE key = ?", (key,))
            else:
                conn.execute(
                    "INSERT INTO state VALUES (?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET "
                    "value = excluded.value, block = excluded.block, tx_index = excluded.tx_index",
                    (key, value, number, index),
                )
            conn.execute(
                "INSERT INTO history VALUES (?, ?, ?, ?, ?)",
                (key, number, index, value, int(value is None)),
            )
