"""Custody moves only by shipment: the sender ships, the receiver receives.

Shipping takes the quantity out of the sender's holding at once (it is in transit, held by nobody);
receiving credits the receiver with what arrived, never more than was shipped, so a receipt cannot
inflate a batch. Differences are recorded as discrepancies for the regulator to see.
"""

from __future__ import annotations

from chaincode import args, identifiers, logistic_units
from chaincode.batches import refuse_unless_shippable
from chaincode.context import SHIPMENT, Record, TxContext
from chaincode.errors import ContractError, ErrorCode
from chaincode.model import (
    CUSTODIAN_ROLES,
    MAX_SERIALS_PER_LINE,
    MAX_SHIPMENT_LINES,
    LicenceStatus,
    ShipmentStatus,
)
from chaincode.registry import organization_or_refuse, premises

MAX_QUANTITY_PER_LINE = 10_000_000


def ship(ctx: TxContext, body: args.Request) -> Record:
    sender = ctx.licensed_caller(*CUSTODIAN_ROLES)
    shipment_id = args.text(body, "shipment_id", max_len=64)
    receiver = _receiver(ctx, args.text(body, "receiver", max_len=64))
    lines = [
        _ship_line(line) for line in args.object_list(body, "lines", max_items=MAX_SHIPMENT_LINES)
    ]
    _refuse_duplicate_batches(lines)
    units = logistic_units.logistic_units(body, lines)
    if ctx.get(SHIPMENT, shipment_id) is not None:
        raise ContractError(ErrorCode.SHIPMENT_EXISTS, f"Shipment {shipment_id} already exists.")
    holdings = []
    for line in lines:
        batch = ctx.batch(line["gtin"], line["lot"])
        refuse_unless_shippable(ctx, batch, receiver["msp_id"])
        held = ctx.holding(line["gtin"], line["lot"], ctx.msp_id)
        _refuse_short_stock(ctx.msp_id, line, held)
        ctx.set_holding(line["gtin"], line["lot"], ctx.msp_id, held - line["quantity"])
        holdings.append(
            {
                "gtin": line["gtin"],
                "lot": line["lot"],
                "msp_id": ctx.msp_id,
                "quantity": held - line["quantity"],
            }
        )
    shipment: Record = {
        "shipment_id": shipment_id,
        "sender": ctx.msp_id,
        "receiver": receiver["msp_id"],
        "from_location": premises(sender, body, "from_location"),
        "to_location": premises(receiver, body, "to_location"),
        "lines": lines,
        "status": str(ShipmentStatus.IN_TRANSIT),
        "shipped_at": ctx.now_iso,
        "ship_tx_id": ctx.tx_id,
    }
    if units:
        shipment["logistic_units"] = units  # absent when none, so older records stay identical
    ctx.put(SHIPMENT, (shipment_id,), shipment)
    ctx.emit("ShipmentShipped", {"shipment": shipment, "holdings": holdings})
    return shipment


def _receiver(ctx: TxContext, msp_id: str) -> Record:
    if msp_id == ctx.msp_id:
        raise ContractError(ErrorCode.SELF_SHIPMENT, "An organization cannot ship to itself.")
    receiver = organization_or_refuse(ctx, msp_id)
    if (
        receiver["licence_status"] != LicenceStatus.ACTIVE
        or receiver["role"] not in CUSTODIAN_ROLES
    ):
        raise ContractError(
            ErrorCode.PARTNER_NOT_AUTHORISED,
            f"{msp_id} is not an authorised trading partner "
            f"({receiver['role']}, licence {receiver['licence_status']}).",
        )
    return receiver


def _ship_line(line: args.Request) -> Record:
    quantity = args.integer(line, "quantity", minimum=1, maximum=MAX_QUANTITY_PER_LINE)
    serials = args.string_list(line, "serials", max_items=MAX_SERIALS_PER_LINE)
    ssccs = args.string_list(line, "ssccs", max_items=MAX_SERIALS_PER_LINE)
    if len(serials) > quantity or len(set(serials)) != len(serials):
        raise args.invalid("A line's serials must be distinct and no more than its quantity.")
    if not all(identifiers.is_serial(s) for s in serials):
        raise args.invalid("Every serial must be 1–20 characters of the GS1 character set 82.")
    if not all(identifiers.is_sscc(s) for s in ssccs):
        raise args.invalid("Every SSCC must be 18 digits with a valid check digit.")
    return {
        "gtin": args.gtin(line),
        "lot": args.lot(line),
        "quantity": quantity,
        "serials": sorted(serials),
        "ssccs": sorted(ssccs),
    }


