"""One audit row per attempted ledger write, written by `Runtime.submit`."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from services.audit.context import current_attribution
from services.readmodel.db import writer
from services.readmodel.tables import AuditEntry

DETAIL_MAX_CHARS = 4000
log = logging.getLogger("pharmatrace.audit")


def stamp(moment: datetime) -> str:
    """UTC, milliseconds, `Z`: the form scans use, so both sort and filter as strings."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def record_write(
    engine: Engine,
    *,
    at: datetime,
    msp_id: str,
    action: str,
    body: dict[str, Any],
    outcome: str,
    tx_id: str | None = None,
    block: int | None = None,
    message: str = "",
) -> None:
    """Record a committed (`outcome="committed"`) or refused (the error code) write.

    A failure to record is logged, never raised: the ledger write it describes has already
    happened (or been refused), and its organization and tx id are on the ledger regardless."""
    who = current_attribution(msp_id)
    detail = message or json.dumps(body, sort_keys=True, separators=(",", ":"))
    entry = AuditEntry(
        at=stamp(at),
        msp_id=msp_id,
        user=who.user,
        role=who.role,
        location=who.location,
        origin=who.origin,
        action=action,
        outcome=outcome,
        tx_id=tx_id,
        block=block,
        detail=detail[:DETAIL_MAX_CHARS],
    )
    try:
        with Session(writer(engine)) as session:
            session.add(entry)
            session.commit()
    except Exception:
        log.exception("could not record the audit entry of %s by %s (tx %s)", action, msp_id, tx_id)
