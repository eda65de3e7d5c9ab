"""One transaction's view of the ledger: typed state access, the caller, the clock, the event.

Wraps the stub so transaction code reads like the domain: `ctx.batch(gtin, lot)`, `ctx.caller`,
`ctx.now`. Fabric keeps only the last chaincode event of a transaction, so a transaction emits
exactly one event, carrying everything the indexer needs (absolute balances, whole records).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chaincode import canonical
from chaincode.errors import ContractError, ErrorCode
from chaincode.model import Role
from chaincode.stub import ChaincodeStub, create_composite_key, split_composite_key

Record = dict[str, Any]

ORG = "org"
PRODUCT = "product"
BATCH = "batch"
HOLDING = "holding"
SHIPMENT = "shipment"
PACK = "pack"
META = "meta"


class TxContext:
    """Typed helpers over a `ChaincodeStub` for one transaction."""

    def __init__(self, stub: ChaincodeStub) -> None:
        self.stub = stub
        self.tx_id = stub.get_txid()
        stamp = stub.get_tx_timestamp()
        # Naive timestamps are UTC; aware ones are converted, so dates (expiry) are UTC dates.
        self.now: datetime = stamp.astimezone(UTC) if stamp.tzinfo else stamp.replace(tzinfo=UTC)
        self.msp_id = stub.get_creator().msp_id
        self._event: tuple[str, Record] | None = None

    # -- time -------------------------------------------------------------------------------
    @property
    def now_iso(self) -> str:
        """Transaction time in UTC, millisecond precision (EPCIS style)."""
        return self.now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    # -- generic state ---------------------------------------------------------------------------
    def key(self, object_type: str, *attributes: str) -> str:
        return create_composite_key(object_type, list(attributes))

    def get(self, object_type: str, *attributes: str) -> Record | None:
        raw = self.stub.get_state(self.key(object_type, *attributes))
        return canonical.loads(raw) if raw else None

    def put(self, object_type: str, attributes: tuple[str, ...], record: Record) -> None:
        self.stub.put_state(self.key(object_type, *attributes), canonical.dumps(record))

    def scan(self, object_type: str, *attributes: str) -> list[tuple[list[str], Record]]:
        """All records under a partial composite key, with their key attributes."""
        return [
            (split_composite_key(key)[1], canonical.loads(raw))
            for key, raw in self.stub.get_state_by_partial_composite_key(
                object_type, list(attributes)
            )
        ]

    # -- domain lookups --------------------------------------------------------------------------
    def organization(self, msp_id: str) -> Record | None:
        return self.get(ORG, msp_id)

    @property
    def caller(self) -> Record:
        """The caller's registered organization, or a refusal."""
        org = self.organization(self.msp_id)
        if org is None:
            raise ContractError(
                ErrorCode.UNKNOWN_ORGANIZATION,
                f"Organization {self.msp_id} is not registered on this channel.",
            )
        return org

    def licensed_caller(self, *roles: Role) -> Record:
        """The caller, checked to be licensed and to have one of `roles`."""
        org = self.caller
        if org["licence_status"] != "active":
            raise ContractError(
                ErrorCode.ORGANIZATION_NOT_LICENSED,
                f"Organization {self.msp_id} has licence status {org['licence_status']}.",
            )
        if roles and org["role"] not in roles:
            allowed = ", ".join(sorted(roles))
            raise ContractError(
                ErrorCode.FORBIDDEN_ROLE,
                f"A {org['role']} may not do this; it needs one of: {allowed}.",
            )
        return org

    def batch(self, gtin: str, lot: str) -> Record:
        record = self.get(BATCH, gtin, lot)
        if record is None:
            raise ContractError(ErrorCode.UNKNOWN_BATCH, f"No batch {lot} of GTIN {gtin}.")
        return record

    def holding(self, gtin: str, lot: str, msp_id: str) -> int:
        record = self.get(HOLDING, gtin, lot, msp_id)
        return int(record["quantity"]) if record else 0

    def set_holding(self, gtin: str, lot: str, msp_id: str, quantity: int) -> None:
        key = self.key(HOLDING, gtin, lot, msp_id)
        if quantity == 0:
            self.stub.delete_state(key)
        else:
            self.stub.put_state(key, canonical.dumps({"quantity": quantity}))

    # -- events ------------------------------------------------------------------------------------
    def emit(self, name: str, payload: Record) -> None:
        """Set the transaction's one event; common fields are added here."""
        body = {**payload, "tx_id": self.tx_id, "at": self.now_iso, "actor": self.msp_id}
        self._event = (name, body)
        self.stub.set_event(name, canonical.dumps(body))
