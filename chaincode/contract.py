"""The contract's entry point: function name → transaction, one JSON argument, JSON result.

Both ledgers call `PharmaTraceContract.invoke`. It never lets a Python exception escape: a refusal
is a `ContractError` (its code goes to the client), and a bug becomes an INTERNAL error rather than
a hung or half-written transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chaincode import args, batches, canonical, custody, packs, queries, registry
from chaincode.context import TxContext
from chaincode.errors import ContractError, ErrorCode
from chaincode.stub import ChaincodeStub

Transaction = Callable[[TxContext, args.Request], Any]

SUBMIT: dict[str, Transaction] = {
    "RegisterOrganization": registry.register_organization,
    "SetLicenceStatus": registry.set_licence_status,
    "RegisterProduct": registry.register_product,
    "RegisterBatch": batches.register_batch,
    "ChangeBatchStatus": batches.change_batch_status,
    "Ship": custody.ship,
    "Receive": custody.receive,
    "Decommission": packs.decommission,
    "UndoDecommission": packs.undo_decommission,
}

EVALUATE: dict[str, Transaction] = {
    "GetOrganization": queries.get_organization,
    "ListOrganizations": queries.list_organizations,
    "GetProduct": queries.get_product,
    "GetBatch": queries.get_batch,
    "GetShipment": queries.get_shipment,
    "GetPack": queries.get_pack,
    "GetHistory": queries.get_history,
}


class PharmaTraceContract:
    """Dispatches a function name and its arguments to a transaction."""

    name = "pharmatrace"

    def invoke(self, stub: ChaincodeStub, function: str, parameters: list[str]) -> bytes:
        """Run one transaction; returns canonical JSON or raises `ContractError`."""
        transaction = SUBMIT.get(function) or EVALUATE.get(function)
        if transaction is None:
            raise ContractError(ErrorCode.UNKNOWN_FUNCTION, f"No transaction named {function!r}.")
        if len(parameters) > 1:
            raise args.invalid("Transactions take one JSON object argument.")
        try:
            body = args.request(parameters[0] if parameters else "{}")
            return canonical.dumps(transaction(TxContext(stub), body))
        except ContractError:
            raise
        except Exception as exc:  # a bug must become a coded error, never a hung peer
            raise ContractError(
                ErrorCode.INTERNAL, f"{function} failed: {type(exc).__name__}"
            ) from exc

    @staticmethod
    def is_read_only(function: str) -> bool:
        return function in EVALUATE
