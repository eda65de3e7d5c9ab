"""The connection profile: where each organization's gateway peer is and who signs for it.

``network`` (``pharmatrace network up``) writes it to ``.fabric/network/connection.json``; that
plain JSON file is the only contract between the two (``network.profile.NetworkProfile``), and
services do not import ``network``. The parts a Gateway client reads::

    {"schema": 1, "channel": "pharmatrace", "chaincode": "pharmatrace",
     "orgs": {"ManufacturerMSP": {
        "msp_id": "ManufacturerMSP", "peer_endpoint": "127.0.0.1:7060",
        "peer_host_alias": "peer0.manufacturer.pharmatrace.test",
        "tls_root_cert": "/abs/…/tls/ca.crt",
        "user_cert": "/abs/…/signcerts/…pem", "user_key": "/abs/…/keystore/priv_sk",
        "admin_cert": "…", "admin_key": "…"}, …}}

The peer's TLS certificate is checked against the organization's TLS CA and the alias (the
name the certificate carries). Relative paths, should a hand-written profile use them, are
resolved against the folder holding the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = 1


class ProfileError(ValueError):
    """The connection profile is missing, unreadable or incomplete."""


@dataclass(frozen=True, slots=True)
class PeerEndpoint:
    """A peer's Gateway service: host:port, the TLS CA that signed its certificate, its name."""

    address: str
    tls_root_cert: Path | None = None
    server_name: str | None = None


@dataclass(frozen=True, slots=True)
class UserCredentials:
    """Where a signing user's PEM certificate and PEM private key are."""

    cert: Path
    key: Path


@dataclass(frozen=True, slots=True)
class OrgProfile:
    """One organization: its MSP ID, its gateway peer, a user and an admin to sign with."""

    msp_id: str
    peer: PeerEndpoint
    user: UserCredentials | None = None
    admin: UserCredentials | None = None


@dataclass(frozen=True, slots=True)
class ConnectionProfile:
    """The channel, the chaincode and the organizations of one Fabric network."""

    channel: str
    chaincode: str
    organizations: dict[str, OrgProfile]

    def organization(self, msp_id: str) -> OrgProfile:
        try:
            return self.organizations[msp_id]
        except KeyError:
            raise ProfileError(f"The connection profile has no organization {msp_id}.") from None


def load_profile(path: Path) -> ConnectionProfile:
    """Read and check a connection profile; paths in it become absolute."""
    try:
        body = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ProfileError(f"Cannot read the connection profile {path}: {exc}") from exc
    return parse_profile(body, path.parent)


def parse_profile(body: Any, base: Path) -> ConnectionProfile:
    """A profile from its decoded JSON; relative paths are taken relative to `base`."""
    if not isinstance(body, dict):
        raise ProfileError("The connection profile must be a JSON object.")
    if body.get("schema", SCHEMA) != SCHEMA:
        raise ProfileError(f"Connection profile schema {body.get('schema')} is not {SCHEMA}.")
    orgs = body.get("orgs")
    if not isinstance(orgs, dict) or not orgs:
        raise ProfileError("The connection profile lists no organizations.")
    return ConnectionProfile(
        channel=_text(body, "channel"),
        chaincode=_text(body, "chaincode"),
        organizations={
            msp_id: _organization(msp_id, org, base) for msp_id, org in sorted(orgs.items())
        },
    )


def _organization(msp_id: str, body: Any, base: Path) -> OrgProfile:
    if not isinstance(body, dict):
        raise ProfileError(f"Organization {msp_id} must be an object.")
    return OrgProfile(
        msp_id=str(body.get("msp_id", msp_id)),
        peer=PeerEndpoint(
            address=_text(body, "peer_endpoint"),
            tls_root_cert=_path(body.get("tls_root_cert"), base),
            server_name=body.get("peer_host_alias") or None,
        ),
        user=_user(body, "user", base),
        admin=_user(body, "admin", base),
    )


def _user(body: dict[str, Any], role: str, base: Path) -> UserCredentials | None:
    cert, key = _path(body.get(f"{role}_cert"), base), _path(body.get(f"{role}_key"), base)
    return UserCredentials(cert=cert, key=key) if cert and key else None


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise ProfileError(f"The connection profile needs a non-empty '{key}'.")
    return value


def _path(value: Any, base: Path) -> Path | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ProfileError(f"Expected a path, got {value!r}.")
    path = Path(value)
    return path if path.is_absolute() else base / path
