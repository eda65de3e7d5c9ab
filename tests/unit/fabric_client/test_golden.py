"""Our messages against the official Node fabric-gateway client's, byte for byte.

See golden/README.md for how the golden file was made. Nonce and timestamp are random in the
official client, so they are read from its proposal and fed to ours; everything else must match.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from services.identity import OrgIdentity
from services.ledger.fabric import protos
from services.ledger.fabric.events import events_request
from services.ledger.fabric.proposal import from_timestamp, new_proposal
from services.ledger.fabric.transaction import result_of

pytestmark = pytest.mark.unit

GOLDEN = json.loads((Path(__file__).parent / "golden" / "fabric_gateway_node.json").read_text())


def raw(field: str) -> bytes:
    value: Any = GOLDEN
    for part in field.split("."):
        value = value[part]
    return base64.b64decode(value)


@pytest.fixture
def signer() -> OrgIdentity:
    key = serialization.load_pem_private_key(GOLDEN["key"].encode(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return OrgIdentity(GOLDEN["msp_id"], GOLDEN["cert"].encode(), key)


def test_our_proposal_is_the_official_clients_byte_for_byte(signer: OrgIdentity) -> None:
    official = protos.gateway.ProposedTransaction.FromString(raw("proposal.proposed_transaction"))
    proposal_bytes = bytes(official.proposal.proposal_bytes)
    header = protos.common.Header.FromString(
        protos.proposal.Proposal.FromString(proposal_bytes).header
    )
    nonce = protos.common.SignatureHeader.FromString(header.signature_header).nonce
    at = from_timestamp(protos.common.ChannelHeader.FromString(header.channel_header).timestamp)

    ours = new_proposal(
        signer,
        channel="pharmatrace",
        chaincode="pharmatrace",
        function="GetBatch",
        args=('{"gtin": "09506000134352", "lot": "L1"}', "second"),
        at=at,
        nonce=bytes(nonce),
    )

    assert ours.proposal_bytes == proposal_bytes
    assert ours.tx_id == GOLDEN["proposal"]["tx_id"] == official.transaction_id
    assert hashlib.sha256(ours.proposal_bytes).digest() == raw("proposal.digest")


def test_our_events_request_is_the_official_clients_byte_for_byte(signer: OrgIdentity) -> None:
    official = protos.gateway.SignedChaincodeEventsRequest.FromString(
        raw("events_from_block_5.signed_request")
    )

    ours = events_request(signer, "pharmatrace", "pharmatrace", start_block=5)

    assert ours.request == official.request
    assert hashlib.sha256(ours.request).digest() == raw("events_from_block_5.digest")


def test_we_sign_and_read_a_prepared_transaction_as_the_official_client_does() -> None:
    prepared = protos.gateway.PreparedTransaction.FromString(raw("prepared_transaction"))
    payload = bytes(prepared.envelope.payload)

    assert hashlib.sha256(payload).digest() == raw("transaction.digest")
    assert result_of(payload) == raw("transaction.result")
    assert prepared.transaction_id == GOLDEN["transaction"]["tx_id"]
