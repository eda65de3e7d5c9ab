"""gRPC failures of the gateway → the port's typed errors, each carrying the transaction id."""

from __future__ import annotations

import collections
import json
import socket
from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc
import pytest

from chaincode.errors import ErrorCode
from services.identity import OrgIdentity
from services.ledger import (
    CommitStatusError,
    EndorseError,
    LedgerError,
    LedgerUnavailableError,
    SubmitError,
)
from services.ledger.fabric import protos
from services.ledger.fabric.contract import FabricContract
from services.ledger.fabric.errors import (
    ErrorDetail,
    RpcFailure,
    commit_status_error,
    contract_error_in,
    endorse_error,
    failure_of,
    invalidated,
    submit_error,
)
from services.ledger.fabric.gateway import Connection, Gateways, Timeouts, utc_now
from services.ledger.fabric.profile import PeerEndpoint
from tests.unit.fabric_client.fakes import FakeRpcError, read_proposal, status_details

pytestmark = pytest.mark.unit

TX = "ab" * 32
UNKNOWN_BATCH = json.dumps({"code": "UNKNOWN_BATCH", "message": "No batch L9 of 0950…"})


def failure(code: str, message: str = "", *details: str) -> RpcFailure:
    return RpcFailure(
        code, message, tuple(ErrorDetail("peer0:7051", "MakerMSP", d) for d in details)
    )


def test_error_details_are_decoded_from_the_status_trailer() -> None:
    error = FakeRpcError(
        grpc.StatusCode.ABORTED,
        "failed to endorse transaction, see attached details for more info",
        (
            ("content-type", "application/grpc"),
            (
                protos.STATUS_DETAILS_KEY,
                status_details(
                    ("peer0.maker:7051", "MakerMSP", f"chaincode response 500, {UNKNOWN_BATCH}"),
                    ("peer0.wholesale:7061", "WholesaleMSP", "chaincode response 500, boom"),
                ),
            ),
        ),
    )

    decoded = failure_of(error)

    assert decoded.code == "ABORTED"
    assert decoded.details == (
        ErrorDetail("peer0.maker:7051", "MakerMSP", f"chaincode response 500, {UNKNOWN_BATCH}"),
        ErrorDetail("peer0.wholesale:7061", "WholesaleMSP", "chaincode response 500, boom"),
    )
    assert "WholesaleMSP at peer0.wholesale:7061" in decoded.describe()


def test_a_garbled_trailer_leaves_the_status_readable() -> None:
    error = FakeRpcError(
        grpc.StatusCode.UNKNOWN, "oops", ((protos.STATUS_DETAILS_KEY, b"\xff\x00garbage"),)
    )

    assert failure_of(error) == RpcFailure("UNKNOWN", "oops", ())


def test_the_contracts_coded_refusal_becomes_an_endorse_error_with_that_code() -> None:
    error = endorse_error(
        failure("ABORTED", "failed to endorse", f"chaincode response 500, {UNKNOWN_BATCH}"), TX
    )

    assert isinstance(error, EndorseError)
    assert error.error.code is ErrorCode.UNKNOWN_BATCH
    assert error.error.message == "No batch L9 of 0950…"
    assert error.tx_id == TX


def test_evaluate_refusals_carry_the_json_in_the_status_message_too() -> None:
    message = f"evaluate call to endorser returned error: chaincode response 500, {UNKNOWN_BATCH}"

    error = endorse_error(failure("UNKNOWN", message), TX)

    assert isinstance(error, EndorseError)
    assert error.error.code is ErrorCode.UNKNOWN_BATCH


def test_json_is_found_after_braces_that_are_not_ours() -> None:
    text = 'x {not json} {"other": 1} chaincode response 500, ' + UNKNOWN_BATCH

    found = contract_error_in([text])

    assert found is not None
    assert found.code is ErrorCode.UNKNOWN_BATCH


@pytest.mark.parametrize(
    ("outcome", "expected", "code"),
    [
        (failure("UNAVAILABLE", "connection refused"), LedgerUnavailableError, None),
        (failure("DEADLINE_EXCEEDED", "Deadline Exceeded"), LedgerUnavailableError, None),
        (failure("UNKNOWN", "x", "chaincode response 500, not json"), EndorseError, "INTERNAL"),
        (
            failure("FAILED_PRECONDITION", "f", "access denied: creator org unknown"),
            EndorseError,
            "ACCESS_DENIED",
        ),
        (failure("PERMISSION_DENIED", "no"), EndorseError, "ACCESS_DENIED"),
        (failure("ABORTED", "f", "could not launch chaincode"), LedgerUnavailableError, None),
        (failure("FAILED_PRECONDITION", "no peers available"), LedgerUnavailableError, None),
        (failure("INVALID_ARGUMENT", "bad proposal"), EndorseError, "INTERNAL"),
    ],
)
def test_endorsement_failures_map_to_typed_errors(
    outcome: RpcFailure, expected: type[LedgerError], code: str | None
) -> None:
    error = endorse_error(outcome, TX)

    assert type(error) is expected
    assert error.tx_id == TX
    if code is not None:
        assert isinstance(error, EndorseError)
        assert error.error.code == code


