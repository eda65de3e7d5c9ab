"""The audit trail for regulators: ledger writes (services.audit.record) and verifications (scans),
newest first, filtered by organization, user, action, kind and time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlmodel import col, select

from services.audit.record import stamp
from services.readmodel.tables import AuditEntry, Scan

if TYPE_CHECKING:  # the runtime imports services.audit to record writes
    from services.runtime import Runtime

VERIFY_ACTION = "Verify"
Kind = Literal["write", "verification"]


@dataclass(frozen=True)
class AuditQuery:
    msp_id: str = ""
    user: str = ""
    action: str = ""  # a contract function (RegisterBatch, Ship, …) or "Verify"
    kind: Kind | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100


@dataclass(frozen=True)
class AuditItem:
    kind: Kind
    at: str
    msp_id: str
    user: str
    role: str
    location: str
    origin: str
    action: str
    outcome: str
    tx_id: str | None
    block: int | None
    detail: str


def _filtered(statement: Any, table: Any, query: AuditQuery) -> Any:
    if query.msp_id:
        statement = statement.where(col(table.msp_id) == query.msp_id)
    if query.user:
        statement = statement.where(col(table.user) == query.user)
    if query.since:
        statement = statement.where(col(table.at) >= stamp(query.since))
    if query.until:
        statement = statement.where(col(table.at) < stamp(query.until))
    return statement.order_by(col(table.at).desc()).limit(query.limit)


def _writes(rt: Runtime, query: AuditQuery) -> list[AuditItem]:
    statement = select(AuditEntry)
    if query.action:
        statement = statement.where(AuditEntry.action == query.action)
    with rt.session() as session:
        rows = session.exec(_filtered(statement, AuditEntry, query)).all()
    return [
        AuditItem(
            "write",
            r.at,
            r.msp_id,
            r.user,
            r.role,
            r.location,
            r.origin,
            r.action,
            r.outcome,
            r.tx_id,
            r.block,
            r.detail,
        )
        for r in rows
    ]


def _verifications(rt: Runtime, query: AuditQuery) -> list[AuditItem]:
    with rt.session() as session:
        rows = session.exec(_filtered(select(Scan), Scan, query)).all()
    return [
        AuditItem(
            "verification",
            r.at,
            r.msp_id,
            r.user,
            "",
            r.location,
            "scan",
            VERIFY_ACTION,
            r.result,
            None,
            None,
            f"gtin={r.gtin or ''} lot={r.lot or ''} serial={r.serial or ''} light={r.light}",
        )
        for r in rows
    ]


def audit_trail(rt: Runtime, query: AuditQuery) -> list[AuditItem]:
    """Writes and verifications matching `query`, newest first, at most `query.limit`."""
    items: list[AuditItem] = []
    if query.kind in (None, "write") and query.action != VERIFY_ACTION:
        items += _writes(rt, query)
    if query.kind in (None, "verification") and query.action in ("", VERIFY_ACTION):
        items += _verifications(rt, query)
    items.sort(key=lambda item: item.at, reverse=True)
    return items[: query.limit]
