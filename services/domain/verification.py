"""Verification: a scanned code in, an EU-style verdict out, and the scan recorded.

Checks run from the code outward: can it be read, is the product known, the batch, the serial, do
batch and expiry match what was registered, is the batch recalled or expired, was the pack already
decommissioned (here, within re-scan tolerance, or elsewhere: the classic clone), and is the batch
in the scanning organization's custody. Every finding is kept as a reason; the verdict takes the
worst light. Reads come only from the read model.

This is the hottest path of the API (every pharmacy scan), so it avoids the ORM and SQLAlchemy's
execution layer: the statements are SQLAlchemy Core, built once at import and compiled once per
dialect (`_Statement`), then run on one pooled DB-API connection. One statement reads the product,
the code's batch, the serial, the serial's batch, the pack's status and the scanner's holding with
its organization's name (primary-key joins); only unusual cases read more: the re-scan count of a
pack dispensed here, the shipments when the scanner holds none of the batch, every holder for a
regulator. The reads share one read transaction (a snapshot). The scan is then one INSERT in its
own write transaction (on SQLite BEGIN IMMEDIATE, INSERT, COMMIT: the write lock is held for the
driver calls only), its id taken from the INSERT (lastrowid on SQLite, RETURNING elsewhere).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Dialect, Table, and_, bindparam, func, insert, select
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

from services.gs1 import PackIdentifier, parse_code
from services.readmodel.tables import (
    Batch,
    Holding,
    Organization,
    Pack,
    Product,
    Scan,
    SerialNumber,
    Shipment,
    ShipmentLine,
)
from services.runtime import Actor, Runtime

GREEN, AMBER, RED = "green", "amber", "red"
# A pharmacist re-scanning a pack it just dispensed is tolerated this many times (EU practice).
RESCAN_TOLERANCE = 2
RESCAN_WINDOW = timedelta(days=10)


@dataclass(frozen=True)
class Finding:
    result: str
    light: str
    reason: str


@dataclass
class Verdict:
    """What the pharmacist sees: a light, a result code, and reasons in plain words."""

    result: str
    light: str
    reasons: list[str]
    identifier: dict[str, Any]
    product: dict[str, Any] | None = None
    batch: dict[str, Any] | None = None
    pack: dict[str, Any] | None = None
    custody: dict[str, Any] = field(default_factory=dict)
    scan_id: int | None = None
    scanned_at: str = ""


_SEVERITY = {RED: 2, AMBER: 1, GREEN: 0}


class _Batch(NamedTuple):
    """The registered batch a verdict is about (of the product being verified)."""

    lot: str
    expiry: str  # YYYY-MM-DD
    status: str
    status_reason: str
    manufacturer: str


class _Pack(NamedTuple):
    """A pack whose status changed on the ledger (every other registered pack is active)."""

    status: str
    msp_id: str
    location: str
    at: str


class _Found(NamedTuple):
    """A row of `_LOOKUP`, column for column; None where a joined row does not exist."""

    name: str
    form: str
    strength: str
    manufacturer: str
    code_lot: str | None
    code_expiry: str | None
    code_status: str | None
    code_status_reason: str | None
    code_manufacturer: str | None
    serial_lot: str | None
    serial_batch_lot: str | None
    serial_expiry: str | None
    serial_status: str | None
    serial_status_reason: str | None
    serial_manufacturer: str | None
    pack_status: str | None
    pack_msp_id: str | None
    pack_location: str | None
    pack_at: str | None
    held: int | None  # the scanner's holding of the verdict's batch
    holder_name: str | None  # the scanner's organization's name, when it has that holding


# -- statements ------------------------------------------------------------------------------


class _Statement:
    """A Core statement compiled once per dialect and executed straight on a DB-API cursor.

    The SQL and its parameter style are SQLAlchemy's for the dialect (qmark for sqlite3, pyformat
    for psycopg, quoting, casts); what is skipped is SQLAlchemy's execution layer, which cost
    more than the SQL itself here. Values are plain str/int/None in and out: no type processing.
    """

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None, dict[str, Any]]] = {}

    def execute(self, cursor: DBAPICursor, dialect: Dialect, params: dict[str, Any]) -> DBAPICursor:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            sql = self.statement.compile(dialect=dialect)
            if not isinstance(sql, SQLCompiler):  # pragma: no cover  (DDL is never given)
                raise TypeError(f"not a SQL statement: {self.statement!r}")
            order = tuple(sql.positiontup or ()) if sql.positional else None
            # Literals in the statement (a status, LIMIT 1) are bound parameters with defaults.
            defaults = {k: v for k, v in sql.params.items() if v is not None}
            compiled = self._compiled[dialect.name] = (sql.string, order, defaults)
        text, order, defaults = compiled
        values = {**defaults, **params} if defaults else params
        cursor.execute(text, values if order is None else tuple(values[k] for k in order))
        return cursor


def _table(model: type) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]  # sqlmodel adds it at runtime
    return table


_product = _table(Product)
_code_batch = _table(Batch).alias("code_batch")  # the batch the code names
_serial = _table(SerialNumber)
_serial_batch = _table(Batch).alias("serial_batch")  # the batch the serial was registered in
_pack = _table(Pack)
_holding = _table(Holding)
_org = _table(Organization)
_shipment = _table(Shipment)
_line = _table(ShipmentLine)
_scan = _table(Scan)

# Which batch the verdict is about: the code's, else the serial's (a BATCH_MISMATCH code).
_verdict_lot = func.coalesce(_code_batch.c.lot, _serial_batch.c.lot)

_LOOKUP = _Statement(
    select(
        _product.c.name,
        _product.c.form,
        _product.c.strength,
        _product.c.manufacturer,
        _code_batch.c.lot,
        _code_batch.c.expiry,
        _code_batch.c.status,
        _code_batch.c.status_reason,
        _code_batch.c.manufacturer,
        _serial.c.lot,
        _serial_batch.c.lot,
        _serial_batch.c.expiry,
        _serial_batch.c.status,
        _serial_batch.c.status_reason,
        _serial_batch.c.manufacturer,
        _pack.c.status,
        _pack.c.msp_id,
        _pack.c.location,
        _pack.c.at,
        _holding.c.quantity,
        _org.c.name,
    )
    .select_from(
        _product.outerjoin(
            _code_batch,
            and_(_code_batch.c.gtin == _product.c.gtin, _code_batch.c.lot == bindparam("lot")),
        )
        .outerjoin(
            _serial,
            and_(_serial.c.gtin == _product.c.gtin, _serial.c.serial == bindparam("serial")),
        )
        .outerjoin(
            _serial_batch,
            and_(_serial_batch.c.gtin == _product.c.gtin, _serial_batch.c.lot == _serial.c.lot),
        )
        # Through the serial row: a pack record counts only for a registered serial.
        .outerjoin(_pack, and_(_pack.c.gtin == _product.c.gtin, _pack.c.serial == _serial.c.serial))
        .outerjoin(
            _holding,
            and_(
                _holding.c.gtin == _product.c.gtin,
                _holding.c.lot == _verdict_lot,
                _holding.c.msp_id == bindparam("msp_id"),
            ),
        )
        .outerjoin(_org, _org.c.msp_id == _holding.c.msp_id)
    )
    .where(_product.c.gtin == bindparam("gtin"))
)

_RESCANS = _Statement(
    select(func.count())
    .select_from(_scan)
    .where(
        _scan.c.msp_id == bindparam("msp_id"),
        _scan.c.gtin == bindparam("gtin"),
        _scan.c.serial == bindparam("serial"),
        _scan.c.at >= bindparam("since"),
    )
)

# Asked only when the scanner holds none of the batch: is some on its way, or was it received?
_SHIPPED_TO = _Statement(
    select(
        select(_shipment.c.shipment_id)
        .join(_line, _line.c.shipment_id == _shipment.c.shipment_id)
        .where(
            _shipment.c.receiver == bindparam("msp_id"),
            _shipment.c.status == "in_transit",
            _line.c.gtin == bindparam("gtin"),
            _line.c.lot == bindparam("lot"),
        )
        .limit(1)
        .scalar_subquery(),
        select(func.coalesce(func.sum(_line.c.received), 0))
        .join(_shipment, _line.c.shipment_id == _shipment.c.shipment_id)
        .where(
            _shipment.c.receiver == bindparam("msp_id"),
            _line.c.gtin == bindparam("gtin"),
            _line.c.lot == bindparam("lot"),
        )
        .scalar_subquery(),
    )
)

_HOLDERS = _Statement(
    select(_holding.c.msp_id, _holding.c.quantity, _org.c.name)
    .select_from(_holding.outerjoin(_org, _org.c.msp_id == _holding.c.msp_id))
    .where(_holding.c.gtin == bindparam("gtin"), _holding.c.lot == bindparam("lot"))
    .order_by(_holding.c.msp_id)
)

_insert_scan = insert(_scan).values(
    {column.name: bindparam(column.name) for column in _scan.c if column.name != "id"}
)
_INSERT_SCAN = _Statement(_insert_scan)  # SQLite: the id is the cursor's lastrowid
_INSERT_SCAN_RETURNING = _Statement(_insert_scan.returning(_scan.c.id))


class _Reader:
    """The read side of one verification: a cursor in a read transaction, and its dialect."""

    def __init__(self, cursor: DBAPICursor, dialect: Dialect) -> None:
        self.cursor = cursor
        self.dialect = dialect

    def one(self, statement: _Statement, **params: Any) -> Any:
        return statement.execute(self.cursor, self.dialect, params).fetchone()

    def all(self, statement: _Statement, **params: Any) -> Sequence[Any]:
        return statement.execute(self.cursor, self.dialect, params).fetchall()


# -- verification ----------------------------------------------------------------------------


class WriteLockBusy(Exception):  # noqa: N818  (a state to handle, not a failure)
    """`verify(..., lock_wait_ms=N)` found SQLite's write lock taken for N ms by another writer.

    The verdict is judged (`verdict`), its scan not recorded yet: `record_scan()` records it,
    waiting for the lock as long as the database's busy timeout allows, so call it where
    blocking is fine (a worker thread, not an event loop).
    """

    def __init__(
        self,
        rt: Runtime,
        actor: Actor,
        code: str,
        identifier: PackIdentifier | None,
        verdict: Verdict,
        now: datetime,
    ) -> None:
        super().__init__("the read model's write lock is taken by another writer")
        self.verdict = verdict
        self._scan = (rt, actor, code, identifier, verdict, now)

    def record_scan(self) -> Verdict:
        rt, actor, code, identifier, verdict, now = self._scan
        connection = rt.engine.raw_connection()
        try:
            _record_scan(
                connection.cursor(), rt.engine.dialect, actor, code, identifier, verdict, now
            )
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        finally:
            connection.close()
        rt.scan_recorded()
        return verdict


def verify(rt: Runtime, *, actor: Actor, code: str, lock_wait_ms: int | None = None) -> Verdict:
    """Judge a scanned code for `actor` and record the scan.

    `lock_wait_ms`: on SQLite, wait at most this long for the write lock the scan needs, then
    raise `WriteLockBusy` (verdict judged, scan still to record) instead of blocking for as long
    as the busy timeout (30 s) allows. For callers that must not block long: an event loop.
    """
    now = rt.now()
    parsed = parse_code(code)
    identifier = parsed.identifier
    dialect = rt.engine.dialect
    sqlite = dialect.name == "sqlite"
    connection = rt.engine.raw_connection()  # from the pool; sqlite3 runs in autocommit mode
    try:
        cursor = connection.cursor()
        if parsed.problems or identifier is None:
            findings = [Finding("INVALID_CODE", AMBER, p.message) for p in parsed.problems] or [
                Finding("INVALID_CODE", AMBER, "The code could not be read as a GS1 code.")
            ]
            verdict = _verdict(findings, identifier)
        else:
            if sqlite:
                cursor.execute("BEGIN")  # one snapshot for every read of this verification
            try:
                verdict = _judge(_Reader(cursor, dialect), actor, identifier, now)
            finally:
                connection.rollback()  # reads only; ends the read transaction
        try:
            _record_scan(cursor, dialect, actor, code, identifier, verdict, now, lock_wait_ms)
        except sqlite3.OperationalError as exc:
            if lock_wait_ms is None or exc.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                raise
            raise WriteLockBusy(rt, actor, code, identifier, verdict, now) from None
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    finally:
        connection.close()  # back to the pool
    rt.scan_recorded()  # wakes live detection: sets a flag, never waits
    return verdict


def _judge(db: _Reader, actor: Actor, pack: PackIdentifier, now: datetime) -> Verdict:
    if not (pack.gtin and pack.lot and pack.serial):
        return _verdict(
            [
                Finding(
                    "INCOMPLETE_CODE",
                    AMBER,
                    "The code has no batch or serial number: scan the 2D code (DataMatrix or QR).",
                )
            ],
            pack,
        )
    row = db.one(_LOOKUP, gtin=pack.gtin, lot=pack.lot, serial=pack.serial, msp_id=actor.msp_id)
    if row is None:
        return _verdict(
            [
                Finding(
                    "UNKNOWN_PRODUCT",
                    RED,
                    f"No product with GTIN {pack.gtin} is registered: do not dispense.",
                )
            ],
            pack,
        )
    found = _Found._make(row)
    batch = None
    if found.code_lot is not None:
        batch = _Batch(
            found.code_lot,
            found.code_expiry or "",
            found.code_status or "",
            found.code_status_reason or "",
            found.code_manufacturer or "",
        )
    findings = _identity_findings(pack, batch, found.serial_lot)
    verdict_batch = batch
    if verdict_batch is None and found.serial_batch_lot is not None:
        verdict_batch = _Batch(
            found.serial_batch_lot,
            found.serial_expiry or "",
            found.serial_status or "",
            found.serial_status_reason or "",
            found.serial_manufacturer or "",
        )
    record = None
    if found.pack_status is not None:
        record = _Pack(
            found.pack_status,
            found.pack_msp_id or "",
            found.pack_location or "",
            found.pack_at or "",
        )
    if verdict_batch is not None and not any(f.result.startswith("UNKNOWN") for f in findings):
        findings += _status_findings(verdict_batch, now)
        findings += _pack_findings(db, actor, pack, record, now)
        if record is None or record.status == "active":
            findings += _custody_findings(db, actor, pack.gtin, verdict_batch, found.held)
    verdict = _verdict(
        findings or [Finding("OK", GREEN, "Authentic, active pack: dispense.")], pack
    )
    verdict.product = {
        "gtin": pack.gtin,
        "name": found.name,
        "form": found.form,
        "strength": found.strength,
        "manufacturer": found.manufacturer,
    }
    if verdict_batch is not None:
        verdict.batch = {
            "lot": verdict_batch.lot,
            "expiry": verdict_batch.expiry,
            "status": verdict_batch.status,
            "status_reason": verdict_batch.status_reason,
        }
        verdict.custody = _custody_summary(
            db, actor, pack.gtin, verdict_batch, found.held, found.holder_name
        )
    if record is not None:
        verdict.pack = {
            "status": record.status,
            "by": record.msp_id,
            "at": record.at,
            "location": record.location,
        }
    return verdict


def _identity_findings(
    pack: PackIdentifier, batch: _Batch | None, serial_lot: str | None
) -> list[Finding]:
    findings = []
    if serial_lot is None:
        if batch is None:
            findings.append(
                Finding(
                    "UNKNOWN_BATCH",
                    RED,
                    f"Batch {pack.lot} was never registered for this product: do not dispense.",
                )
            )
        findings.append(
            Finding(
                "UNKNOWN_SERIAL",
                RED,
                f"Serial {pack.serial} was never "
                "registered for this product: possible counterfeit.",
            )
        )
        return findings
    if serial_lot != pack.lot:
        findings.append(
            Finding(
                "BATCH_MISMATCH",
                RED,
                f"The serial belongs to batch {serial_lot}, "
                f"but the code says {pack.lot}: possible counterfeit.",
            )
        )
    expected = batch.expiry if batch and serial_lot == pack.lot else None
    if pack.expiry is not None and expected and pack.expiry.isoformat() != expected:
        findings.append(
            Finding(
                "EXPIRY_MISMATCH",
                RED,
                f"The code's expiry {pack.expiry} differs "
                f"from the registered {expected}: possible counterfeit.",
            )
        )
    return findings


def _status_findings(batch: _Batch, now: datetime) -> list[Finding]:
    findings = []
    if batch.status in ("recalled", "withdrawn", "quarantined"):
        reason = f" Reason: {batch.status_reason.rstrip('.')}." if batch.status_reason else ""
        findings.append(
            Finding(
                f"BATCH_{batch.status.upper()}",
                RED,
                f"Batch {batch.lot} is {batch.status}.{reason}",
            )
        )
    if now.date() > date.fromisoformat(batch.expiry):
        findings.append(Finding("PACK_EXPIRED", RED, f"The pack expired on {batch.expiry}."))
    return findings


def _pack_findings(
    db: _Reader, actor: Actor, pack: PackIdentifier, record: _Pack | None, now: datetime
) -> list[Finding]:
    if record is None or record.status == "active":
        return []
    if record.status != "supplied":
        return [
            Finding(
                "PACK_INACTIVE",
                RED,
                f"This pack was decommissioned as {record.status} "
                f"by {record.msp_id}: do not dispense.",
            )
        ]
    here = record.msp_id == actor.msp_id and (
        not actor.location or record.location == actor.location
    )
    if here:
        since = datetime.fromisoformat(record.at.replace("Z", "+00:00"))
        rescans: int = db.one(
            _RESCANS, msp_id=actor.msp_id, gtin=pack.gtin, serial=pack.serial, since=record.at
        )[0]
        if now - since <= RESCAN_WINDOW and rescans < RESCAN_TOLERANCE:
            return [
                Finding(
                    "ALREADY_DISPENSED_HERE",
                    AMBER,
                    f"You dispensed this pack at "
                    f"{record.at}. Undo is possible until {since + RESCAN_WINDOW:%Y-%m-%d}.",
                )
            ]
        return [
            Finding(
                "ALREADY_DISPENSED",
                RED,
                f"This pack was dispensed here at {record.at} "
                f"and has been scanned {rescans} times since.",
            )
        ]
    return [
        Finding(
            "ALREADY_DISPENSED",
            RED,
            f"This pack was already dispensed by "
            f"{record.msp_id} at {record.at}: a copy of this code is in circulation. "
            "Do not dispense; quarantine the pack.",
        )
    ]


def _custody_findings(
    db: _Reader, actor: Actor, gtin: str, batch: _Batch, held: int | None
) -> list[Finding]:
    if actor.role == "regulator":
        return []
    if held is not None and held > 0:
        return []
    incoming, received = db.one(_SHIPPED_TO, msp_id=actor.msp_id, gtin=gtin, lot=batch.lot)
    if incoming:
        return [
            Finding(
                "NOT_RECEIVED",
                AMBER,
                f"Shipment {incoming} with this batch is on its way "
                "to you but not received yet: receive it first.",
            )
        ]
    if received:
        return [
            Finding(
                "QUANTITY_EXCEEDED",
                RED,
                f"Your organization received {received} packs of batch {batch.lot} and none "
                "is left in stock: this pack is one more than reached you through the "
                "registered supply chain. Do not dispense.",
            )
        ]
    return [
        Finding(
            "NOT_IN_CUSTODY",
            RED,
            f"No shipment of batch {batch.lot} to your "
            "organization is recorded: this pack did not reach you through the "
            "registered supply chain. Do not dispense.",
        )
    ]


def _custody_summary(
    db: _Reader,
    actor: Actor,
    gtin: str,
    batch: _Batch,
    held: int | None,
    holder_name: str | None,
) -> dict[str, Any]:
    if actor.role == "regulator":
        # Only regulators see every holder; the others only themselves (commercially sensitive).
        holders = [
            {"msp_id": msp_id, "name": name or msp_id, "quantity": quantity}
            for msp_id, quantity, name in db.all(_HOLDERS, gtin=gtin, lot=batch.lot)
        ]
        yours = next((h["quantity"] for h in holders if h["msp_id"] == actor.msp_id), 0)
    elif held is None:
        holders, yours = [], 0
    else:
        holders = [{"msp_id": actor.msp_id, "name": holder_name or actor.msp_id, "quantity": held}]
        yours = held
    return {"manufacturer": batch.manufacturer, "yours": yours, "holders": holders}


def _verdict(findings: list[Finding], pack: PackIdentifier | None) -> Verdict:
    worst = max(findings, key=lambda f: _SEVERITY[f.light])
    return Verdict(
        result=worst.result,
        light=worst.light,
        reasons=[f.reason for f in findings],
        identifier={
            "gtin": pack.gtin if pack else None,
            "lot": pack.lot if pack else None,
            "serial": pack.serial if pack else None,
            "expiry": pack.expiry.isoformat() if pack and pack.expiry else None,
        },
    )


def _begin_immediate(cursor: DBAPICursor, lock_wait_ms: int | None) -> None:
    """BEGIN IMMEDIATE: SQLite's write lock, waiting up to the busy timeout, or `lock_wait_ms`.

    Within `lock_wait_ms` it retries after 20 µs, doubling up to 0.5 ms: another worker's scan
    holds the lock for tens of µs, and SQLite's own busy handler would sleep 1 ms at least.
    """
    if lock_wait_ms is None:
        cursor.execute("BEGIN IMMEDIATE")
        return
    (usual,) = cursor.execute("PRAGMA busy_timeout").fetchone()
    cursor.execute("PRAGMA busy_timeout = 0")
    try:
        deadline = time.monotonic() + lock_wait_ms / 1000
        pause = 0.00002
        while True:
            try:
                cursor.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                    raise
                if time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
            pause = min(2 * pause, 0.0005)
    finally:
        cursor.execute(f"PRAGMA busy_timeout = {int(usual)}")


def _record_scan(
    cursor: DBAPICursor,
    dialect: Dialect,
    actor: Actor,
    code: str,
    pack: PackIdentifier | None,
    verdict: Verdict,
    now: datetime,
    lock_wait_ms: int | None = None,
) -> None:
    """One INSERT, nothing read back; the caller commits. On SQLite the write lock is taken
    (BEGIN IMMEDIATE) only now, with every value ready, and held until that commit; with
    `lock_wait_ms`, waiting at most that long for it (sqlite3.OperationalError, SQLITE_BUSY)."""
    at = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    identifier = verdict.identifier  # pack's fields, as the verdict shows them
    row = {
        "at": at,
        "msp_id": actor.msp_id,
        "user": actor.user,
        "location": actor.location,
        "raw_code": code[:500],
        "gtin": identifier["gtin"],
        "lot": identifier["lot"],
        "serial": identifier["serial"],
        "expiry": identifier["expiry"],
        "result": verdict.result,
        "light": verdict.light,
        "reasons": json.dumps(verdict.reasons),
    }
    if dialect.name == "sqlite":
        _begin_immediate(cursor, lock_wait_ms)
        scan_id = _INSERT_SCAN.execute(cursor, dialect, row).lastrowid
    else:
        returned: Any = _INSERT_SCAN_RETURNING.execute(cursor, dialect, row).fetchone()
        scan_id = returned[0]
    verdict.scan_id = int(scan_id)
    verdict.scanned_at = at
