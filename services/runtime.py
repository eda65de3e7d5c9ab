"""`Runtime`: the wired system one process runs: identities, ledger, read model, indexer, serials.

Domain services receive a Runtime and an `Actor`. `Runtime.submit` is the single path of every
write: it signs as the actor's organization, maps ledger errors to `PharmaTraceError` once, retries
a transaction that lost an MVCC race (a fresh endorsement, so never a double write), and brings the
read model up to the committed block before returning, so a user reads what they just wrote.

It also owns the process's notification hub (services/notifications: the indexer publishes batch
status changes to it) and, in a served app, the live detection worker (`start_detection`).
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlmodel import Session

from services.audit.record import record_write
from services.config import Settings
from services.errors import PharmaTraceError, from_ledger
from services.identity import IdentityError, MspDirectory, OrgIdentity
from services.ledger import CommitStatusError, Contract, Ledger, LedgerError, SubmitResult
from services.ledger.embedded import EmbeddedLedger
from services.notifications.batch_status import BatchStatusObserver
from services.notifications.hub import NotificationHub
from services.readmodel.db import create_schema, make_engine
from services.readmodel.indexer import Indexer
from services.serials import SerialStore

if TYPE_CHECKING:
    from services.detection.live import DetectionWorker

MVCC_RETRIES = 6
MVCC_BACKOFF = 0.005  # seconds: the first retry waits up to this, each further one twice as long
MVCC_BACKOFF_CAP = 0.2
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
        if settings.org and (foreign := self.msp.key_holders(excluding=settings.org)):
            log.warning(
                "PHARMATRACE_ORG=%s, but %s also holds private keys of %s: a per-organization "
                "service should hold only its own (this one will not use them)",
                settings.org,
                settings.msp_dir,
                ", ".join(foreign),
            )
        self.ledger: Ledger = ledger or EmbeddedLedger(
            settings.ledger_path,
            self.msp,
            clock=lambda: self.clock(),
            synchronous=settings.ledger_sync.upper(),
        )
        self.engine: Engine = make_engine(settings.read_model_url)
        create_schema(self.engine)
        self.indexer = Indexer(self.ledger, self.engine)
        self.notifications = NotificationHub()
        self.indexer.observers.append(BatchStatusObserver(self.engine, self.notifications))
        self.detection: DetectionWorker | None = None
        self.serials = SerialStore(self.engine, settings.serial_tree_dir)
        self._contracts: dict[str, Contract] = {}
        self._contracts_lock = threading.Lock()
        self._follower: threading.Thread | None = None
        self._stop = threading.Event()

    # -- ledger access ---------------------------------------------------------------------------
    def identity(self, msp_id: str) -> OrgIdentity:
        """The signing identity of `msp_id`; in a one-organization service, only its own."""
        own = self.settings.org
        if own and msp_id != own:
            raise PharmaTraceError(
                "FOREIGN_ORGANIZATION",
                f"This service signs only as {own}; it holds no key of {msp_id} and cannot act "
                f"for it (PHARMATRACE_ORG={own}).",
                status=403,
            )
        try:
            return self.msp.identity(msp_id)
        except IdentityError as exc:
            raise PharmaTraceError("NO_SIGNING_KEY", str(exc), status=503) from exc

    def contract(self, msp_id: str) -> Contract:
        with self._contracts_lock:
            if msp_id not in self._contracts:
                self._contracts[msp_id] = self.ledger.contract(self.identity(msp_id))
            return self._contracts[msp_id]

    def submit(self, msp_id: str, function: str, body: dict[str, Any]) -> Committed:
        """Sign as `msp_id`, submit, wait for commit and for the read model to catch up.

        Every attempt, committed or refused, gets an audit row (services.audit): who, where and
        when, next to the tx id whose creator the ledger records."""
        try:
            result = self._submit(msp_id, function, body)
        except PharmaTraceError as exc:
            record_write(
                self.engine,
                at=self.now(),
                msp_id=msp_id,
                action=function,
                body=body,
                outcome=exc.code,
                tx_id=exc.tx_id,
                message=exc.message,
            )
            raise
        record_write(
            self.engine,
            at=self.now(),
            msp_id=msp_id,
            action=function,
            body=body,
            outcome="committed",
            tx_id=result.tx_id,
            block=result.block,
        )
        try:
            self.indexer.wait_for(result.block)
        except Exception:  # the write is committed; the follower or the next call catches up
            log.exception("indexing after %s (tx %s) failed", function, result.tx_id)
        return Committed(json.loads(result.result), result.tx_id, result.block)

    def _submit(self, msp_id: str, function: str, body: dict[str, Any]) -> SubmitResult:
        argument = json.dumps(body, sort_keys=True)
        for attempt in range(MVCC_RETRIES + 1):
            try:
                return self.contract(msp_id).submit(function, argument)
            except CommitStatusError as exc:
                if attempt == MVCC_RETRIES:
                    raise from_ledger(exc) from exc
                # Writers of one hot key (one pharmacy's stock of one batch) collide again if
                # they retry in lockstep: wait a random, growing while (full jitter) first.
                time.sleep(random.uniform(0, min(MVCC_BACKOFF_CAP, MVCC_BACKOFF * 2**attempt)))
            except LedgerError as exc:
                raise from_ledger(exc) from exc
        raise AssertionError("unreachable: the last attempt returns or raises")

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
        self.start_detection()

    def start_detection(self) -> None:
        """Start the live detection worker (alerts as blocks and scans arrive, relayed to the
        notification hub). It runs detection only if `settings.live_detection`, and relays
        alert notices found by other processes either way."""
        if self.detection is None:
            # Imported here: services.detection imports this module (Runtime) at its top.
            from services.detection.live import DetectionWorker

            self.detection = DetectionWorker(self, detect=self.settings.live_detection)
            self.indexer.observers.append(self.detection.on_block)
            self.detection.start()

    def scan_recorded(self) -> None:
        """Verification recorded a scan: wake the detection worker, if any (sets a flag)."""
        if self.detection is not None:
            self.detection.poke()

    def close(self) -> None:
        self._stop.set()
        self.notifications.close()
        if self.detection is not None:
            self.detection.stop()
        if self._follower is not None:
            self._follower.join(timeout=5)
        self.ledger.close()
        self.engine.dispose()


def require(condition: bool, error: PharmaTraceError) -> None:
    """Raise `error` unless `condition`: keeps guard clauses in domain code to one line."""
    if not condition:
        raise error
