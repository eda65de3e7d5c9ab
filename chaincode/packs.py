"""Pack-level decommissioning (dispense, destroy, …) and its undo, under the EU FMD rules.

A pack has no ledger record until its status first changes, so unscanned packs cost nothing. The
caller proves the pack belongs to the batch with a Merkle proof against the batch token's root, and
must hold stock of the batch: a pharmacy cannot supply what nobody shipped to it.
"""

from __future__ import annotations

from datetime import datetime

from chaincode import args, merkle
from chaincode.batches import refuse_if_final, refuse_unless_movable
from chaincode.context import PACK, Record, TxContext
from chaincode.errors import ContractError, ErrorCode
from chaincode.model import (
    CUSTODIAN_ROLES,
    DECOMMISSION_BY_ROLE,
    IRREVERSIBLE_PACK_STATUSES,
    UNDO_WINDOW,
    PackStatus,
    Role,
)
from chaincode.registry import premises

MAX_PROOF_LENGTH = 64


def decommission(ctx: TxContext, body: args.Request) -> Record:
    caller = ctx.licensed_caller(*CUSTODIAN_ROLES)
    gtin, lot, serial = args.gtin(body), args.lot(body), args.serial(body)
    status = args.choice(body, "status", PackStatus, default=str(PackStatus.SUPPLIED))
    if status is PackStatus.ACTIVE:
        raise args.invalid("A pack is decommissioned to a status other than active.")
    if status not in DECOMMISSION_BY_ROLE[Role(caller["role"])]:
        raise ContractError(
            ErrorCode.FORBIDDEN_ROLE, f"A {caller['role']} may not decommission a pack as {status}."
        )
    location = premises(caller, body)
    batch = ctx.batch(gtin, lot)
    _refuse_unless_member(batch, serial, body.get("proof"))
    current = ctx.get(PACK, gtin, serial)
    if current is not None and current["status"] != PackStatus.ACTIVE:
        _refuse_inactive(current)
    if status not in IRREVERSIBLE_PACK_STATUSES:
        refuse_unless_movable(ctx, batch)
    held = ctx.holding(gtin, lot, ctx.msp_id)
    if held < 1:
        raise ContractError(
            ErrorCode.NOT_CUSTODIAN,
            f"{ctx.msp_id} holds no units of batch {lot}: no shipment of it to {ctx.msp_id} "
            "was received.",
        )
    pack: Record = {
        "gtin": gtin,
        "lot": lot,
        "serial": serial,
        "status": str(status),
        "msp_id": ctx.msp_id,
        "location": location,
        "at": ctx.now_iso,
        "tx_id": ctx.tx_id,
    }
    ctx.put(PACK, (gtin, serial), pack)
    ctx.set_holding(gtin, lot, ctx.msp_id, held - 1)
    ctx.emit(
        "PackDecommissioned",
        {
            "pack": pack,
            "holdings": [{"gtin": gtin, "lot": lot, "msp_id": ctx.msp_id, "quantity": held - 1}],
        },
    )
    return pack


def _refuse_unless_member(batch: Record, serial: str, proof: object) -> None:
    if not isinstance(proof, dict):
        raise args.invalid("Field 'proof' must be an object with 'index' and 'siblings'.")
    index = args.integer(proof, "index", minimum=0, maximum=batch["serial_count"] - 1)
    siblings_hex = args.string_list(proof, "siblings", max_items=MAX_PROOF_LENGTH)
    try:
        siblings = [bytes.fromhex(s) for s in siblings_hex]
    except ValueError:
        raise args.invalid("Proof siblings must be hexadecimal hashes.") from None
    root = bytes.fromhex(batch["merkle_root"])
    if not merkle.verify_proof(serial, index, siblings, batch["serial_count"], root):
        raise ContractError(
            ErrorCode.UNKNOWN_SERIAL,
            f"Serial {serial} is not one of the serials committed for batch {batch['lot']}.",
        )


def _refuse_inactive(current: Record) -> None:
    if current["status"] == PackStatus.SUPPLIED:
        raise ContractError(
            ErrorCode.ALREADY_DISPENSED,
            f"This pack was already dispensed by {current['msp_id']} at {current['at']}.",
        )
    raise ContractError(
        ErrorCode.PACK_INACTIVE,
        f"This pack is already decommissioned as {current['status']} by {current['msp_id']}.",
    )


def undo_decommission(ctx: TxContext, body: args.Request) -> Record:
    caller = ctx.licensed_caller(*CUSTODIAN_ROLES)
    gtin, serial = args.gtin(body), args.serial(body)
    location = premises(caller, body)
    current = ctx.get(PACK, gtin, serial)
    if current is None or current["status"] == PackStatus.ACTIVE:
        raise ContractError(ErrorCode.PACK_ACTIVE, "This pack is active; there is nothing to undo.")
    _refuse_undo(ctx, current, location)
    batch = ctx.batch(gtin, current["lot"])
    refuse_if_final(ctx, batch)
    held = ctx.holding(gtin, current["lot"], ctx.msp_id) + 1
    pack: Record = {
        **current,
        "status": str(PackStatus.ACTIVE),
        "at": ctx.now_iso,
        "tx_id": ctx.tx_id,
        "undone_status": current["status"],
    }
    ctx.put(PACK, (gtin, serial), pack)
    ctx.set_holding(gtin, current["lot"], ctx.msp_id, held)
    ctx.emit(
        "PackReactivated",
        {
            "pack": pack,
            "holdings": [
                {"gtin": gtin, "lot": current["lot"], "msp_id": ctx.msp_id, "quantity": held}
            ],
        },
    )
    return pack


def _refuse_undo(ctx: TxContext, current: Record, location: str) -> None:
    if current["status"] in IRREVERSIBLE_PACK_STATUSES:
        raise ContractError(
            ErrorCode.UNDO_NOT_ALLOWED, f"A pack decommissioned as {current['status']} stays so."
        )
    if current["msp_id"] != ctx.msp_id:
        raise ContractError(
            ErrorCode.UNDO_BY_OTHER_ORGANIZATION,
            f"Only {current['msp_id']}, which decommissioned this pack, may undo it.",
        )
    if current["location"] != location:
        raise ContractError(
            ErrorCode.UNDO_OTHER_LOCATION,
            f"The undo must be made at the premises {current['location']} where the pack was "
            "decommissioned.",
        )
    decommissioned_at = datetime.fromisoformat(current["at"].replace("Z", "+00:00"))
    if ctx.now - decommissioned_at > UNDO_WINDOW:
        raise ContractError(
            ErrorCode.UNDO_TOO_LATE,
            f"The pack was decommissioned at {current['at']}; undo is allowed for 10 days only.",
        )
