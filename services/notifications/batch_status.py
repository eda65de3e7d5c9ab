"""`batch-status` notices: a batch recalled, withdrawn, quarantined or released.

Built from the contract's `BatchStatusChanged` events, either live (`BatchStatusObserver`, an
indexer observer: the block is already in the read model, so the product's and organization's
names can be read from it) or on resume (`since`, from the read model's event log). Every
signed-in organization hears them: custodians must stop moving and dispensing the batch at once.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, tuple_
from sqlmodel import Session, col, select

from services.notifications.hub import Notice, NotificationHub
from services.readmodel.indexer import IndexedBlock
from services.readmodel.tables import LedgerEvent, Organization, Product

KIND = "batch-status"
EVENT = "BatchStatusChanged"
RESUME_LIMIT = 200  # more missed notices than this: the client is told to resync instead


def notice(
    session: Session, block: int, tx_index: int, tx_id: str, payload: dict[str, Any]
) -> Notice:
    batch = payload["batch"]
    product = session.get(Product, batch["gtin"])
    by = batch.get("status_changed_by", "")
    organization = session.get(Organization, by) if by else None
    return Notice(
        KIND,
        (block, tx_index),
        {
            "gtin": batch["gtin"],
            "lot": batch["lot"],
            "product": product.name if product else batch["gtin"],
            "status": batch["status"],
            "reason": batch.get("status_reason", ""),
            "by": by,
            "by_name": organization.name if organization else by,
            "at": batch.get("status_changed_at", ""),
            "block": block,
            "tx_index": tx_index,
            "tx_id": tx_id,
        },
    )


class BatchStatusObserver:
    """Indexer observer: publishes a notice for every batch status change in a block."""

    def __init__(self, engine: Engine, hub: NotificationHub) -> None:
        self._engine = engine
        self._hub = hub

    def __call__(self, indexed: IndexedBlock) -> None:
        changes = [e for e in indexed.events if e.name == EVENT]
        if not changes:
            return
        with Session(self._engine) as session:
            notices = [
                notice(session, e.block, e.tx_index, e.tx_id, json.loads(e.payload))
                for e in changes
            ]
        self._hub.publish(notices)


def since(engine: Engine, block: int, tx_index: int) -> tuple[list[Notice], bool]:
    """Status changes after (block, tx_index) from the read model; and whether there were more
    than `RESUME_LIMIT` (the caller then asks its client to resync)."""
    position = tuple_(LedgerEvent.block, LedgerEvent.tx_index)
    with Session(engine) as session:
        rows = session.exec(
            select(LedgerEvent)
            .where(LedgerEvent.name == EVENT, position > tuple_(block, tx_index))
            .order_by(col(LedgerEvent.block), col(LedgerEvent.tx_index))
            .limit(RESUME_LIMIT + 1)
        ).all()
        notices = [
            notice(session, r.block, r.tx_index, r.tx_id, json.loads(r.payload))
            for r in rows[:RESUME_LIMIT]
        ]
    return notices, len(rows) > RESUME_LIMIT
