"""Batch tokens: minting, and the batch-level statuses (quarantine, recall, withdrawal).

A batch token is minted once per (GTIN, lot) by the product's manufacturer, with a commitment to
its serial numbers (count + Merkle root). The whole quantity starts in the manufacturer's holding.
Recall and withdrawal are final; quarantine can be released.
"""

from __future__ import annotations

from datetime import date

from chaincode import args
from chaincode.context import BATCH, PRODUCT, Record, TxContext
from chaincode.errors import ContractError, ErrorCode
from chaincode.model import MAX_BATCH_QUANTITY, BatchStatus, Role


def register_batch(ctx: TxContext, body: args.Request) -> Record:
    ctx.licensed_caller(Role.MANUFACTURER)
    gtin, lot = args.gtin(body), args.lot(body)
    product = ctx.get(PRODUCT, gtin)
    if product is None:
        raise ContractError(ErrorCode.UNKNOWN_PRODUCT, f"GTIN {gtin} is not registered.")
    if product["manufacturer"] != ctx.msp_id:
        raise ContractError(
            ErrorCode.NOT_PRODUCT_OWNER,
            f"GTIN {gtin} belongs to {product['manufacturer']}, not {ctx.msp_id}.",
        )
    if ctx.get(BATCH, gtin, lot) is not None:
        raise ContractError(ErrorCode.BATCH_EXISTS, f"Batch {lot} of GTIN {gtin} already exists.")
    expiry = args.iso_date(body, "expiry")
    if expiry <= ctx.now.date():
        raise args.invalid(f"Expiry {expiry.isoformat()} is not in the future.")
    quantity = args.integer(body, "quantity", minimum=1, maximum=MAX_BATCH_QUANTITY)
    batch: Record = {
        "gtin": gtin,
        "lot": lot,
        "expiry": expiry.isoformat(),
        "manufactured": _optional_date(body, "manufactured"),
        "quantity": quantity,
        "serial_count": quantity,
        "merkle_root": args.hex_digest(body, "merkle_root").hex(),
        "manufacturer": ctx.msp_id,
        "product_name": product["name"],
        "status": str(BatchStatus.ACTIVE),
        "status_reason": "",
        "registered_at": ctx.now_iso,
    }
    ctx.put(BATCH, (gtin, lot), batch)
    ctx.set_holding(gtin, lot, ctx.msp_id, quantity)
    ctx.emit(
        "BatchRegistered",
        {
            "batch": batch,
            "holdings": [{"gtin": gtin, "lot": lot, "msp_id": ctx.msp_id, "quantity": quantity}],
        },
    )
    return batch


def _optional_date(body: args.Request, field: str) -> str | None:
    return args.iso_date(body, field).isoformat() if body.get(field) is not None else None


def change_batch_status(ctx: TxContext, body: args.Request) -> Record:
    """Recall, withdraw or quarantine (manufacturer or regulator), or release a quarantine."""
    caller = ctx.licensed_caller(Role.MANUFACTURER, Role.REGULATOR)
    batch = ctx.batch(args.gtin(body), args.lot(body))
    if caller["role"] == Role.MANUFACTURER and batch["manufacturer"] != ctx.msp_id:
        raise ContractError(
            ErrorCode.NOT_BATCH_OWNER,
            f"Batch {batch['lot']} belongs to {batch['manufacturer']}; only it or a regulator "
            "may change its status.",
        )
    new_status = args.choice(body, "status", BatchStatus)
    reason = args.text(body, "reason", max_len=500)
    _check_transition(BatchStatus(batch["status"]), new_status)
    if new_status is BatchStatus.ACTIVE and caller["role"] != Role.REGULATOR:
        imposer = ctx.organization(batch.get("status_changed_by", ""))
        if imposer is not None and imposer["role"] == Role.REGULATOR:
            raise ContractError(
                ErrorCode.FORBIDDEN_ROLE,
                f"The quarantine was imposed by the regulator {imposer['msp_id']}; only a "
                "regulator may release it.",
            )
    batch = {
        **batch,
        "status": str(new_status),
        "status_reason": reason,
        "status_changed_at": ctx.now_iso,
        "status_changed_by": ctx.msp_id,
    }
    ctx.put(BATCH, (batch["gtin"], batch["lot"]), batch)
    ctx.emit("BatchStatusChanged", {"batch": batch})
    return batch


def _check_transition(current: BatchStatus, new: BatchStatus) -> None:
    final = {BatchStatus.RECALLED, BatchStatus.WITHDRAWN}
    if current in final:
        raise ContractError(
            ErrorCode.BATCH_RECALLED
            if current is BatchStatus.RECALLED
            else ErrorCode.BATCH_WITHDRAWN,
            f"The batch is already {current}; that is final.",
        )
    if new is BatchStatus.ACTIVE and current is not BatchStatus.QUARANTINED:
        raise ContractError(ErrorCode.BATCH_NOT_QUARANTINED, "Only a quarantine can be released.")
    if new is current:
        raise ContractError(ErrorCode.BATCH_QUARANTINED, f"The batch is already {current}.")


def refuse_unless_movable(ctx: TxContext, batch: Record) -> None:
    """Stock of a recalled, withdrawn, quarantined or expired batch must not move or be supplied."""
    status = BatchStatus(batch["status"])
    codes = {
        BatchStatus.RECALLED: ErrorCode.BATCH_RECALLED,
        BatchStatus.WITHDRAWN: ErrorCode.BATCH_WITHDRAWN,
        BatchStatus.QUARANTINED: ErrorCode.BATCH_QUARANTINED,
    }
    if status in codes:
        reason = f": {batch['status_reason'].rstrip('.')}" if batch.get("status_reason") else ""
        raise ContractError(codes[status], f"Batch {batch['lot']} is {status}{reason}.")
    if is_expired(ctx, batch):
        raise ContractError(
            ErrorCode.BATCH_EXPIRED, f"Batch {batch['lot']} expired on {batch['expiry']}."
        )


def refuse_if_final(ctx: TxContext, batch: Record) -> None:
    """EU FMD Art. 13: no undo once the batch is recalled, withdrawn or expired."""
    if BatchStatus(batch["status"]) is not BatchStatus.QUARANTINED:
        refuse_unless_movable(ctx, batch)
    elif is_expired(ctx, batch):
        raise ContractError(
            ErrorCode.BATCH_EXPIRED, f"Batch {batch['lot']} expired on {batch['expiry']}."
        )


def refuse_unless_shippable(ctx: TxContext, batch: Record, receiver: str) -> None:
    """Like `refuse_unless_movable`, but recalled, withdrawn or expired stock may go back to its
    manufacturer (a return for destruction); a quarantine still stops every movement."""
    blocked = BatchStatus(batch["status"]) is BatchStatus.QUARANTINED
    if receiver == batch["manufacturer"] and not blocked:
        return
    refuse_unless_movable(ctx, batch)


def is_expired(ctx: TxContext, batch: Record) -> bool:
    """Expired from the day after the expiry date, by transaction time."""
    return ctx.now.date() > date.fromisoformat(batch["expiry"])
