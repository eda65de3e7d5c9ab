"""Live detection: one background worker per process runs incremental detection as data arrives.

Pokes come from the indexer (a block this process wrote into the read model) and from
verification (a scan recorded here); they only set an event, so neither indexing nor the scan's
request waits. The worker coalesces them: however many pokes arrive during a run, one more run
follows. On every idle tick it also checks whether the read model has moved past the detection
cursor (scans or blocks written by other processes, such as the CLI), and relays new alert
notices from the outbox to this process's notification hub (alerts found by any process).

Never two runs at once: one worker thread per process, and the detection lease across processes
(services/detection/lease.py).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from sqlalchemy import Table, func
from sqlmodel import Session, col, select

from services.detection.incremental import detect_new
from services.detection.lease import LeaseBusyError
from services.detection.tables import DetectionCursor
from services.notifications.alerts import AlertRelay
from services.readmodel.indexer import IndexedBlock
from services.readmodel.tables import LedgerEvent, Scan

if TYPE_CHECKING:
    from services.runtime import Runtime

log = logging.getLogger("pharmatrace.detection.live")

IDLE_TICK_SECONDS = 0.25
LEASE_WAIT_SECONDS = 5.0
# At most this share of the process's time goes to detection runs: a run re-reads the touched
# batches' whole history with pandas and holds the GIL for most of it, so back-to-back runs under
# a busy scanner load slowed verification by 2x (bench/mixed_load.py). After a run of t seconds
# the worker rests t * (1 - MAX_DUTY) / MAX_DUTY before the next: alerts come a little later when
# the service is busy, verdicts never do.
MAX_DUTY = 0.2


class DetectionWorker:
    """`start()` once; `poke()` from any thread; `stop()` on shutdown."""

    def __init__(self, rt: Runtime, *, detect: bool = True) -> None:
        self._rt = rt
        self._detect = detect
        cursor_table: Table = DetectionCursor.__table__  # type: ignore[attr-defined]
        cursor_table.create(rt.engine, checkfirst=True)
        self._relay = AlertRelay(rt.engine, rt.notifications)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0  # completed detection runs (tests, health)
        self.last_run_seconds = 0.0
        self._running = False

    @property
    def idle(self) -> bool:
        """No run under way and none asked for (tests wait for this before counting runs)."""
        return not self._running and not self._wake.is_set()

    def poke(self) -> None:
        """Ask for a detection run soon. Cheap and non-blocking: sets a flag."""
        self._wake.set()

    def on_block(self, indexed: IndexedBlock) -> None:
        """Indexer observer: a block this process applied may change what the rules see."""
        if indexed.applied:
            self._wake.set()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="detection", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            poked = self._wake.wait(IDLE_TICK_SECONDS)
            if self._stop.is_set():
                return
            self._wake.clear()
            try:
                if self._detect and (poked or self._behind()):
                    self._run()
                    self._relay.poll()
                    self._stop.wait(self.last_run_seconds * (1 - MAX_DUTY) / MAX_DUTY)
                    continue
                self._relay.poll()
            except Exception:  # keep the worker alive; the next tick retries
                log.exception("live detection failed")

    def _run(self) -> None:
        started = time.perf_counter()
        self._running = True
        try:
            detect_new(self._rt, wait_seconds=LEASE_WAIT_SECONDS)
        except LeaseBusyError:
            self._wake.set()  # another process is running: try again on the next turn
            return
        finally:
            self._running = False
        self.runs += 1
        self.last_run_seconds = time.perf_counter() - started

    def _behind(self) -> bool:
        """Has the read model got scans or events the detection cursor has not covered?"""
        with Session(self._rt.engine) as session:
            cursor = session.get(DetectionCursor, 1)
            last_scan = session.exec(select(func.max(Scan.id))).one() or 0
            last_event = session.exec(
                select(LedgerEvent.block, LedgerEvent.tx_index)
                .order_by(col(LedgerEvent.block).desc(), col(LedgerEvent.tx_index).desc())
                .limit(1)
            ).first()
        if cursor is None:
            return last_scan > 0 or last_event is not None
        return last_scan > cursor.scan_id or (
            last_event is not None and tuple(last_event) > (cursor.block, cursor.tx_index)
        )
