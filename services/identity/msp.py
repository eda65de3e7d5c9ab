"""Create, load and check organization identities (CA + signing user), ECDSA P-256.

Layout under a root folder, close to what Fabric's cryptogen writes:
``<root>/<MSPID>/ca/ca.pem`` (and ``ca.key``), ``<root>/<MSPID>/users/<user>/{cert.pem,key.pem}``.
Signatures are DER ECDSA with low S, as Fabric requires.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.x509.oid import NameOID

# Order of the P-256 group: signatures with S above half of it are rejected by Fabric peers.
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_VALIDITY = dt.timedelta(days=3650)
# MSP IDs and user names become folder names: letters, digits, dot, dash, underscore only.
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class IdentityError(Exception):
    """An identity is missing, malformed, or not issued by its organization's CA."""


@dataclass(frozen=True)
class OrgIdentity:
    """A user of one organization: certificate and private key; signs proposals."""

    msp_id: str
    certificate_pem: bytes
    private_key: ec.EllipticCurvePrivateKey = field(repr=False)

    def sign(self, message: bytes) -> bytes:
        """ECDSA P-256 over SHA-256, DER encoded, S normalised low."""
        der = self.private_key.sign(message, ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        if s > _P256_ORDER // 2:
            s = _P256_ORDER - s
        return encode_dss_signature(r, s)


def _name(common_name: str, msp_id: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, msp_id),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def is_valid_msp_id(value: str) -> bool:
    """MSP IDs become folder names: 1–64 letters, digits, dots, dashes, underscores."""
    return _SAFE_NAME.fullmatch(value) is not None


def create_organization(root: Path, msp_id: str, users: tuple[str, ...] = ("service",)) -> None:
    """Create the CA and users of `msp_id` under `root`, unless they exist already."""
    for name in (msp_id, *users):
        if not is_valid_msp_id(name):
            raise IdentityError(f"{name!r} is not a valid MSP ID or user name.")
    org_dir = root / msp_id
    if (org_dir / "ca" / "ca.pem").exists():
        return
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"ca.{msp_id}", msp_id)
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    _write_key(org_dir / "ca" / "ca.key", ca_key)
    (org_dir / "ca" / "ca.pem").write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    for user in users:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(f"{user}@{msp_id}", msp_id))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + _VALIDITY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        user_dir = org_dir / "users" / user
        _write_key(user_dir / "key.pem", key)
        (user_dir / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def copy_for_service(root: Path, dest: Path, msp_id: str) -> None:
    """The MSP folder of `msp_id`'s own service: its users' certificates and keys, and every
    organization's CA certificate (to check the others' signatures), but no other private key and
    no CA key (users are issued where the CA key is kept, not by the service)."""
    if not (root / msp_id / "ca" / "ca.pem").exists():
        raise IdentityError(f"No identity of {msp_id} under {root}.")
    for ca in root.glob("*/ca/ca.pem"):
        target = dest / ca.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(ca.read_bytes())
    for user_file in (root / msp_id / "users").glob("*/*.pem"):
        target = dest / user_file.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(user_file.read_bytes())
        if user_file.name == "key.pem":
            target.chmod(0o600)


class MspDirectory:
    """The organizations known under one root: loads signers and verifies signatures."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cas: dict[str, x509.Certificate] = {}
        self._verified: dict[bytes, ec.EllipticCurvePublicKey] = {}

    def msp_ids(self) -> list[str]:
        return sorted(p.parent.parent.name for p in self.root.glob("*/ca/ca.pem"))

    def key_holders(self, *, excluding: str = "") -> list[str]:
        """The organizations whose users' private keys are in this folder."""
        return sorted(
            {p.parent.parent.parent.name for p in self.root.glob("*/users/*/key.pem")} - {excluding}
        )

    def identity(self, msp_id: str, user: str = "service") -> OrgIdentity:
        """The signing identity of `user` in `msp_id`."""
        user_dir = self.root / msp_id / "users" / user
        try:
            key = serialization.load_pem_private_key((user_dir / "key.pem").read_bytes(), None)
            cert = (user_dir / "cert.pem").read_bytes()
        except (OSError, ValueError) as exc:
            raise IdentityError(f"No usable identity {user} of {msp_id}: {exc}") from exc
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise IdentityError(f"The key of {user}@{msp_id} is not an EC key.")
        return OrgIdentity(msp_id=msp_id, certificate_pem=cert, private_key=key)

    def _ca(self, msp_id: str) -> x509.Certificate:
        if msp_id not in self._cas:
            path = self.root / msp_id / "ca" / "ca.pem"
            try:
                self._cas[msp_id] = x509.load_pem_x509_certificate(path.read_bytes())
            except (OSError, ValueError) as exc:
                raise IdentityError(f"Unknown MSP {msp_id}.") from exc
        return self._cas[msp_id]

    def verify(self, msp_id: str, certificate_pem: bytes, message: bytes, signature: bytes) -> None:
        """Check that the certificate was issued by the MSP's CA and signed `message`."""
        public_key = self._verified.get(certificate_pem + msp_id.encode())
        if public_key is None:
            public_key = self._check_certificate(msp_id, certificate_pem)
            self._verified[certificate_pem + msp_id.encode()] = public_key
        try:
            _r, s = decode_dss_signature(signature)
        except ValueError as exc:
            raise IdentityError("The signature is not DER encoded.") from exc
        if s > _P256_ORDER // 2:
            raise IdentityError("Signature S is not low (Fabric rejects malleable signatures).")
        try:
            public_key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature as exc:
            raise IdentityError("The proposal signature does not verify.") from exc

    def _check_certificate(self, msp_id: str, certificate_pem: bytes) -> ec.EllipticCurvePublicKey:
        try:
            cert = x509.load_pem_x509_certificate(certificate_pem)
        except ValueError as exc:
            raise IdentityError("The creator certificate is not valid PEM.") from exc
        try:
            cert.verify_directly_issued_by(self._ca(msp_id))
        except (ValueError, TypeError, InvalidSignature) as exc:
            raise IdentityError(f"The certificate was not issued by the CA of {msp_id}.") from exc
        orgs = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        if not orgs or orgs[0].value != msp_id:
            raise IdentityError(f"The certificate does not belong to {msp_id}.")
        key = cert.public_key()
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise IdentityError("The certificate key is not an EC key.")
        return key
