"""The indexer: committed ledger events → read model, resumable and idempotent.

Events are applied block by block; each block's rows and the new checkpoint are one SQL
transaction, so after a crash the indexer resumes exactly after the last block it recorded. The
checkpoint is re-read inside that transaction, so two indexers on one database never apply an
event twice.

Observers (`Indexer.observers`) hear of every block once the read model holds it, whoever applied
it: this process's follower, a request's `wait_for`, or another process sharing the database. Each
indexer keeps its own position of what it has seen (`_seen`), so with several server processes
every one of them tells its own subscribers (services/notifications). An observer runs in the
indexing thread, so it must be quick (hand the block to a queue); its errors are logged, never
raised into indexing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from services.ledger.port import ChaincodeEvent, Checkpoint, Ledger
from services.readmodel import projections
from services.readmodel.db import create_schema, writer
from services.readmodel.tables import DERIVED_TABLES, IndexCheckpoint

log = logging.getLogger("pharmatrace.indexer")


@dataclass(frozen=True)
class IndexedBlock:
    """What an observer hears: one block now in the read model.

    `events` are the block's events this indexer had not yet reported (a very large block may
    come in several parts); `applied` is how many of them this indexer wrote itself (0 when
    another process indexed the block first)."""

    block: int
    events: tuple[ChaincodeEvent, ...]
    applied: int


BlockObserver = Callable[[IndexedBlock], None]


def _earliest(a: Checkpoint | None, b: Checkpoint | None) -> Checkpoint | None:
    return None if a is None or b is None else min(a, b)


class Indexer:
    """Feeds one read model from one ledger."""

    def __init__(self, ledger: Ledger, engine: Engine, *, page_size: int = 2000) -> None:
        self.ledger = ledger
        self.engine = engine
        self._writer = writer(engine)
        self._page_size = page_size
        self._lock = threading.RLock()
        self._indexed_height = 0  # every block below it is known to be in the read model
        self._ensure_checkpoint_row()
        self.observers: list[BlockObserver] = []
        self._seen = self.checkpoint()  # the last event reported to observers (history is not)

    def _ensure_checkpoint_row(self) -> None:
        """The checkpoint row always exists (block -1 = nothing applied), so that locking it
        with SELECT … FOR UPDATE serialises concurrent indexers even on a fresh read model."""
        try:
            with Session(self._writer) as session:
                if session.get(IndexCheckpoint, 1) is None:
                    session.add(IndexCheckpoint(id=1, block=-1, tx_index=-1))
                    session.commit()
        except IntegrityError:
            pass  # another indexer created it first

    def checkpoint(self) -> Checkpoint | None:
        with Session(self.engine) as session:
            row = session.get(IndexCheckpoint, 1)
            return Checkpoint(row.block, row.tx_index) if row and row.block >= 0 else None

    def catch_up(self) -> int:
        """Apply every committed event not yet indexed; returns how many were applied."""
        applied = 0
        with self._lock:
            height = self.ledger.height()
            while True:
                # From the earlier of the read model's checkpoint (what is missing) and our own
                # position (blocks another process indexed that our observers have not heard of).
                after = _earliest(self.checkpoint(), self._seen)
                page = self.ledger.read_events(after, self._page_size)
                if not page:
                    # Everything committed below `height` is now in the read model.
                    self._indexed_height = max(self._indexed_height, height)
                    return applied
                for block, events in groupby(page, key=lambda e: e.block):
                    in_block = list(events)
                    fresh = self._apply_block(in_block)
                    applied += fresh
                    self._report(block, in_block, fresh)

    def wait_for(self, block: int) -> None:
        """Return once the read model includes `block` (committed before this call).

        Concurrent writers do not each replay the ledger: whoever holds the lock catches up for
        everybody, and the others find their block already indexed without touching SQL.
        """
        if self._indexed_height > block:
            return
        with self._lock:
            if self._indexed_height > block:
                return
        self.catch_up()

    def _apply_block(self, events: list[ChaincodeEvent]) -> int:
        with Session(self._writer) as session:
            current = session.get(IndexCheckpoint, 1, with_for_update=True)
            done = Checkpoint(current.block, current.tx_index) if current else None
            if done is not None and done.block < 0:
                done = None
            fresh = [e for e in events if done is None or e.checkpoint > done]
            for event in fresh:
                projections.apply(session, event)
            if fresh:
                last = fresh[-1].checkpoint
                session.merge(IndexCheckpoint(id=1, block=last.block, tx_index=last.tx_index))
            session.commit()
            return len(fresh)

    def _report(self, block: int, events: list[ChaincodeEvent], applied: int) -> None:
        unseen = tuple(e for e in events if self._seen is None or e.checkpoint > self._seen)
        if unseen:
            self._seen = unseen[-1].checkpoint
        if not (unseen or applied) or not self.observers:
            return
        indexed = IndexedBlock(block, unseen, applied)
        for observer in list(self.observers):
            try:
                observer(indexed)
            except Exception:  # an observer must never stop indexing
                log.exception("block observer %r failed on block %d", observer, block)

    def follow(self, stop: threading.Event, interval: float = 0.2) -> None:
        """Keep the read model current until `stop` is set (run in a background thread)."""
        while not stop.is_set():
            self.catch_up()
            stop.wait(interval)

    def rebuild(self) -> int:
        """Drop every ledger-derived table and replay the whole ledger into fresh ones."""
        with self._lock:
            # SQLModel adds __table__ to table classes at runtime; its stubs do not declare it.
            tables = [model.__table__ for model in DERIVED_TABLES]  # type: ignore[attr-defined]
            SQLModel.metadata.drop_all(self.engine, tables=tables)
            create_schema(self.engine)
            self._ensure_checkpoint_row()
            self._indexed_height = 0
        return self.catch_up()
