"""Read-only transactions (evaluated, never ordered).

Reads are open to every organization on the channel, as the world state is; the service decides
what each user may see.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chaincode import args, canonical
from chaincode.batches import is_expired
from chaincode.context import BATCH, HOLDING, ORG, PACK, PRODUCT, SHIPMENT, Record, TxContext
from chaincode.errors import ContractError, ErrorCode
from chaincode.registry import organization_or_refuse


def get_organization(ctx: TxContext, body: args.Request) -> Record:
    return organization_or_refuse(ctx, args.text(body, "msp_id", max_len=64))


def list_organizations(ctx: TxContext, body: args.Request) -> list[Record]:
    return [record for _, record in ctx.scan(ORG)]


def get_product(ctx: TxContext, body: args.Request) -> Record:
    gtin = args.gtin(body)
    product = ctx.get(PRODUCT, gtin)
    if product is None:
        raise ContractError(ErrorCode.UNKNOWN_PRODUCT, f"GTIN {gtin} is not registered.")
    return product


def get_batch(ctx: TxContext, body: args.Request) -> Record:
    """The batch token with its current holdings and whether it has expired."""
    gtin, lot = args.gtin(body), args.lot(body)
    batch = ctx.batch(gtin, lot)
    holdings = [
        {"msp_id": attributes[2], "quantity": record["quantity"]}
        for attributes, record in ctx.scan(HOLDING, gtin, lot)
    ]
    return {**batch, "expired": is_expired(ctx, batch), "holdings": holdings}


def get_shipment(ctx: TxContext, body: args.Request) -> Record:
    shipment_id = args.text(body, "shipment_id", max_len=64)
    shipment = ctx.get(SHIPMENT, shipment_id)
    if shipment is None:
        raise ContractError(ErrorCode.UNKNOWN_SHIPMENT, f"No shipment {shipment_id}.")
    return shipment


def get_pack(ctx: TxContext, body: args.Request) -> Record | None:
    """The pack's last status change, or null when it never changed (active if it exists)."""
    return ctx.get(PACK, args.gtin(body), args.serial(body))


_HISTORY_KEYS: dict[str, tuple[str, ...]] = {
    ORG: ("msp_id",),
    PRODUCT: ("gtin",),
    BATCH: ("gtin", "lot"),
    SHIPMENT: ("shipment_id",),
    PACK: ("gtin", "serial"),
}


def get_history(ctx: TxContext, body: args.Request) -> list[dict[str, Any]]:
    """Every committed version of one record, oldest first, with its transaction id.

    The stub yields history newest first in commit order, as Fabric 2+ does (and the embedded
    ledger likewise); the contract reverses it. Commit order, not timestamps: a proposal's
    timestamp is the client's clock and need not follow commit order.
    """
    kind = args.text(body, "kind", max_len=16)
    if kind not in _HISTORY_KEYS:
        raise args.invalid(f"Field 'kind' must be one of: {', '.join(_HISTORY_KEYS)}.")
    attributes = [args.text(body, field, max_len=64) for field in _HISTORY_KEYS[kind]]
    return [
        {
            "tx_id": entry.tx_id,
            "at": _utc(entry.timestamp).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "is_delete": entry.is_delete,
            "value": None if entry.is_delete else canonical.loads(entry.value),
        }
        for entry in reversed(list(ctx.stub.get_history_for_key(ctx.key(kind, *attributes))))
    ]


def _utc(stamp: datetime) -> datetime:
    """Naive timestamps are UTC, as in TxContext."""
    return stamp.astimezone(UTC) if stamp.tzinfo else stamp.replace(tzinfo=UTC)
