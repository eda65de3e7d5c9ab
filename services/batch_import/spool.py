"""The rows and findings of one import, kept in a temporary SQLite file instead of in memory.

A pack file of a million rows must be checked as a whole (duplicate serials anywhere in the file,
one expiry per batch) before anything is committed. Holding it in Python would cost hundreds of
megabytes; spooled to SQLite, memory stays at one chunk of rows plus the largest batch's serials,
which the registration needs in memory anyway. The file is deleted when the import ends.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE rows (
    row INTEGER PRIMARY KEY,
    gtin TEXT NOT NULL,
    lot TEXT NOT NULL,
    expiry TEXT,
    serial TEXT,
    quantity INTEGER,
    bad INTEGER NOT NULL
);
CREATE TABLE errors (
    seq INTEGER PRIMARY KEY,
    row INTEGER NOT NULL,
    position INTEGER NOT NULL,
    col TEXT NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE TABLE batches (
    id INTEGER PRIMARY KEY,
    gtin TEXT NOT NULL,
    lot TEXT NOT NULL,
    first_row INTEGER NOT NULL,
    rows INTEGER NOT NULL,
    expiry TEXT,
    quantity INTEGER,
    bad INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT '',
    tx_id TEXT,
    block INTEGER
);
"""
_IN_CHUNK = 500

SpooledRow = tuple[int, str, str, str | None, str | None, int | None, int]
"""(row, gtin, lot, expiry ISO date, serial, quantity, bad)."""
SpooledError = tuple[int, int, str, str, str]
"""(row, column position, column, code, message)."""


@dataclass(frozen=True)
class SpooledBatch:
    id: int
    gtin: str
    lot: str
    first_row: int
    rows: int
    expiry: str | None
    quantity: int | None
    bad: bool
    status: str
    message: str
    tx_id: str | None
    block: int | None


