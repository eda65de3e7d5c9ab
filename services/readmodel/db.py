"""Engines for the read model: SQLite by default (WAL), PostgreSQL by URL.

On SQLite, writers ask for `writer(engine)`: their transactions start with BEGIN IMMEDIATE, so two
indexers (say the server and a CLI process) serialise on the write lock instead of failing to
upgrade a read lock half-way; readers keep plain deferred transactions and never wait on writers
(WAL). synchronous=NORMAL survives a killed process; a power cut may lose the last scans, while
everything derived from the ledger is rebuilt from it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event
from sqlmodel import SQLModel, create_engine

from services.readmodel import tables  # noqa: F401  (registers the tables on SQLModel.metadata)


def make_engine(url: str) -> Engine:
    """An engine for `url` with the settings the read model relies on."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("pharmatrace_writer", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def writer(engine: Engine) -> Engine:
    """The same engine, marked so SQLite takes the write lock at the start of a transaction."""
    return engine.execution_options(pharmatrace_writer=True)


def create_schema(engine: Engine) -> None:
    SQLModel.metadata.create_all(engine)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
