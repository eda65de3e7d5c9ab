"""Simulation: run the contract against committed state and record its read/write set.

Mirrors a Fabric peer's endorsement: reads come from one consistent snapshot of committed state
(never from the transaction's own writes), each read records the version it saw, range reads record
the keys they returned, and writes are only collected. Nothing touches the state until commit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from chaincode.stub import Creator, KeyModification, create_composite_key

Version = tuple[int, int] | None


@dataclass
class ReadWriteSet:
    """What one simulated transaction read (with versions) and wants to write."""

    reads: dict[str, Version] = field(default_factory=dict)
    ranges: list[tuple[str, str, list[tuple[str, Version]]]] = field(default_factory=list)
    writes: dict[str, bytes | None] = field(default_factory=dict)  # None deletes

    def to_json(self) -> dict[str, object]:
        return {
            "reads": [[k, list(v) if v else None] for k, v in sorted(self.reads.items())],
            "ranges": [
                [start, end, [[k, list(v) if v else None] for k, v in keys]]
                for start, end, keys in self.ranges
            ],
            "writes": [
                [k, v.hex() if v is not None else None] for k, v in sorted(self.writes.items())
            ],
        }


def range_end(start: str) -> str:
    """Fabric's end key for a partial composite key: the start followed by the max rune."""
    return start + "\U0010ffff"


class SimulationStub:
    """A `ChaincodeStub` over a SQLite read snapshot; collects a `ReadWriteSet`."""

    def __init__(
        self, conn: sqlite3.Connection, tx_id: str, timestamp: datetime, creator: Creator
    ) -> None:
        self._conn = conn
        self._tx_id = tx_id
        self._timestamp = timestamp
        self._creator = creator
        self.rwset = ReadWriteSet()
        self.event: tuple[str, bytes] | None = None

    def get_txid(self) -> str:
        return self._tx_id

    def get_tx_timestamp(self) -> datetime:
        return self._timestamp

    def get_creator(self) -> Creator:
        return self._creator

    def get_state(self, key: str) -> bytes:
        row = self._conn.execute(
            "SELECT value, block, tx_index FROM state WHERE key = ?", (key,)
        ).fetchone()
        if key not in self.rwset.reads:
            self.rwset.reads[key] = (row[1], row[2]) if row else None
        return bytes(row[0]) if row else b""

    def put_state(self, key: str, value: bytes) -> None:
        if not key or not value:
            raise ValueError("put_state needs a key and a non-empty value")
        self.rwset.writes[key] = bytes(value)

    def delete_state(self, key: str) -> None:
        self.rwset.writes[key] = None

    def get_state_by_partial_composite_key(
        self, object_type: str, attributes: list[str]
    ) -> Iterator[tuple[str, bytes]]:
        start = create_composite_key(object_type, attributes)
        end = range_end(start)
        rows = self._conn.execute(
            "SELECT key, value, block, tx_index FROM state WHERE key >= ? AND key < ? ORDER BY key",
            (start, end),
        ).fetchall()
        self.rwset.ranges.append((start, end, [(r[0], (r[2], r[3])) for r in rows]))
        return iter([(r[0], bytes(r[1])) for r in rows])

    def get_history_for_key(self, key: str) -> Iterator[KeyModification]:
        rows = self._conn.execute(
            "SELECT t.tx_id, t.timestamp, h.value, h.is_delete FROM history h "
            "JOIN transactions t ON t.block = h.block AND t.tx_index = h.tx_index "
            "WHERE h.key = ? ORDER BY h.block DESC, h.tx_index DESC",
            (key,),
        ).fetchall()
        return iter(
            [
                KeyModification(
                    tx_id=r[0],
                    timestamp=datetime.fromisoformat(r[1]).astimezone(UTC),
                    value=bytes(r[2]) if r[2] is not None else b"",
                    is_delete=bool(r[3]),
                )
                for r in rows
            ]
        )

    def set_event(self, name: str, payload: bytes) -> None:
        self.event = (name, bytes(payload))  # Fabric keeps only the last event
