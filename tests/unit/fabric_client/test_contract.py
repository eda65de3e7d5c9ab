"""Evaluate and submit through the fake gateway: every step signed, ids and blocks consistent."""

from __future__ import annotations

import json

import grpc
import pytest

from chaincode.errors import ErrorCode
from services.identity import OrgIdentity
from services.ledger import (
    CommitStatusError,
    EndorseError,
    LedgerUnavailableError,
    SubmitError,
)
from services.ledger.fabric import FabricLedger, protos
from services.ledger.fabric.profile import PeerEndpoint
from services.ledger.fabric.transaction import result_of
from tests.unit.fabric_client.fakes import (
    MVCC_READ_CONFLICT,
    FakeGateway,
    FakeRpcError,
    profile,
    refusal,
)

pytestmark = pytest.mark.unit


def test_evaluate_returns_the_contracts_result_and_orders_nothing(
    ledger: FabricLedger, maker: OrgIdentity, gateway: FakeGateway
) -> None:
    result = ledger.contract(maker).evaluate("GetBatch", '{"lot": "L1"}')

    assert json.loads(result) == {"function": "GetBatch", "args": ['{"lot": "L1"}']}
    assert gateway.calls == ["Evaluate"]
    assert len(gateway.blocks) == 1


def test_submit_endorses_signs_submits_and_waits_for_the_commit(
    ledger: FabricLedger, maker: OrgIdentity, gateway: FakeGateway
) -> None:
    outcome = ledger.contract(maker).submit("Ship", '{"shipment_id": "S1"}')

    assert gateway.calls == ["Endorse", "Submit", "CommitStatus"]
    assert json.loads(outcome.result) == {"function": "Ship", "args": ['{"shipment_id": "S1"}']}
    assert outcome.block == 1
    assert gateway.blocks[1][0].tx_id == outcome.tx_id


def test_a_refusal_is_an_endorse_error_and_nothing_is_submitted(
    ledger: FabricLedger, maker: OrgIdentity, gateway: FakeGateway
) -> None:
    gateway.refuse["Receive"] = refusal("UNKNOWN_SHIPMENT", "No shipment S9.")

    with pytest.raises(EndorseError) as raised:
        ledger.contract(maker).submit("Receive", '{"shipment_id": "S9"}')

    assert raised.value.error.code is ErrorCode.UNKNOWN_SHIPMENT
    assert raised.value.error.message == "No shipment S9."
    assert raised.value.tx_id is not None
    assert gateway.calls == ["Endorse"]


def test_an_invalidated_transaction_is_a_commit_status_error_naming_the_code(
    ledger: FabricLedger, maker: OrgIdentity, gateway: FakeGateway
) -> None:
    gateway.next_validation.append(MVCC_READ_CONFLICT)

    with pytest.raises(CommitStatusError) as raised:
        ledger.contract(maker).submit("Ship", "{}")

    assert raised.value.code == "MVCC_READ_CONFLICT"
    assert raised.value.tx_id == gateway.blocks[1][0].tx_id


def test_submit_failures_keep_the_tx_id(
    ledger: FabricLedger, maker: OrgIdentity, gateway: FakeGateway
) -> None:
    gateway.fail["Submit"] = FakeRpcError(grpc.StatusCode.ABORTED, "orderer: BAD_REQUEST")

    with pytest.raises(SubmitError) as raised:
        ledger.contract(maker).submit("Ship", "{}")

    assert raised.value.tx_id is not None
    assert "BAD_REQUEST" in str(raised.value)


def test_a_lost_commit_status_is_unavailable_with_the_tx_id(
    ledger: FabricLedger, maker: OrgIdentity, gateway: FakeGateway
) -> None:
    gateway.fail["CommitStatus"] = FakeRpcError(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline")

    with pytest.raises(LedgerUnavailableError) as raised:
        ledger.contract(maker).submit("Ship", "{}")

    assert raised.value.tx_id == gateway.blocks[1][0].tx_id


def test_the_result_is_read_from_the_endorsed_envelope(
    ledger: FabricLedger, maker: OrgIdentity, gateway: FakeGateway
) -> None:
    ledger.contract(maker).submit("Ship", "{}")

    envelope = protos.common.Envelope.FromString(gateway.blocks[1][0].envelope)
    assert json.loads(result_of(envelope.payload))["function"] == "Ship"


def test_every_signer_goes_through_the_home_peer_unless_per_org_peers(
    identities: dict[str, OrgIdentity], gateway: FakeGateway
) -> None:
    asked: list[str] = []

    def stubs(peer: PeerEndpoint) -> FakeGateway:
        asked.append(peer.address)
        return gateway

    wholesaler = identities["WholesaleMSP"]
    home = FabricLedger(profile(), "MakerMSP", identity=identities["MakerMSP"], stubs=stubs)
    home.contract(wholesaler).submit("Ship", "{}")
    routed = FabricLedger(
        profile(), "MakerMSP", identity=identities["MakerMSP"], stubs=stubs, per_org_peers=True
    )
    routed.contract(wholesaler).submit("Ship", "{}")

    assert asked == ["peer.MakerMSP:7051"] * 2 + ["peer.MakerMSP:7051", "peer.WholesaleMSP:7051"]
