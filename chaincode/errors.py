"""Coded errors raised by the contract.

Every refusal carries a stable machine-readable code and a sentence a person understands. On the
wire (embedded ledger and Fabric alike) an error is the JSON object
``{"code": ..., "message": ...}`` as the chaincode response message, so clients decode it the
same way from both backends. The service maps codes to HTTP statuses in one place (services.errors).
"""

from __future__ import annotations

import json
from enum import StrEnum


class ErrorCode(StrEnum):
    """Stable error codes. Append only: clients and the API depend on these strings."""

    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    UNKNOWN_FUNCTION = "UNKNOWN_FUNCTION"
    INTERNAL = "INTERNAL"
    ACCESS_DENIED = "ACCESS_DENIED"  # the peer refused the proposal's identity or signature
    # identity and permission
    UNKNOWN_ORGANIZATION = "UNKNOWN_ORGANIZATION"
    ORGANIZATION_NOT_LICENSED = "ORGANIZATION_NOT_LICENSED"
    FORBIDDEN_ROLE = "FORBIDDEN_ROLE"
    NOT_PRODUCT_OWNER = "NOT_PRODUCT_OWNER"
    NOT_BATCH_OWNER = "NOT_BATCH_OWNER"
    NOT_CUSTODIAN = "NOT_CUSTODIAN"
    NOT_RECEIVER = "NOT_RECEIVER"
    PARTNER_NOT_AUTHORISED = "PARTNER_NOT_AUTHORISED"
    # existence
    ORGANIZATION_EXISTS = "ORGANIZATION_EXISTS"
    PRODUCT_EXISTS = "PRODUCT_EXISTS"
    BATCH_EXISTS = "BATCH_EXISTS"
    SHIPMENT_EXISTS = "SHIPMENT_EXISTS"
    UNKNOWN_PRODUCT = "UNKNOWN_PRODUCT"
    UNKNOWN_BATCH = "UNKNOWN_BATCH"
    UNKNOWN_SHIPMENT = "UNKNOWN_SHIPMENT"
    UNKNOWN_SERIAL = "UNKNOWN_SERIAL"
    # state
    INSUFFICIENT_QUANTITY = "INSUFFICIENT_QUANTITY"
    SELF_SHIPMENT = "SELF_SHIPMENT"
    SHIPMENT_NOT_IN_TRANSIT = "SHIPMENT_NOT_IN_TRANSIT"
    BATCH_RECALLED = "BATCH_RECALLED"
    BATCH_WITHDRAWN = "BATCH_WITHDRAWN"
    BATCH_QUARANTINED = "BATCH_QUARANTINED"
    BATCH_EXPIRED = "BATCH_EXPIRED"
    BATCH_NOT_QUARANTINED = "BATCH_NOT_QUARANTINED"
    ALREADY_DISPENSED = "ALREADY_DISPENSED"
    PACK_INACTIVE = "PACK_INACTIVE"
    PACK_ACTIVE = "PACK_ACTIVE"
    UNDO_TOO_LATE = "UNDO_TOO_LATE"
    UNDO_BY_OTHER_ORGANIZATION = "UNDO_BY_OTHER_ORGANIZATION"
    UNDO_OTHER_LOCATION = "UNDO_OTHER_LOCATION"
    UNDO_NOT_ALLOWED = "UNDO_NOT_ALLOWED"
    NOT_OWN_PREMISES = "NOT_OWN_PREMISES"
    LOGISTIC_UNIT_MISMATCH = "LOGISTIC_UNIT_MISMATCH"  # an SSCC's contents disagree with the lines


class ContractError(Exception):
    """A refusal by the contract: a code from `ErrorCode` and a human sentence."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def to_wire(self) -> str:
        """The chaincode response message: canonical JSON both ledgers carry unchanged."""
        return json.dumps({"code": str(self.code), "message": self.message}, sort_keys=True)

    @classmethod
    def from_wire(cls, text: str) -> ContractError:
        """Decode a response message; anything not ours becomes an INTERNAL error."""
        try:
            body = json.loads(text)
            return cls(ErrorCode(body["code"]), str(body["message"]))
        except (ValueError, KeyError, TypeError):
            return cls(ErrorCode.INTERNAL, text)
