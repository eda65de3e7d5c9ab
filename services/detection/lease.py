"""The detection lease: at most one incremental detection run at a time, across processes.

`pharmatrace serve --workers N` runs N processes, each with its own detection worker, and the CLI
may run `detect --new` beside them. Two runs at once would read the same cursor, insert the same
new alert twice (a primary-key clash) and announce it twice. A lease row taken by a
compare-and-set UPDATE (short transactions, the same on SQLite and PostgreSQL) serialises them; it
expires, so a process killed mid-run does not stop detection for good.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, Table, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col

from services.readmodel.db import writer

TTL_SECONDS = 120.0  # longer than any run; a dead holder's lease lapses after this
POLL_SECONDS = 0.02


class LeaseBusyError(TimeoutError):
    """Another run held the detection lease for longer than the caller would wait."""


class DetectionLease(SQLModel, table=True):
    id: int = Field(default=1, primary_key=True)
    holder: str = ""
    expires: float = 0.0  # Unix time


def _holder() -> str:
    return f"{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"


_ready: weakref.WeakSet[Engine] = weakref.WeakSet()


def _ensure_row(engine: Engine) -> None:
    if engine in _ready:
        return
    table: Table = DetectionLease.__table__  # type: ignore[attr-defined]
    table.create(engine, checkfirst=True)
    try:
        with Session(writer(engine)) as session:
            if session.get(DetectionLease, 1) is None:
                session.add(DetectionLease(id=1))
                session.commit()
    except IntegrityError:
        pass  # another process created it first
    _ready.add(engine)


def _try_take(engine: Engine, holder: str) -> bool:
    now = time.time()
    with Session(writer(engine)) as session:
        result = session.execute(
            update(DetectionLease)
            .where(col(DetectionLease.id) == 1, col(DetectionLease.expires) < now)
            .values(holder=holder, expires=now + TTL_SECONDS)
        )
        session.commit()
        return bool(result.rowcount)  # type: ignore[attr-defined]  # CursorResult of an UPDATE


def _give_back(engine: Engine, holder: str) -> None:
    with Session(writer(engine)) as session:
        session.execute(
            update(DetectionLease)
            .where(col(DetectionLease.id) == 1, col(DetectionLease.holder) == holder)
            .values(expires=0.0)
        )
        session.commit()


@contextmanager
def detection_lease(engine: Engine, wait_seconds: float = 60.0) -> Iterator[None]:
    """Hold the lease for the `with` block; wait for it at most `wait_seconds` (LeaseBusyError)."""
    _ensure_row(engine)
    holder = _holder()
    deadline = time.monotonic() + wait_seconds
    while not _try_take(engine, holder):
        if time.monotonic() > deadline:
            raise LeaseBusyError("another detection run holds the lease")
        time.sleep(POLL_SECONDS)
    try:
        yield
    finally:
        _give_back(engine, holder)
