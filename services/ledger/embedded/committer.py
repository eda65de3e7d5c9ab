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
from services.ledger.embedded.simulation import ReadWriteSet, Version

VALID = "VALID"
CHECKPOINT_EVERY_BLOCKS = 500
_SQL_CHUNK = 500  # keys per IN (...) query, far below SQLite's parameter limit


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
        self,
        path: Path,
        on_block: Callable[[int], None],
        max_block_txs: int = 1000,
        synchronous: str = "FULL",
    ) -> None:
        self._conn = schema.connect(path, synchronous=synchronous)
        self._blocks_since_checkpoint = 0
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
        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
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
        self._blocks_since_checkpoint += 1
        if self._blocks_since_checkpoint >= CHECKPOINT_EVERY_BLOCKS:
            # PASSIVE never waits for readers; it copies what it can and keeps the WAL bounded.
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            self._blocks_since_checkpoint = 0

    def _write_block(self, batch: list[EndorsedTransaction]) -> tuple[int, list[str]]:
        """Validate and write one block with a handful of statements, whatever its size.

        Few, batched statements matter: every SQLite call releases and re-acquires the GIL, and
        with many endorsing threads each re-acquisition can wait a whole switch interval.
        """
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            last_number, last_hash = conn.execute(
                "SELECT number, hash FROM blocks ORDER BY number DESC LIMIT 1"
            ).fetchone()
            number = last_number + 1
            block = _BlockWrites(number, self._committed_versions(batch))
            duplicates = self._known_tx_ids([tx.tx_id for tx in batch])
            outcomes, tx_rows, tx_hashes = [], [], []
            for index, tx in enumerate(batch):
                validation = self._validate(tx, block, duplicates)
                duplicates.add(tx.tx_id)
                if validation == VALID:
                    block.apply(index, tx.rwset)
                outcomes.append(validation)
                event = tx.event if validation == VALID else None
                tx_rows.append(
                    (
                        number,
                        index,
                        tx.tx_id,
                        tx.envelope,
                        validation,
                        event[0] if event else None,
                        event[1] if event else None,
                        tx.timestamp,
                    )
                )
                tx_hashes.append(blocks.transaction_hash(tx.envelope, validation))
            conn.executemany("INSERT INTO transactions VALUES (?, ?, ?, ?, ?, ?, ?, ?)", tx_rows)
            block.flush(conn)
            data = blocks.data_hash(tx_hashes)
            previous = bytes(last_hash)
            conn.execute(
                "INSERT INTO blocks VALUES (?, ?, ?, ?, ?, ?)",
                (
                    number,
                    previous,
                    data,
                    blocks.block_hash(number, previous, data),
                    datetime.now(UTC).isoformat(),
                    len(batch),
                ),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return number, outcomes

    def _committed_versions(self, batch: list[EndorsedTransaction]) -> dict[str, Version]:
        keys = sorted({key for tx in batch for key in tx.rwset.reads})
        versions: dict[str, Version] = dict.fromkeys(keys)
        for start in range(0, len(keys), _SQL_CHUNK):
            chunk = keys[start : start + _SQL_CHUNK]
            rows = self._conn.execute(
                "SELECT key, block, tx_index FROM state WHERE key IN "
                f"({','.join('?' * len(chunk))})",
                chunk,
            )
            versions.update((row[0], (row[1], row[2])) for row in rows)
        return versions

    def _known_tx_ids(self, tx_ids: list[str]) -> set[str]:
        known: set[str] = set()
        for start in range(0, len(tx_ids), _SQL_CHUNK):
            chunk = tx_ids[start : start + _SQL_CHUNK]
            rows = self._conn.execute(
                f"SELECT tx_id FROM transactions WHERE tx_id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            known.update(row[0] for row in rows)
        return known

    def _validate(
        self, tx: EndorsedTransaction, block: _BlockWrites, known_tx_ids: set[str]
    ) -> str:
        if tx.tx_id in known_tx_ids:
            return "DUPLICATE_TXID"
        for key, version in tx.rwset.reads.items():
            if block.version(key) != version:
                return "MVCC_READ_CONFLICT"
        for start, end, seen_keys in tx.rwset.ranges:
            if block.range_versions(self._conn, start, end) != seen_keys:
                return "PHANTOM_READ_CONFLICT"
        return VALID


class _BlockWrites:
    """Key versions as of the transaction being validated: committed state + this block's writes."""

    def __init__(self, number: int, committed: dict[str, Version]) -> None:
        self.number = number
        self._committed = committed
        self._written: dict[str, tuple[bytes | None, Version]] = {}
        self._history: list[tuple[str, int, int, bytes | None, int]] = []

    def version(self, key: str) -> Version:
        if key in self._written:
            return self._written[key][1]
        return self._committed.get(key)

    def range_versions(
        self, conn: sqlite3.Connection, start: str, end: str
    ) -> list[tuple[str, Version]]:
        rows = conn.execute(
            "SELECT key, block, tx_index FROM state WHERE key >= ? AND key < ?", (start, end)
        ).fetchall()
        current: dict[str, Version] = {row[0]: (row[1], row[2]) for row in rows}
        for key, (value, version) in self._written.items():
            if start <= key < end:
                if value is None:
                    current.pop(key, None)
                else:
                    current[key] = version
        return sorted(current.items())

    def apply(self, index: int, rwset: ReadWriteSet) -> None:
        for key, value in rwset.writes.items():
            self._written[key] = (value, (self.number, index) if value is not None else None)
            self._history.append((key, self.number, index, value, int(value is None)))

    def flush(self, conn: sqlite3.Connection) -> None:
        upserts = [
            (k, v, ver[0], ver[1])
            for k, (v, ver) in self._written.items()
            if v is not None and ver is not None
        ]
        deletes = [(k,) for k, (v, _ver) in self._written.items() if v is None]
        conn.executemany(
            "INSERT INTO state VALUES (?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET "
            "value = excluded.value, block = excluded.block, tx_index = excluded.tx_index",
            upserts,
        )
        conn.executemany("DELETE FROM state WHERE key = ?", deletes)
        conn.executemany("INSERT INTO history VALUES (?, ?, ?, ?, ?)", self._history)
