"""`SerialStore`: serial rows in the read-model database, Merkle trees in files.

A tree file holds every level of a batch's tree, leaves first, as raw 32-byte hashes after a small
header of level sizes. A proof reads one node per level with `seek`, so proofs stay cheap for a
batch of millions without loading it. Files are written to a temporary name and renamed, so a
crash never leaves a half tree under the real name.
"""

from __future__ import annotations

import itertools
import os
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Connection, Engine
from sqlmodel import Session, select

from chaincode import merkle
from services.readmodel.db import writer
from services.readmodel.tables import SerialNumber

_MAGIC = b"PTMRKL01"
_CHUNK = 50_000
_LOOKUP_CHUNK = 500


def _placeholder(conn: Connection) -> str:
    """The DB-API parameter marker of the connection's driver (sqlite3: ?, psycopg: %s)."""
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


@dataclass(frozen=True)
class PreparedSerials:
    """A batch's serials in leaf order with every level of their Merkle tree."""

    ordered: list[str]
    levels: list[list[bytes]]

    @property
    def root(self) -> bytes:
        return self.levels[-1][0]


class SerialStoreError(Exception):
    """A serial list is invalid (duplicates, empty) or a tree file is missing."""


class SerialStore:
    def __init__(self, engine: Engine, tree_dir: Path) -> None:
        self.engine = engine
        self.tree_dir = tree_dir

    def tree_path(self, gtin: str, lot: str) -> Path:
        return self.tree_dir / gtin / f"{lot.encode().hex()}.merkle"

    @staticmethod
    def prepare(serials: Iterable[str]) -> PreparedSerials:
        """Sort, refuse duplicates, and build the tree in memory (nothing is stored yet)."""
        ordered = sorted(serials)
        if not ordered:
            raise SerialStoreError("A batch needs at least one serial number.")
        for previous, current in itertools.pairwise(ordered):
            if previous == current:
                raise SerialStoreError(f"Serial {current} appears twice.")
        return PreparedSerials(ordered, _levels([merkle.leaf_hash(s) for s in ordered]))

    def already_used(self, gtin: str, ordered_serials: list[str], limit: int = 10) -> list[str]:
        """Serials of this list already registered for the GTIN (EU: unique per product code).

        Driver-level SQL: a million serials through the ORM cost seconds in parameter handling.
        When the GTIN has fewer stored serials than the list, its stored serials are streamed and
        checked against the list; otherwise the list is looked up in chunks.
        """
        table = SerialNumber.__tablename__
        with self.engine.connect() as conn:
            mark = _placeholder(conn)
            stored = conn.exec_driver_sql(
                f"SELECT COUNT(*) FROM {table} WHERE gtin = {mark}", (gtin,)
            ).scalar_one()
            if stored == 0:
                return []
            if stored < len(ordered_serials):
                wanted = set(ordered_serials)
                rows = conn.exec_driver_sql(
                    f"SELECT serial FROM {table} WHERE gtin = {mark} ORDER BY serial", (gtin,)
                )
                return [row[0] for row in rows if row[0] in wanted][:limit]
            found: list[str] = []
            for start in range(0, len(ordered_serials), _LOOKUP_CHUNK):
                chunk = ordered_serials[start : start + _LOOKUP_CHUNK]
                marks = ", ".join([mark] * len(chunk))
                rows = conn.exec_driver_sql(
                    f"SELECT serial FROM {table} WHERE gtin = {mark} AND serial IN ({marks})",
                    (gtin, *chunk),
                )
                found.extend(row[0] for row in rows)
                if len(found) >= limit:
                    break
        return found[:limit]

    def has_batch(self, gtin: str, lot: str) -> bool:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(SerialNumber.serial)
                .where(SerialNumber.gtin == gtin, SerialNumber.lot == lot)
                .limit(1)
            ).first()
        return row is not None

    def save(self, gtin: str, lot: str, prepared: PreparedSerials) -> None:
        """Store a batch's serial rows and tree, once its token is on the ledger. Idempotent."""
        self._write_tree(gtin, lot, prepared.levels)
        if not self.has_batch(gtin, lot):
            self._write_rows(gtin, lot, prepared.ordered)

    def _write_tree(self, gtin: str, lot: str, levels: list[list[bytes]]) -> None:
        path = self.tree_path(gtin, lot)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as out:
            out.write(_MAGIC + struct.pack("<I", len(levels)))
            out.write(b"".join(struct.pack("<Q", len(level)) for level in levels))
            for level in levels:
                out.write(b"".join(level))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)

    def _write_rows(self, gtin: str, lot: str, ordered_serials: list[str]) -> None:
        """One executemany of plain tuples per chunk: the ORM's per-row parameter work would
        take most of a million-serial registration."""
        table = SerialNumber.__tablename__
        with writer(self.engine).begin() as conn:
            mark = _placeholder(conn)
            existing = conn.exec_driver_sql(
                f"SELECT 1 FROM {table} WHERE gtin = {mark} AND lot = {mark} LIMIT 1", (gtin, lot)
            ).first()
            if existing is not None:
                return  # saved before (a retried registration)
            values = ", ".join([mark] * 4)
            sql = f"INSERT INTO {table} (gtin, serial, lot, leaf_index) VALUES ({values})"
            for start in range(0, len(ordered_serials), _CHUNK):
                chunk = ordered_serials[start : start + _CHUNK]
                conn.exec_driver_sql(
                    sql, [(gtin, serial, lot, start + i) for i, serial in enumerate(chunk)]
                )

    def _staged_path(self, gtin: str, lot: str) -> Path:
        return self.tree_path(gtin, lot).with_suffix(".staged")

    def stage(self, gtin: str, lot: str, serials: list[str]) -> None:
        """Keep generated serials until the batch is stored, so a retry reuses the same ones."""
        path = self._staged_path(gtin, lot)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".staging")
        with tmp.open("w", encoding="ascii") as out:
            out.write("\n".join(serials))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)

    def staged(self, gtin: str, lot: str) -> list[str] | None:
        try:
            return self._staged_path(gtin, lot).read_text(encoding="ascii").split("\n")
        except FileNotFoundError:
            return None

    def clear_staged(self, gtin: str, lot: str) -> None:
        self._staged_path(gtin, lot).unlink(missing_ok=True)

    def lookup(self, gtin: str, serial: str) -> SerialNumber | None:
        """The batch (lot) and leaf index of a serial of this GTIN, if it was ever registered."""
        with Session(self.engine) as session:
            return session.get(SerialNumber, (gtin, serial))

    def proof(self, gtin: str, lot: str, index: int) -> list[bytes]:
        """Sibling hashes from leaf `index` to the root, read from the tree file."""
        path = self.tree_path(gtin, lot)
        try:
            with path.open("rb") as tree:
                return list(_read_proof(tree, index))
        except FileNotFoundError as exc:
            raise SerialStoreError(f"No serial tree for batch {lot} of {gtin}.") from exc


def _levels(leaves: list[bytes]) -> list[list[bytes]]:
    levels = [leaves]
    while len(levels[-1]) > 1:
        levels.append(merkle.next_level(levels[-1]))
    return levels


def _read_proof(tree: BinaryIO, index: int) -> Iterator[bytes]:
    header = tree.read(12)
    if header[:8] != _MAGIC:
        raise SerialStoreError("Not a PharmaTrace Merkle tree file.")
    (depth,) = struct.unpack("<I", header[8:])
    sizes = struct.unpack(f"<{depth}Q", tree.read(8 * depth))
    offset = 12 + 8 * depth
    for size in sizes[:-1]:
        sibling = index ^ 1
        if sibling < size:
            tree.seek(offset + 32 * sibling)
            yield tree.read(32)
        offset += 32 * size
        index //= 2