class Spool:
    """One import's scratch database (rows, errors, batches) in `directory`."""

    def __init__(self, directory: Path) -> None:
        self.db = sqlite3.connect(directory / "import.sqlite", isolation_level=None)
        self.db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA temp_store=FILE;"
            "PRAGMA cache_size=-16000;" + _SCHEMA
        )

    def close(self) -> None:
        self.db.close()

    # -- loading -----------------------------------------------------------------------------
    def add(self, rows: list[SpooledRow], errors: list[SpooledError]) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT INTO rows VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            self._insert_errors(errors)

    def add_errors(self, errors: Iterable[SpooledError]) -> None:
        """Record errors (an iterator may read this spool's rows while they are inserted)."""
        with self.db:
            self.db.execute("BEGIN")
            self._insert_errors(errors)

    def _insert_errors(self, errors: Iterable[SpooledError]) -> None:
        self.db.executemany(
            "INSERT INTO errors (row, position, col, code, message) VALUES (?, ?, ?, ?, ?)", errors
        )

    def index(self) -> None:
        self.db.executescript(
            "CREATE INDEX rows_batch ON rows (gtin, lot, serial);"
            "CREATE INDEX rows_serial ON rows (gtin, serial, row);"
            "CREATE INDEX errors_row ON errors (row);"
        )

    # -- checks across rows ------------------------------------------------------------------
    def repeated(self, key: str) -> Iterator[tuple[int, str, str, int]]:
        """Rows repeating an earlier row's (gtin, `key`): (row, gtin, value, earlier row)."""
        if key not in ("serial", "lot"):
            raise ValueError(key)
        return iter(
            self.db.execute(
                f"""SELECT r.row, r.gtin, r.{key}, f.first_row FROM rows r
                    JOIN (SELECT gtin, {key} AS value, MIN(row) AS first_row FROM rows
                          WHERE {key} IS NOT NULL AND {key} != ''
                          GROUP BY gtin, {key} HAVING COUNT(*) > 1) f
                      ON r.gtin = f.gtin AND r.{key} = f.value
                    WHERE r.row > f.first_row ORDER BY r.row"""
            )
        )

    def expiry_conflicts(self) -> Iterator[tuple[int, str, str, int]]:
        """Rows whose expiry differs from their batch's first: (row, expiry, first's, first row)."""
        return iter(
            self.db.execute(
                """SELECT r.row, r.expiry, fr.expiry, fr.row FROM rows r
                   JOIN (SELECT gtin, lot, MIN(row) AS first_row FROM rows
                         WHERE expiry IS NOT NULL GROUP BY gtin, lot) f
                     ON r.gtin = f.gtin AND r.lot = f.lot
                   JOIN rows fr ON fr.row = f.first_row
                   WHERE r.expiry IS NOT NULL AND r.expiry != fr.expiry ORDER BY r.row"""
            )
        )

    def group(self) -> int:
        """Group rows into batches (file order of first rows); the number of batches."""
        self.db.executescript(
            """BEGIN;
               UPDATE rows SET bad = 1 WHERE row IN (SELECT row FROM errors);
               INSERT INTO batches (gtin, lot, first_row, rows, expiry, quantity, bad)
                   SELECT gtin, lot, MIN(row), COUNT(*), MIN(expiry), MAX(quantity), MAX(bad)
                   FROM rows GROUP BY gtin, lot ORDER BY MIN(row);
               COMMIT;"""
        )
        return int(self.db.execute("SELECT COUNT(*) FROM batches").fetchone()[0])

    # -- batches -----------------------------------------------------------------------------
    def batches(self, *, status: str | None = None, page: int = 1000) -> Iterator[SpooledBatch]:
        """Every batch in file order (optionally only those with `status`), read page by page so
        outcomes can be written while iterating."""
        last = 0
        where = "AND status = ?" if status is not None else ""
        while True:
            params: tuple[object, ...] = (last, page) if status is None else (last, status, page)
            rows = self.db.execute(
                f"SELECT id, gtin, lot, first_row, rows, expiry, quantity, bad, status, message, "
                f"tx_id, block FROM batches WHERE id > ? {where} ORDER BY id LIMIT ?",
                params,
            ).fetchall()
            if not rows:
                return
            for row in rows:
                yield SpooledBatch(
                    id=row[0],
                    gtin=row[1],
                    lot=row[2],
                    first_row=row[3],
                    rows=row[4],
                    expiry=row[5],
                    quantity=row[6],
                    bad=bool(row[7]),
                    status=row[8],
                    message=row[9],
                    tx_id=row[10],
                    block=row[11],
                )
            last = rows[-1][0]

    def set_outcome(
        self,
        batch_id: int,
        status: str,
        message: str = "",
        *,
        tx_id: str | None = None,
        block: int | None = None,
    ) -> None:
        self.db.execute(
            "UPDATE batches SET status = ?, message = ?, tx_id = ?, block = ? WHERE id = ?",
            (status, message, tx_id, block, batch_id),
        )

    def count(self, status: str) -> int:
        return int(
            self.db.execute("SELECT COUNT(*) FROM batches WHERE status = ?", (status,)).fetchone()[
                0
            ]
        )

    def error_count_of(self, gtin: str, lot: str) -> int:
        """How many errors the rows of one batch have."""
        return int(
            self.db.execute(
                "SELECT COUNT(*) FROM rows r JOIN errors e ON e.row = r.row "
                "WHERE r.gtin = ? AND r.lot = ?",
                (gtin, lot),
            ).fetchone()[0]
        )

    def serials(self, gtin: str, lot: str) -> list[str]:
        """A batch's serials, sorted."""
        return list(self.iter_serials(gtin, lot))

    def iter_serials(self, gtin: str, lot: str) -> Iterator[str]:
        """A batch's serials, sorted, straight from the database (no list held here)."""
        for (serial,) in self.db.execute(
            "SELECT serial FROM rows WHERE gtin = ? AND lot = ? ORDER BY serial", (gtin, lot)
        ):
            yield serial

    def rows_of(self, gtin: str, lot: str, serials: list[str]) -> list[tuple[int, str]]:
        """(row, serial) of the given serials of a batch, in row order."""
        found: list[tuple[int, str]] = []
        for start in range(0, len(serials), _IN_CHUNK):
            chunk = serials[start : start + _IN_CHUNK]
            marks = ",".join("?" * len(chunk))
            found.extend(
                self.db.execute(
                    f"SELECT row, serial FROM rows WHERE gtin = ? AND lot = ? "
                    f"AND serial IN ({marks})",
                    (gtin, lot, *chunk),
                )
            )
        return sorted(found)

    # -- errors ------------------------------------------------------------------------------
    def error_count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM errors").fetchone()[0])

    def errors(self, limit: int) -> list[tuple[int, str, str, str]]:
        """The first `limit` errors by row, then column: (row, column, code, message)."""
        return [
            (row, col, code, message)
            for row, col, code, message in self.db.execute(
                "SELECT row, col, code, message FROM errors ORDER BY row, position, seq LIMIT ?",
                (limit,),
            )
        ]
