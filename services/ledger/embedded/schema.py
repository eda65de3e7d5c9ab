"""SQLite storage of the embedded ledger: blocks, transactions, world state, key history."""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS blocks (
    number        INTEGER PRIMARY KEY,
    previous_hash BLOB NOT NULL,
    data_hash     BLOB NOT NULL,
    hash          BLOB NOT NULL,
    committed_at  TEXT NOT NULL,
    tx_count      INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS transactions (
    block         INTEGER NOT NULL,
    tx_index      INTEGER NOT NULL,
    tx_id         TEXT NOT NULL,
    envelope      BLOB NOT NULL,   -- canonical JSON: proposal, signature, rwset, result, event
    validation    TEXT NOT NULL,   -- VALID or Fabric's code: MVCC_READ_CONFLICT, …
    event_name    TEXT,
    event_payload BLOB,
    timestamp     TEXT NOT NULL,
    PRIMARY KEY (block, tx_index)
);
CREATE INDEX IF NOT EXISTS transactions_tx_id ON transactions (tx_id);
CREATE TABLE IF NOT EXISTS state (
    key      TEXT PRIMARY KEY,
    value    BLOB NOT NULL,
    block    INTEGER NOT NULL,
    tx_index INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS history (
    key       TEXT NOT NULL,
    block     INTEGER NOT NULL,
    tx_index  INTEGER NOT NULL,
    value     BLOB,
    is_delete INTEGER NOT NULL,
    PRIMARY KEY (key, block, tx_index)
) WITHOUT ROWID;
"""


def connect(path: Path, *, readonly: bool = False, synchronous: str = "FULL") -> sqlite3.Connection:
    """A connection with the durability settings every writer and reader must share.

    synchronous=FULL fsyncs the WAL at every commit: a committed block survives a power cut.
    NORMAL survives a killed process (the WAL is in the OS cache) but not a power cut; it is
    offered for throughput-hungry single-machine use and measured in docs/BENCHMARKS.md.
    Automatic checkpoints are off: with readers always active they run on nearly every commit;
    the committer checkpoints itself every few hundred blocks instead.
    """
    if synchronous not in ("FULL", "NORMAL"):
        raise ValueError("synchronous must be FULL or NORMAL")
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("PRAGMA foreign_keys=OFF")
    if readonly:
        conn.execute("PRAGMA query_only=ON")
    else:
        conn.executescript(SCHEMA)
    return conn