def test_submit_and_commit_status_failures() -> None:
    assert type(submit_error(failure("UNAVAILABLE"), TX)) is LedgerUnavailableError
    refused = submit_error(failure("ABORTED", "orderer said BAD_REQUEST"), TX)
    assert type(refused) is SubmitError
    assert refused.tx_id == TX
    assert type(commit_status_error(failure("DEADLINE_EXCEEDED"), TX)) is LedgerUnavailableError
    unknown = commit_status_error(failure("ABORTED", "x"), TX)
    assert type(unknown) is SubmitError
    assert unknown.tx_id == TX


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (11, "MVCC_READ_CONFLICT"),
        (12, "PHANTOM_READ_CONFLICT"),
        (10, "ENDORSEMENT_POLICY_FAILURE"),
        (9999, "UNKNOWN_VALIDATION_CODE_9999"),
    ],
)
def test_validation_codes_are_named_as_fabric_names_them(code: int, name: str) -> None:
    error = invalidated(code, TX)

    assert isinstance(error, CommitStatusError)
    assert (error.code, error.tx_id) == (name, TX)


# -- through a real gRPC channel: the trailer as grpc itself encodes it ------------------------


class _Status(
    collections.namedtuple("_Status", ("code", "details", "trailing_metadata")), grpc.Status
):
    pass


class RefusingGateway(protos.gateway_grpc.GatewayServicer):
    """A gateway whose chaincode refuses everything with UNKNOWN_BATCH."""

    def __init__(self) -> None:
        self.tx_ids: list[str] = []

    def _refuse(self, request: Any, context: Any, code: grpc.StatusCode, message: str) -> None:
        self.tx_ids.append(read_proposal(request.proposed_transaction).tx_id)
        detail = ("peer0:7051", "MakerMSP", f"chaincode response 500, {UNKNOWN_BATCH}")
        context.abort_with_status(
            _Status(code, message, ((protos.STATUS_DETAILS_KEY, status_details(detail)),))
        )

    def Endorse(self, request: Any, context: Any) -> Any:  # noqa: N802 — the Gateway service's method names
        self._refuse(request, context, grpc.StatusCode.ABORTED, "failed to endorse transaction")

    def Evaluate(self, request: Any, context: Any) -> Any:  # noqa: N802 — the Gateway service's method names
        self._refuse(request, context, grpc.StatusCode.UNKNOWN, "evaluate call returned error")


@pytest.fixture
def refusing_peer() -> Iterator[tuple[RefusingGateway, PeerEndpoint]]:
    servicer = RefusingGateway()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    protos.gateway_grpc.add_GatewayServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield servicer, PeerEndpoint(f"127.0.0.1:{port}")
    server.stop(None)


def contract_at(endpoint: PeerEndpoint, gateways: Gateways, signer: OrgIdentity) -> FabricContract:
    timeouts = Timeouts(evaluate=5, endorse=5, submit=5, commit_status=5)
    connection = Connection(
        gateways.stub(endpoint), "pharmatrace", "pharmatrace", utc_now, timeouts
    )
    return FabricContract(connection, signer)


@pytest.mark.parametrize("call", ["submit", "evaluate"])
def test_over_grpc_a_refusal_arrives_as_endorse_error_with_the_proposals_tx_id(
    refusing_peer: tuple[RefusingGateway, PeerEndpoint], maker: OrgIdentity, call: str
) -> None:
    servicer, endpoint = refusing_peer
    gateways = Gateways()
    try:
        contract = contract_at(endpoint, gateways, maker)
        with pytest.raises(EndorseError) as raised:
            getattr(contract, call)("GetBatch", '{"gtin": "09506000134352", "lot": "L9"}')
    finally:
        gateways.close()

    assert raised.value.error.code is ErrorCode.UNKNOWN_BATCH
    assert raised.value.tx_id == servicer.tx_ids[0]


def test_a_peer_that_is_not_listening_is_unavailable_with_the_tx_id(maker: OrgIdentity) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gateways = Gateways()
    try:
        contract = contract_at(PeerEndpoint(f"127.0.0.1:{port}"), gateways, maker)
        with pytest.raises(LedgerUnavailableError) as raised:
            contract.submit("Ship", "{}")
    finally:
        gateways.close()

    assert raised.value.tx_id is not None
    assert len(raised.value.tx_id) == 64
