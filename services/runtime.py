"""`Runtime`: the wired system one process runs: identities, ledger, read model, indexer, serials.

Domain services receive a Runtime and an `Actor`. `Runtime.submit` is the single path of every
write: it signs as the actor's organization, maps ledger errors to `PharmaTraceError` once, retries
a transaction that lost an MVCC race (a fresh endorsement, so never a double write), and brings the
read model up to the committed block before returning, so a user reads what they just wrote.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from services.config import Settings
from services.errors import PharmaTraceError, from_ledger
from services.identity import MspDirectory, OrgIdentity
from services.ledger import CommitStatusError, Contract, Ledger, LedgerError
from services.ledger.embedded import EmbeddedLedger
from services.readmodel.db import create_schema, make_engine
from services.readmodel.indexer import Indexer
from services.serials import SerialStore

MVCC_RETRIES = 3
log = logging.getLogger("pharmatrace.runtime")


@dataclass(frozen=True)
class Actor:
    """Who acts: a user of an organization, at a location (premises GLN)."""

    msp_id: str
    role: str
    user: str = "system"
    location: str = ""


@dataclass(frozen=True)
class Committed:
    """A committed write: the contract's result and where it sits on the ledger."""

    record: Any
    tx_id: str
    block: int


class Runtime:
    """Everything a request handler, a CLI command or the demo needs, opened once."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], datetime] | None = None,
        ledger: Ledger | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock or (lambda: datetime.now(UTC))
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.msp = MspDirectory(settings.msp_dir)
        self.ledger: Ledger = ledger or EmbeddedLedger(
            settings.ledger_path,
            self.msp,
            clock=lambda: self.clock(),
            synchronous=settings.ledger_sync.upper(),
        )
        self.engine: Engine = make_engine(settings.read_model_url)
        create_schema(self.engine)
        self.indexer = Indexer(self.ledger, self.engine)
        self.serials = SerialStore(self.engine, settings.serial_tree_dir)
        self._contracts: dict[str, Contract] = {}
        self._contracts_lock = threading.Lock()
        self._follower: threading.Thread | None = None
        self._stop = threading.Event()

    # -- ledger access ---------------------------------------------------------------------------
    def identity(self, msp_id: str) -> OrgIdentity:
        return self.msp.identity(msp_id)

    def contract(self, msp_id: str) -> Contract:
        with self._contracts_lock:
            if msp_id not in self._contracts:
                self._contracts[msp_id] = self.ledger.contract(self.identity(msp_id))
            return self._contracts[msp_id]

    def submit(self, msp_id: str, function: str, body: dict[str, Any]) -> Committed:
        """Sign as `msp_id`, submit, wait for commit and for the read model to catch up."""
        argument = json.dumps(body, sort_keys=True)
        for attempt in range(MVCC_RETRIES + 1):
            try:
                result = self.contract(msp_id).submit(function, argument)
                break
            except CommitStatusError as exc:
                if attempt == MVCC_RETRIES:
                    raise from_ledger(exc) from exc
            except LedgerError as exc:
                raise from_ledger(exc) from exc
        try:
            self.indexer.wait_for(result.block)
        except Exception:  # the write is committed; the follower or the next call catches up
            log.exception("indexing after %s (tx %s) failed", function, result.tx_id)
        return Committed(json.loads(result.result), result.tx_id, result.block)

    def evaluate(self, msp_id: str, function: str, body: dict[str, Any]) -> Any:
        try:
            raw = self.contract(msp_id).evaluate(function, json.dumps(body, sort_keys=True))
        except LedgerError as exc:
            raise from_ledger(exc) from exc
        return json.loads(raw)

    # -- read model ------------------------------------------------------------------------------
    def session(self) -> Session:
        return Session(self.engine)

    def now(self) -> datetime:
        return self.clock()

    def start_indexer(self) -> None:
        """Follow the ledger in the background (blocks written by other processes)."""
        if self._follower is None:
            self.indexer.catch_up()
            self._follower = threading.Thread(
                target=self.indexer.follow, args=(self._stop,), name="indexer", daemon=True
            )
            self._follower.start()

    def close(self) -> None:
        self._stop.set()
        if self._follower is not None:
            self._follower.join(timeout=5)
        self.ledger.close()
        self.engine.dispose()


def require(condition: bool, error: PharmaTraceError) -> None:
    """Raise `error` unless `condition`: keeps guard clauses in domain code to one line."""
    if not condition:
        raise error