def _refuse_duplicate_batches(lines: list[Record]) -> None:
    batches = [(line["gtin"], line["lot"]) for line in lines]
    if len(set(batches)) != len(batches):
        raise args.invalid("Each batch may appear on only one line of a shipment.")


def _refuse_short_stock(msp_id: str, line: Record, held: int) -> None:
    if held == 0:
        raise ContractError(
            ErrorCode.NOT_CUSTODIAN,
            f"{msp_id} holds no units of batch {line['lot']} (GTIN {line['gtin']}).",
        )
    if held < line["quantity"]:
        raise ContractError(
            ErrorCode.INSUFFICIENT_QUANTITY,
            f"{msp_id} holds {held} units of batch {line['lot']}, fewer than {line['quantity']}.",
        )


def receive(ctx: TxContext, body: args.Request) -> Record:
    caller = ctx.licensed_caller(*CUSTODIAN_ROLES)
    shipment_id = args.text(body, "shipment_id", max_len=64)
    shipment = ctx.get(SHIPMENT, shipment_id)
    if shipment is None:
        raise ContractError(ErrorCode.UNKNOWN_SHIPMENT, f"No shipment {shipment_id}.")
    if shipment["receiver"] != ctx.msp_id:
        raise ContractError(
            ErrorCode.NOT_RECEIVER,
            f"Shipment {shipment_id} is addressed to {shipment['receiver']}, not {ctx.msp_id}.",
        )
    if shipment["status"] != ShipmentStatus.IN_TRANSIT:
        raise ContractError(
            ErrorCode.SHIPMENT_NOT_IN_TRANSIT,
            f"Shipment {shipment_id} was already received ({shipment['status']}).",
        )
    received = _received_quantities(body, shipment)
    holdings, discrepancies = [], []
    for line in shipment["lines"]:
        key = (line["gtin"], line["lot"])
        got = received.pop(key, line["quantity"])
        credited = min(got, line["quantity"])
        if got != line["quantity"]:
            discrepancies.append(
                {
                    "gtin": key[0],
                    "lot": key[1],
                    "shipped": line["quantity"],
                    "received": got,
                    "kind": "short" if got < line["quantity"] else "extra",
                }
            )
        held = ctx.holding(*key, ctx.msp_id) + credited
        if credited:
            ctx.set_holding(*key, ctx.msp_id, held)
        holdings.append({"gtin": key[0], "lot": key[1], "msp_id": ctx.msp_id, "quantity": held})
    for (gtin, lot), got in sorted(received.items()):
        if got == 0:
            continue  # "none of that batch arrived" about a batch never shipped: no news
        discrepancies.append(
            {"gtin": gtin, "lot": lot, "shipped": 0, "received": got, "kind": "unexpected"}
        )
    status = ShipmentStatus.RECEIVED_WITH_DISCREPANCY if discrepancies else ShipmentStatus.RECEIVED
    shipment = {
        **shipment,
        "status": str(status),
        "received_at": ctx.now_iso,
        "receive_tx_id": ctx.tx_id,
        "discrepancies": discrepancies,
        "to_location": premises(caller, body)
        if body.get("location")
        else shipment.get("to_location") or caller["gln"],
    }
    ctx.put(SHIPMENT, (shipment_id,), shipment)
    ctx.emit(
        "ShipmentReceived",
        {"shipment": shipment, "holdings": holdings, "discrepancies": discrepancies},
    )
    return shipment


def _received_quantities(body: args.Request, shipment: Record) -> dict[tuple[str, str], int]:
    """What the receiver counted; by default exactly what was shipped."""
    lines = args.object_list(body, "lines", max_items=MAX_SHIPMENT_LINES, required=False)
    counted: dict[tuple[str, str], int] = {}
    for line in lines:
        key = (args.gtin(line), args.lot(line))
        if key in counted:
            raise args.invalid("Each batch may appear on only one received line.")
        counted[key] = args.integer(line, "quantity", minimum=0, maximum=MAX_QUANTITY_PER_LINE)
    return counted if lines else {}
