"""Ownership checks in the service, before anything is signed: the contract's own rules, read
from the read model.

The contract is the authority: it checks every write again, whatever the service did, so a
service that skipped these checks (or a client talking to the ledger directly) still could not
act on another organization's batch, product or stock. The service checks first so that a write
it can already see is not the caller's to make never reaches the ledger (no endorsement, no
signature in its organization's name) and is refused with the same code the contract would give.

The read model can lag the ledger by blocks another process committed a moment ago. A check that
would refuse therefore catches the indexer up and looks again before refusing: lag can cost a
read, never a wrong refusal. A check that wrongly allows (the state changed since) is caught by
the contract, which is the safe side.

Each guard stands aside (returns) where the contract gives a different answer first: a caller
whose licence is not active, an unknown batch or product, a shipment id already used (an
idempotent retry), a pack that is already decommissioned.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import select

from chaincode.model import IRREVERSIBLE_PACK_STATUSES
from services.errors import PharmaTraceError, forbidden
from services.readmodel.tables import Batch, Holding, Organization, Pack, Product, Shipment
from services.runtime import Actor, Runtime

REGULATOR = "regulator"


def _licensed(rt: Runtime, msp_id: str) -> bool:
    with rt.session() as session:
        org = session.get(Organization, msp_id)
    return org is not None and org.licence_status == "active"


def _refuse_unless(
    rt: Runtime, actor: Actor, allowed: Callable[[], bool], error: PharmaTraceError
) -> None:
    if allowed():
        return
    rt.indexer.catch_up()  # the read model may not have the block that would allow it yet
    if allowed():
        return
    if not _licensed(rt, actor.msp_id):
        return  # the contract checks the licence first: let it say ORGANIZATION_NOT_LICENSED
    raise error


def product_owner(rt: Runtime, actor: Actor, gtin: str) -> None:
    """Only a product's manufacturer registers batches of it (contract: NOT_PRODUCT_OWNER)."""

    def allowed() -> bool:
        with rt.session() as session:
            product = session.get(Product, gtin)
        return product is None or product.manufacturer == actor.msp_id

    _refuse_unless(
        rt,
        actor,
        allowed,
        forbidden(
            "NOT_PRODUCT_OWNER",
            f"GTIN {gtin} belongs to another manufacturer; {actor.msp_id} may not register "
            "batches of it.",
        ),
    )


def batch_owner(rt: Runtime, actor: Actor, gtin: str, lot: str) -> None:
    """A batch's status is changed by its manufacturer or a regulator (NOT_BATCH_OWNER)."""
    if actor.role == REGULATOR:
        return

    def allowed() -> bool:
        with rt.session() as session:
            batch = session.get(Batch, (gtin, lot))
        return batch is None or batch.manufacturer == actor.msp_id

    _refuse_unless(
        rt,
        actor,
        allowed,
        forbidden(
            "NOT_BATCH_OWNER",
            f"Batch {lot} (GTIN {gtin}) was made by another manufacturer; only it or a "
            "regulator may change its status.",
        ),
    )


def _holds(rt: Runtime, actor: Actor, gtin: str, lot: str) -> bool:
    with rt.session() as session:
        if session.get(Batch, (gtin, lot)) is None:
            return True  # unknown batch: the contract says UNKNOWN_BATCH
        holding = session.get(Holding, (gtin, lot, actor.msp_id))
    return holding is not None and holding.quantity > 0


def custodian_of_lines(
    rt: Runtime, actor: Actor, batches: list[tuple[str, str]], shipment_id: str
) -> None:
    """Only a holder ships a batch (NOT_CUSTODIAN). A shipment id already on the ledger is an
    idempotent retry: the contract answers it (SHIPMENT_EXISTS), not this guard."""

    def allowed() -> bool:
        with rt.session() as session:
            if (
                session.exec(
                    select(Shipment.shipment_id).where(Shipment.shipment_id == shipment_id)
                ).first()
                is not None
            ):
                return True
        return all(_holds(rt, actor, gtin, lot) for gtin, lot in batches)

    _refuse_unless(
        rt,
        actor,
        allowed,
        forbidden(
            "NOT_CUSTODIAN",
            f"{actor.msp_id} holds no units of "
            + ", ".join(f"batch {lot} (GTIN {gtin})" for gtin, lot in batches)
            + " to ship; only the custodian ships.",
        ),
    )


def custodian_of_pack(rt: Runtime, actor: Actor, gtin: str, lot: str, serial: str) -> None:
    """Only a holder of the batch decommissions its packs (NOT_CUSTODIAN); a pack already
    decommissioned is left to the contract (ALREADY_DISPENSED, PACK_INACTIVE)."""

    def allowed() -> bool:
        with rt.session() as session:
            pack = session.get(Pack, (gtin, serial))
        if pack is not None and pack.status != "active":
            return True
        return _holds(rt, actor, gtin, lot)

    _refuse_unless(
        rt,
        actor,
        allowed,
        forbidden(
            "NOT_CUSTODIAN",
            f"{actor.msp_id} holds no units of batch {lot}: no shipment of it to "
            f"{actor.msp_id} was received.",
        ),
    )


def undoer_of_pack(rt: Runtime, actor: Actor, gtin: str, serial: str) -> None:
    """Only the organization that decommissioned a pack undoes it (UNDO_BY_OTHER_ORGANIZATION);
    an active pack or an irreversible status is left to the contract's own answer."""

    def allowed() -> bool:
        with rt.session() as session:
            pack = session.get(Pack, (gtin, serial))
        if pack is None or pack.status == "active" or pack.status in IRREVERSIBLE_PACK_STATUSES:
            return True
        return pack.msp_id == actor.msp_id

    _refuse_unless(
        rt,
        actor,
        allowed,
        forbidden(
            "UNDO_BY_OTHER_ORGANIZATION",
            f"Pack {serial} (GTIN {gtin}) was decommissioned by another organization; only it "
            "may undo that.",
        ),
    )
