"""Batches: mint a batch token with its serial commitment; read a batch with its custody.

Order of a registration: build the Merkle tree in memory, submit the token, and only once it is
committed store the serial list and tree. A crash in between leaves a token without its list; the
retried registration sees BATCH_EXISTS with the same root and completes the store, so retries are
safe and a failed registration never leaves serials behind.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import col, select

from services.domain import guards
from services.errors import PharmaTraceError, invalid, not_found
from services.gs1 import is_valid_gtin, normalize_gtin
from services.readmodel.tables import Batch, Holding, LedgerEvent
from services.runtime import Actor, Committed, Runtime, require
from services.serials import SerialStore, SerialStoreError
from services.serials.generate import generate_serials

# Serials and every Merkle level are held in memory while a batch is registered (~350 MiB per
# million): two million keeps a registration under 1 GiB. The contract itself allows more.
MAX_SERIALS = 2_000_000


@dataclass(frozen=True)
class RegisteredBatch:
    gtin: str
    lot: str
    quantity: int
    merkle_root: str
    tx_id: str
    block: int


def register_batch(
    rt: Runtime,
    *,
    actor: Actor,
    gtin: str,
    lot: str,
    expiry: date,
    serials: Iterable[str] | None = None,
    quantity: int | None = None,
    manufactured: date | None = None,
) -> RegisteredBatch:
    """Mint the token of (GTIN, lot) for the given serials, or `quantity` generated ones."""
    require(
        is_valid_gtin(gtin),
        invalid("INVALID_GTIN", f"{gtin!r} is not a GTIN with a valid check digit."),
    )
    gtin = normalize_gtin(gtin)
    guards.product_owner(rt, actor, gtin)  # before generating a million serials for nothing
    generated = serials is None
    if serials is None:
        done = _completed_generated_batch(rt, actor, gtin, lot, expiry, quantity)
        if done is not None:
            return done
        serials = _generated_serials(rt, gtin, lot, quantity)
    try:
        prepared = SerialStore.prepare(serials)
    except SerialStoreError as exc:
        raise invalid("INVALID_SERIALS", str(exc)) from exc
    require(
        len(prepared.ordered) <= MAX_SERIALS,
        invalid("TOO_MANY_SERIALS", f"A batch holds at most {MAX_SERIALS} serials."),
    )
    used = rt.serials.already_used(gtin, prepared.ordered)
    if used and not rt.serials.has_batch(gtin, lot):
        raise invalid(
            "SERIAL_REUSED",
            f"Serials already used for GTIN {gtin}: "
            f"{', '.join(used[:5])}. Serials must be unique per product.",
        )
    body: dict[str, Any] = {
        "gtin": gtin,
        "lot": lot,
        "expiry": expiry.isoformat(),
        "quantity": len(prepared.ordered),
        "merkle_root": prepared.root.hex(),
    }
    if manufactured:
        body["manufactured"] = manufactured.isoformat()
    try:
        committed = rt.submit(actor.msp_id, "RegisterBatch", body)
    except PharmaTraceError as exc:
        if exc.code != "BATCH_EXISTS":
            raise
        committed = _resume_registration(
            rt, actor, gtin, lot, prepared.root.hex(), expiry.isoformat(), exc
        )
    rt.serials.save(gtin, lot, prepared)
    if generated:
        rt.serials.clear_staged(gtin, lot)
    return RegisteredBatch(
        gtin, lot, len(prepared.ordered), prepared.root.hex(), committed.tx_id, committed.block
    )


def _generated_serials(rt: Runtime, gtin: str, lot: str, quantity: int | None) -> list[str]:
    """Fresh random serials, or the ones staged by an earlier attempt that did not finish.

    Staged before the token is submitted: a crash after the commit but before the serials are
    stored must not make the retry draw other serials than the committed root stands for.
    """
    require(
        quantity is not None and 1 <= quantity <= MAX_SERIALS,
        invalid("INVALID_QUANTITY", f"Give serials or a quantity between 1 and {MAX_SERIALS}."),
    )
    staged = rt.serials.staged(gtin, lot)
    if staged is not None and len(staged) == quantity:
        return staged
    serials = generate_serials(quantity or 0)
    rt.serials.stage(gtin, lot, serials)
    return serials


def _completed_generated_batch(
    rt: Runtime, actor: Actor, gtin: str, lot: str, expiry: date, quantity: int | None
) -> RegisteredBatch | None:
    """A generated-serials registration repeated after it completed: the same answer again."""
    with rt.session() as session:
        batch = session.get(Batch, (gtin, lot))
    if batch is None or not rt.serials.has_batch(gtin, lot):
        return None
    same = (batch.manufacturer, batch.quantity, batch.expiry) == (
        actor.msp_id,
        quantity,
        expiry.isoformat(),
    )
    if not same:
        raise PharmaTraceError(
            "BATCH_EXISTS", f"Batch {lot} of GTIN {gtin} already exists.", status=409
        )
    with rt.session() as session:
        minted = session.exec(
            select(LedgerEvent).where(
                LedgerEvent.name == "BatchRegistered",
                LedgerEvent.gtin == gtin,
                LedgerEvent.lot == lot,
            )
        ).first()
    block = minted.block if minted else -1
    return RegisteredBatch(gtin, lot, batch.quantity, batch.merkle_root, batch.tx_id, block)


def _resume_registration(
    rt: Runtime,
    actor: Actor,
    gtin: str,
    lot: str,
    root: str,
    expiry: str,
    error: PharmaTraceError,
) -> Committed:
    """A retry of a registration whose token committed but whose serials were not stored."""
    existing = rt.evaluate(actor.msp_id, "GetBatch", {"gtin": gtin, "lot": lot})
    if (existing["merkle_root"], existing["manufacturer"], existing["expiry"]) != (
        root,
        actor.msp_id,
        expiry,
    ):
        raise error
    rt.indexer.catch_up()
    with rt.session() as session:
        minted = session.exec(
            select(LedgerEvent).where(
                LedgerEvent.name == "BatchRegistered",
                LedgerEvent.gtin == gtin,
                LedgerEvent.lot == lot,
            )
        ).first()
    if minted is None:
        raise error
    return Committed(existing, minted.tx_id, minted.block)


def get_batch(rt: Runtime, gtin: str, lot: str) -> tuple[Batch, list[Holding]]:
    with rt.session() as session:
        batch = session.get(Batch, (gtin, lot))
        if batch is None:
            raise not_found("UNKNOWN_BATCH", f"No batch {lot} of GTIN {gtin}.")
        holdings = list(
            session.exec(
                select(Holding)
                .where(Holding.gtin == gtin, Holding.lot == lot)
                .order_by(col(Holding.quantity).desc())
            )
        )
        return batch, holdings


def list_batches(rt: Runtime, *, manufacturer: str | None = None) -> list[Batch]:
    with rt.session() as session:
        query = select(Batch).order_by(Batch.gtin, Batch.lot)
        if manufacturer:
            query = query.where(Batch.manufacturer == manufacturer)
        return list(session.exec(query))


def list_holdings(rt: Runtime, *, msp_id: str) -> list[Holding]:
    with rt.session() as session:
        return list(
            session.exec(
                select(Holding).where(Holding.msp_id == msp_id).order_by(Holding.gtin, Holding.lot)
            )
        )


def change_batch_status(
    rt: Runtime, *, actor: Actor, gtin: str, lot: str, status: str, reason: str
) -> Committed:
    """Recall, withdraw, quarantine or release a batch (the contract checks who may, again)."""
    guards.batch_owner(rt, actor, gtin, lot)
    return rt.submit(
        actor.msp_id,
        "ChangeBatchStatus",
        {"gtin": gtin, "lot": lot, "status": status, "reason": reason},
    )
