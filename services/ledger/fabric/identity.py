"""Signing identities from cryptogen's MSP folders, and their serialized form on the wire.

A Fabric identity on the wire is `msp.SerializedIdentity{mspid, id_bytes}` where `id_bytes` is
the PEM certificate. Signing reuses `services.identity.OrgIdentity.sign` (ECDSA P-256 over
SHA-256, DER, S normalised low), the same signer the embedded ledger verifies.
"""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from services.identity import IdentityError, OrgIdentity
from services.ledger.fabric import protos
from services.ledger.fabric.profile import UserCredentials


def load_identity(msp_id: str, cert_path: Path, key_path: Path) -> OrgIdentity:
    """The identity whose PEM certificate and PEM private key are in these files."""
    try:
        cert_pem = cert_path.read_bytes()
        x509.load_pem_x509_certificate(cert_pem)
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise IdentityError(f"No usable identity of {msp_id} at {cert_path}: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise IdentityError(f"The key of {msp_id} at {key_path} is not an EC key.")
    return OrgIdentity(msp_id=msp_id, certificate_pem=cert_pem, private_key=key)


def load_msp_identity(msp_id: str, msp_dir: Path) -> OrgIdentity:
    """The identity in a cryptogen MSP folder: ``signcerts/*.pem`` and ``keystore/*_sk``."""
    certs = sorted((msp_dir / "signcerts").glob("*.pem"))
    keys = sorted((msp_dir / "keystore").glob("*_sk")) or sorted((msp_dir / "keystore").glob("*"))
    if len(certs) != 1 or len(keys) != 1:
        raise IdentityError(
            f"{msp_dir} must hold exactly one signcerts/*.pem and one keystore/*_sk "
            f"(found {len(certs)} and {len(keys)})."
        )
    return load_identity(msp_id, certs[0], keys[0])


def load_user(msp_id: str, user: UserCredentials) -> OrgIdentity:
    """The identity a connection profile names for an organization."""
    return load_identity(msp_id, user.cert, user.key)


def creator(identity: OrgIdentity) -> bytes:
    """The serialized identity that Fabric headers and requests carry as creator."""
    serialized = protos.identities.SerializedIdentity(
        mspid=identity.msp_id, id_bytes=identity.certificate_pem
    )
    return bytes(serialized.SerializeToString())
