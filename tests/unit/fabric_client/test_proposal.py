"""Signed proposals: every field where a peer expects it, the id derived as Fabric derives it."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from services.identity import OrgIdentity
from services.ledger.fabric import protos
from services.ledger.fabric.identity import creator
from services.ledger.fabric.proposal import (
    from_timestamp,
    new_proposal,
    to_timestamp,
    transaction_id,
)

pytestmark = pytest.mark.unit

NONCE = bytes(range(24))
AT = datetime(2026, 1, 5, 9, 30, 15, 123456, tzinfo=UTC)


def build(signer: OrgIdentity, nonce: bytes | None = NONCE):
    return new_proposal(
        signer,
        channel="pharmatrace",
        chaincode="pharmatrace",
        function="GetBatch",
        args=('{"gtin": "09506000134352", "lot": "L1"}',),
        at=AT,
        nonce=nonce,
    )


def test_given_a_proposal_when_its_bytes_are_parsed_then_every_field_round_trips(
    maker: OrgIdentity,
) -> None:
    signed = build(maker)

    proposal = protos.proposal.Proposal.FromString(signed.proposal_bytes)
    header = protos.common.Header.FromString(proposal.header)
    channel_header = protos.common.ChannelHeader.FromString(header.channel_header)
    signature_header = protos.common.SignatureHeader.FromString(header.signature_header)
    extension = protos.proposal.ChaincodeHeaderExtension.FromString(channel_header.extension)
    payload = protos.proposal.ChaincodeProposalPayload.FromString(proposal.payload)
    spec = protos.chaincode.ChaincodeInvocationSpec.FromString(payload.input).chaincode_spec
    identity = protos.identities.SerializedIdentity.FromString(signature_header.creator)

    assert channel_header.type == protos.common.HeaderType.Value("ENDORSER_TRANSACTION")
    assert channel_header.channel_id == "pharmatrace"
    assert channel_header.tx_id == signed.tx_id
    assert channel_header.epoch == 0
    assert from_timestamp(channel_header.timestamp) == AT
    assert extension.chaincode_id.name == "pharmatrace"
    assert signature_header.nonce == NONCE
    assert identity.mspid == "MakerMSP"
    assert identity.id_bytes == maker.certificate_pem
    assert spec.chaincode_id.name == "pharmatrace"
    assert spec.type == protos.chaincode.ChaincodeSpec.Type.Value("NODE")  # as the Node client
    assert [bytes(a) for a in spec.input.args] == [
        b"GetBatch",
        b'{"gtin": "09506000134352", "lot": "L1"}',
    ]
    assert not payload.TransientMap


def test_tx_id_is_sha256_of_nonce_and_serialized_creator(maker: OrgIdentity) -> None:
    signed = build(maker)

    expected = hashlib.sha256(NONCE + creator(maker)).hexdigest()
    assert signed.tx_id == expected == transaction_id(NONCE, creator(maker))
    assert len(signed.tx_id) == 64


def test_each_proposal_gets_a_fresh_24_byte_nonce_and_so_a_fresh_id(maker: OrgIdentity) -> None:
    first, second = build(maker, nonce=None), build(maker, nonce=None)

    nonces = [
        protos.common.SignatureHeader.FromString(
            protos.common.Header.FromString(
                protos.proposal.Proposal.FromString(p.proposal_bytes).header
            ).signature_header
        ).nonce
        for p in (first, second)
    ]
    assert [len(n) for n in nonces] == [24, 24]
    assert nonces[0] != nonces[1]
    assert first.tx_id != second.tx_id


def test_the_signature_covers_the_proposal_bytes(maker: OrgIdentity) -> None:
    signed = build(maker)

    public_key = x509.load_pem_x509_certificate(maker.certificate_pem).public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(signed.signature, signed.proposal_bytes, ec.ECDSA(hashes.SHA256()))
    assert signed.to_proto().proposal_bytes == signed.proposal_bytes


@pytest.mark.parametrize(
    "at",
    [
        AT,
        AT.replace(tzinfo=None),  # naive: taken as UTC, as the contract does
        AT.astimezone(timezone(timedelta(hours=2))),
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ],
)
def test_timestamps_keep_microseconds_and_are_utc(at: datetime) -> None:
    stamp = to_timestamp(at)

    expected = at if at.tzinfo else at.replace(tzinfo=UTC)
    assert from_timestamp(stamp) == expected
    assert stamp.nanos == expected.microsecond * 1000
