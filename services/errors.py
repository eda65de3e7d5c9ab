"""The service's errors, and the one place contract and ledger errors become them.

Every error has a stable machine-readable `code`, a human sentence, the HTTP status the API
answers with, and whether retrying the same request can help.

    PharmaTraceError
    ├── raised by domain services for bad input (INVALID_CODE, UNKNOWN_BATCH, …)
    └── from_ledger(): EndorseError → the contract's code; CommitStatusError → 409 conflict;
        SubmitError / LedgerUnavailableError → 503 LEDGER_UNAVAILABLE
"""

from __future__ import annotations

from chaincode.errors import ErrorCode
from services.ledger.errors import (
    CommitStatusError,
    EndorseError,
    LedgerError,
    LedgerUnavailableError,
    SubmitError,
)

_STATUS_BY_CODE: dict[str, int] = {
    ErrorCode.INVALID_ARGUMENT: 422,
    ErrorCode.UNKNOWN_FUNCTION: 400,
    ErrorCode.INTERNAL: 500,
    ErrorCode.ACCESS_DENIED: 403,
    ErrorCode.UNKNOWN_ORGANIZATION: 404,
    ErrorCode.ORGANIZATION_NOT_LICENSED: 403,
    ErrorCode.FORBIDDEN_ROLE: 403,
    ErrorCode.NOT_PRODUCT_OWNER: 403,
    ErrorCode.NOT_BATCH_OWNER: 403,
    ErrorCode.NOT_CUSTODIAN: 403,
    ErrorCode.NOT_RECEIVER: 403,
    ErrorCode.PARTNER_NOT_AUTHORISED: 422,
    ErrorCode.ORGANIZATION_EXISTS: 409,
    ErrorCode.PRODUCT_EXISTS: 409,
    ErrorCode.BATCH_EXISTS: 409,
    ErrorCode.SHIPMENT_EXISTS: 409,
    ErrorCode.UNKNOWN_PRODUCT: 404,
    ErrorCode.UNKNOWN_BATCH: 404,
    ErrorCode.UNKNOWN_SHIPMENT: 404,
    ErrorCode.UNKNOWN_SERIAL: 404,
    ErrorCode.INSUFFICIENT_QUANTITY: 409,
    ErrorCode.SELF_SHIPMENT: 422,
    ErrorCode.SHIPMENT_NOT_IN_TRANSIT: 409,
    ErrorCode.BATCH_RECALLED: 409,
    ErrorCode.BATCH_WITHDRAWN: 409,
    ErrorCode.BATCH_QUARANTINED: 409,
    ErrorCode.BATCH_EXPIRED: 409,
    ErrorCode.BATCH_NOT_QUARANTINED: 409,
    ErrorCode.ALREADY_DISPENSED: 409,
    ErrorCode.PACK_INACTIVE: 409,
    ErrorCode.PACK_ACTIVE: 409,
    ErrorCode.UNDO_TOO_LATE: 409,
    ErrorCode.UNDO_BY_OTHER_ORGANIZATION: 403,
    ErrorCode.UNDO_OTHER_LOCATION: 403,
    ErrorCode.UNDO_NOT_ALLOWED: 409,
    ErrorCode.NOT_OWN_PREMISES: 403,
    ErrorCode.LOGISTIC_UNIT_MISMATCH: 422,
}


class PharmaTraceError(Exception):
    """Base of every error the service reports to a user."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int = 400,
        retryable: bool = False,
        tx_id: str | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.retryable = retryable
        self.tx_id = tx_id

    def to_json(self) -> dict[str, object]:
        body: dict[str, object] = {"code": self.code, "message": self.message}
        if self.retryable:
            body["retryable"] = True
        if self.tx_id:
            body["tx_id"] = self.tx_id
        return body


def from_ledger(error: LedgerError) -> PharmaTraceError:
    """Map a ledger error to what the user sees; the only place this mapping lives."""
    if isinstance(error, EndorseError):
        code = str(error.error.code)
        return PharmaTraceError(
            code, error.error.message, status=_STATUS_BY_CODE.get(code, 400), tx_id=error.tx_id
        )
    if isinstance(error, CommitStatusError):
        return PharmaTraceError(
            "CONFLICT",
            f"A concurrent change won ({error.code}); nothing was recorded. Retry the request.",
            status=409,
            retryable=True,
            tx_id=error.tx_id,
        )
    if isinstance(error, SubmitError | LedgerUnavailableError):
        return PharmaTraceError(
            "LEDGER_UNAVAILABLE",
            "The ledger cannot be reached right now; nothing was recorded. Retry in a moment.",
            status=503,
            retryable=True,
            tx_id=error.tx_id,
        )
    return PharmaTraceError("LEDGER_ERROR", str(error), status=502, tx_id=error.tx_id)


def invalid(code: str, message: str) -> PharmaTraceError:
    return PharmaTraceError(code, message, status=422)


def not_found(code: str, message: str) -> PharmaTraceError:
    return PharmaTraceError(code, message, status=404)


def forbidden(code: str, message: str) -> PharmaTraceError:
    return PharmaTraceError(code, message, status=403)
