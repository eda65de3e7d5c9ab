"""Incremental detection: only what changed since the last run.

The scans and ledger events after a stored cursor name the batches they touch; the rules run again
over those batches' whole history (every rule groups within a batch or a pack, so their alerts
come out exactly as in bulk mode), plus every shipment (in transit too long depends on the clock,
not on new events). Alerts are upserted, the cursor advanced. Run it after each indexing pass or on
a timer (`pharmatrace detect --new`); a served app runs it in its background detection worker
(services/detection/live.py).

Runs are serialised across processes by the detection lease, so two never read the same cursor;
the cursor only moves forward. Alerts created for the first time are also written to the alert
notice outbox (services/detection/notices.py), which every server process publishes to its
regulators' open notification streams.
"""

from __future__ import annotations

import json
import time
import weakref

from sqlalchemy import Engine, Table, func, tuple_
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from services.detection import notices
from services.detection.data import load
from services.detection.engine import Report, ensure_table, run_rules, store
from services.detection.lease import detection_lease
from services.detection.rules import RuleSet, iso
from services.detection.tables import DetectionCursor
from services.readmodel.db import writer
from services.readmodel.tables import LedgerEvent, Scan
from services.runtime import Runtime

_prepared: weakref.WeakSet[Engine] = weakref.WeakSet()


def _cursor(session: Session) -> DetectionCursor:
    return session.get(DetectionCursor, 1) or DetectionCursor(
        id=1, scan_id=0, block=-1, tx_index=-1
    )


def _touched(
    session: Session, cursor: DetectionCursor
) -> tuple[set[tuple[str, str]], int, tuple[int, int] | None]:
    """Batches named by new scans and events; the newest scan id and ledger position.

    The upper bounds are read first, so what arrives meanwhile is left for the next run."""
    last_scan = session.exec(select(func.max(Scan.id))).one() or cursor.scan_id
    last = session.exec(
        select(LedgerEvent.block, LedgerEvent.tx_index)
        .order_by(col(LedgerEvent.block).desc(), col(LedgerEvent.tx_index).desc())
        .limit(1)
    ).first()
    batches: set[tuple[str, str]] = set()
    scans = session.exec(
        select(Scan.gtin, Scan.lot)
        .where(col(Scan.id) > cursor.scan_id, col(Scan.id) <= last_scan)
        .distinct()
    ).all()
    batches.update((g, lot) for g, lot in scans if g and lot)
    if last is None:
        return batches, last_scan, None
    position = tuple_(LedgerEvent.block, LedgerEvent.tx_index)
    newer = (position > tuple_(cursor.block, cursor.tx_index)) & (
        position <= tuple_(last[0], last[1])
    )
    for name, gtin, lot, payload in session.exec(
        select(LedgerEvent.name, LedgerEvent.gtin, LedgerEvent.lot, LedgerEvent.payload).where(
            newer
        )
    ).all():
        if gtin and lot:
            batches.add((gtin, lot))
        elif name.startswith("Shipment"):
            lines = json.loads(payload)["shipment"]["lines"]
            batches.update((line["gtin"], line["lot"]) for line in lines)
    return batches, last_scan, (last[0], last[1])


def detect_new(rt: Runtime, rules: RuleSet | None = None, *, wait_seconds: float = 60.0) -> Report:
    """Run the rules over the batches touched since the last run; store alerts; announce the
    new ones; advance. Waits at most `wait_seconds` for a run elsewhere to finish (LeaseBusy)."""
    if rt.engine not in _prepared:  # once per engine: each check is a catalogue query
        table: Table = DetectionCursor.__table__  # type: ignore[attr-defined]
        table.create(rt.engine, checkfirst=True)
        ensure_table(rt)
        notices.ensure_table(rt.engine)
        _prepared.add(rt.engine)
    with detection_lease(rt.engine, wait_seconds):
        return _run(rt, rules)


def _run(rt: Runtime, rules: RuleSet | None) -> Report:
    started = time.perf_counter()
    with Session(rt.engine) as session:
        cursor = _cursor(session)
        batches, last_scan, last_position = _touched(session, cursor)
    frames = load(rt.engine, batches)
    loaded = time.perf_counter() - started
    report = run_rules(frames, rt.now(), rules)
    report.seconds = {"load": loaded, **report.seconds}
    known = notices.existing_alert_keys(rt.engine, (f.key for f in report.findings))
    _store(rt, report)
    notices.record(rt.engine, (f for f in report.findings if f.key not in known), iso(rt.now()))
    with Session(writer(rt.engine)) as session:
        cursor = _cursor(session)
        cursor.scan_id = max(cursor.scan_id, last_scan)
        if last_position is not None and last_position > (cursor.block, cursor.tx_index):
            cursor.block, cursor.tx_index = last_position
        session.add(cursor)
        session.commit()
    return report


STORE_ATTEMPTS = 5


def _store(rt: Runtime, report: Report) -> None:
    """`store`, again if SQLite refused its write: its session reads before it writes, and a
    scan committed in between makes SQLite refuse the upgrade to a write at once (busy snapshot;
    no waiting helps). The store is one transaction, so a retry never writes anything twice."""
    for attempt in range(STORE_ATTEMPTS):
        try:
            store(rt, report.findings)
            return
        except OperationalError as exc:
            locked = "database is locked" in str(exc.orig)
            if not locked or attempt == STORE_ATTEMPTS - 1:
                raise
            time.sleep(0.01 * (attempt + 1))
