"""Signatures a Fabric peer accepts: ECDSA P-256 over SHA-256, DER, S in the lower half."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from services.identity import OrgIdentity
from services.ledger.fabric import protos
from services.ledger.fabric.identity import creator, load_identity, load_msp_identity

pytestmark = pytest.mark.unit

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def test_every_signature_has_low_s_and_verifies(maker: OrgIdentity) -> None:
    public_key = x509.load_pem_x509_certificate(maker.certificate_pem).public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    high_s_seen_before_normalising = 0
    for i in range(400):
        message = f"proposal {i}".encode()
        raw = maker.private_key.sign(message, ec.ECDSA(hashes.SHA256()))
        high_s_seen_before_normalising += decode_dss_signature(raw)[1] > P256_ORDER // 2

        signature = maker.sign(message)

        _r, s = decode_dss_signature(signature)
        assert 0 < s <= P256_ORDER // 2
        public_key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    # about half of raw ECDSA signatures have a high S: the normalisation was exercised
    assert high_s_seen_before_normalising > 100


def test_creator_is_a_serialized_identity_of_msp_id_and_pem(maker: OrgIdentity) -> None:
    identity = protos.identities.SerializedIdentity.FromString(creator(maker))

    assert identity.mspid == "MakerMSP"
    assert identity.id_bytes == maker.certificate_pem


def test_an_identity_loads_from_a_cryptogen_msp_folder(tmp_path: Path, maker: OrgIdentity) -> None:
    msp = tmp_path / "User1@maker" / "msp"
    (msp / "signcerts").mkdir(parents=True)
    (msp / "keystore").mkdir()
    (msp / "signcerts" / "User1@maker-cert.pem").write_bytes(maker.certificate_pem)
    (msp / "keystore" / "priv_sk").write_bytes(
        maker.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )

    from_folder = load_msp_identity("MakerMSP", msp)
    from_files = load_identity(
        "MakerMSP", msp / "signcerts" / "User1@maker-cert.pem", msp / "keystore" / "priv_sk"
    )

    for loaded in (from_folder, from_files):
        assert loaded.certificate_pem == maker.certificate_pem
        assert loaded.private_key.private_numbers() == maker.private_key.private_numbers()
