"""Incremental detection: only what changed since the last run.

The scans and ledger events after a stored cursor name the batches they touch; the rules run again
over those batches' whole history (every rule groups within a batch or a pack, so their alerts
come out exactly as in bulk mode), plus every shipment (in transit too long depends on the clock,
not on new events). Alerts are upserted, the cursor advanced. Run it after each indexing pass or on
a timer (`pharmatrace detect --new`).
"""

from __future__ import annotations

import json
import time

from sqlalchemy import Table, func, tuple_
from sqlmodel import Session, col, select

from services.detection.data import load
from services.detection.engine import Report, run_rules, store
from services.detection.rules import RuleSet
from services.detection.tables import DetectionCursor
from services.readmodel.tables import LedgerEvent, Scan
from services.runtime import Runtime


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


def detect_new(rt: Runtime, rules: RuleSet | None = None) -> Report:
    """Run the rules over the batches touched since the last run; store alerts; advance."""
    table: Table = DetectionCursor.__table__  # type: ignore[attr-defined]
    table.create(rt.engine, checkfirst=True)
    started = time.perf_counter()
    with Session(rt.engine) as session:
        cursor = _cursor(session)
        batches, last_scan, last_position = _touched(session, cursor)
    frames = load(rt.engine, batches)
    loaded = time.perf_counter() - started
    report = run_rules(frames, rt.now(), rules)
    report.seconds = {"load": loaded, **report.seconds}
    store(rt, report.findings)
    with Session(rt.engine) as session:
        cursor = _cursor(session)
        cursor.scan_id = max(cursor.scan_id, last_scan)
        if last_position is not None:
            cursor.block, cursor.tx_index = last_position
        session.add(cursor)
        session.commit()
    return report
