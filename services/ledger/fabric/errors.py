"""gRPC failures of the Gateway service → the ledger port's typed errors, per phase.

The peer's gateway reports a failed endorsement as a gRPC status whose details (trailer
``grpc-status-details-bin``, a `google.rpc.Status`) list one `gateway.ErrorDetail{address,
msp_id, message}` per peer that refused. When the contract refused, that message reads
``chaincode response 500, {"code": …, "message": …}``: our coded error, recovered exactly.

    phase                 gRPC outcome                                   raised
    any                   UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXH.  LedgerUnavailableError
    evaluate / endorse    a detail carries the contract's JSON           EndorseError(its code)
                          other chaincode response (not our JSON)        EndorseError(INTERNAL)
                          PERMISSION_DENIED / "access denied"            EndorseError(ACCESS_DENIED)
                          ABORTED, FAILED_PRECONDITION, NOT_FOUND        LedgerUnavailableError
                          anything else (a malformed request: our bug)   EndorseError(INTERNAL)
    submit                anything else                                  SubmitError
    commit status         anything else (outcome unknown)                SubmitError
    commit status         answered, validation code is not VALID         CommitStatusError(name)

Every error carries the transaction id when one exists.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chaincode.errors import ContractError, ErrorCode
from services.ledger.errors import (
    CommitStatusError,
    EndorseError,
    LedgerError,
    LedgerUnavailableError,
    SubmitError,
)
from services.ledger.fabric import protos

TRANSIENT = frozenset({"UNAVAILABLE", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED"})
_PEER_SIDE = frozenset({"ABORTED", "FAILED_PRECONDITION", "NOT_FOUND"})
_ERROR_DETAIL_TYPE = "gateway.ErrorDetail"
_CHAINCODE_RESPONSE = "chaincode response "


@dataclass(frozen=True, slots=True)
class ErrorDetail:
    """What one peer or orderer answered, as the gateway relays it."""

    address: str
    msp_id: str
    message: str


@dataclass(frozen=True, slots=True)
class RpcFailure:
    """A failed gRPC call reduced to plain values: status name, message, gateway details."""

    code: str
    message: str
    details: tuple[ErrorDetail, ...] = ()

    def describe(self) -> str:
        parts = [f"{self.code}: {self.message}"]
        parts += [f"[{d.msp_id or '?'} at {d.address or '?'}] {d.message}" for d in self.details]
        return "; ".join(parts)

    @property
    def transient(self) -> bool:
        return self.code in TRANSIENT


def is_rpc_error(error: BaseException) -> bool:
    return isinstance(error, protos.grpc.RpcError)


def failure_of(error: Any) -> RpcFailure:
    """Read code, message and `gateway.ErrorDetail`s from a `grpc.RpcError` (a `grpc.Call`)."""
    code = error.code() if callable(getattr(error, "code", None)) else None
    message = error.details() if callable(getattr(error, "details", None)) else None
    metadata = (
        error.trailing_metadata() if callable(getattr(error, "trailing_metadata", None)) else None
    )
    return RpcFailure(
        code=str(getattr(code, "name", code or "UNKNOWN")),
        message=str(message or error),
        details=decode_details(metadata or ()),
    )


def decode_details(metadata: Any) -> tuple[ErrorDetail, ...]:
    """The `gateway.ErrorDetail`s in a call's trailing metadata (none when absent or garbled)."""
    details: list[ErrorDetail] = []
    for key, value in metadata:
        if key != protos.STATUS_DETAILS_KEY:
            continue
        try:
            status = protos.RpcStatus.FromString(bytes(value))
            for packed in status.details:
                if str(packed.type_url).rsplit("/", 1)[-1] == _ERROR_DETAIL_TYPE:
                    detail = protos.gateway.ErrorDetail.FromString(packed.value)
                    details.append(
                        ErrorDetail(str(detail.address), str(detail.msp_id), str(detail.message))
                    )
        except protos.DecodeError:
            continue  # a garbled trailer must not hide the status it came with
    return tuple(details)


def contract_error_in(texts: list[str]) -> ContractError | None:
    """Our `{"code", "message"}` JSON in any of these messages, else None."""
    decoder = json.JSONDecoder()
    for text in texts:
        start = text.find("{")
        while start != -1:
            try:
                body, end = decoder.raw_decode(text, start)
            except ValueError:
                body, end = None, start + 1
            if isinstance(body, dict) and {"code", "message"} <= body.keys():
                return ContractError.from_wire(text[start:end])
            start = text.find("{", end)
    return None


def _chaincode_response(texts: list[str]) -> str | None:
    for text in texts:
        index = text.find(_CHAINCODE_RESPONSE)
        if index != -1:
            return text[index + len(_CHAINCODE_RESPONSE) :]
    return None


def endorse_error(failure: RpcFailure, tx_id: str) -> LedgerError:
    """The error of a failed Evaluate or Endorse call."""
    if failure.transient:
        return LedgerUnavailableError(failure.describe(), tx_id=tx_id)
    texts = [d.message for d in failure.details] + [failure.message]
    refusal = contract_error_in(texts)
    if refusal is not None:
        return EndorseError(refusal, tx_id=tx_id)
    response = _chaincode_response(texts)
    if response is not None:
        return EndorseError(ContractError(ErrorCode.INTERNAL, response), tx_id=tx_id)
    if failure.code == "PERMISSION_DENIED" or any("access denied" in t.lower() for t in texts):
        denied = ContractError(ErrorCode.ACCESS_DENIED, failure.describe())
        return EndorseError(denied, tx_id=tx_id)
    if failure.code in _PEER_SIDE:
        return LedgerUnavailableError(failure.describe(), tx_id=tx_id)
    return EndorseError(ContractError(ErrorCode.INTERNAL, failure.describe()), tx_id=tx_id)


def submit_error(failure: RpcFailure, tx_id: str) -> LedgerError:
    """The error of a failed Submit call: the transaction did not reach ordering."""
    if failure.transient:
        return LedgerUnavailableError(failure.describe(), tx_id=tx_id)
    return SubmitError(f"Submit failed: {failure.describe()}", tx_id=tx_id)


def commit_status_error(failure: RpcFailure, tx_id: str) -> LedgerError:
    """The error of a failed CommitStatus call: the transaction's outcome is unknown."""
    if failure.transient:
        return LedgerUnavailableError(failure.describe(), tx_id=tx_id)
    return SubmitError(f"Commit status unknown: {failure.describe()}", tx_id=tx_id)


def invalidated(code: int, tx_id: str) -> CommitStatusError:
    """The error of a transaction committed with validation code `code` (not VALID)."""
    return CommitStatusError(validation_code_name(code), tx_id=tx_id)


def validation_code_name(code: int) -> str:
    """Fabric's name for a `TxValidationCode`, e.g. 11 → MVCC_READ_CONFLICT."""
    try:
        return str(protos.transaction.TxValidationCode.Name(code))
    except ValueError:
        return f"UNKNOWN_VALIDATION_CODE_{code}"


def events_error(failure: RpcFailure) -> LedgerError:
    """The error of a failed events or ledger query (no transaction of the caller's)."""
    if failure.transient:
        return LedgerUnavailableError(failure.describe())
    return LedgerError(f"Reading the ledger failed: {failure.describe()}")
