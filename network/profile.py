"""The running network as a client needs it, written to ``.fabric/<network>/connection.json``.

The Gateway client connects to one peer of its org and signs as a user of that org; it needs
nothing else (the Gateway service finds endorsers and the orderer itself). This file is the
only contract between ``network`` and the client: plain JSON, absolute paths, no Fabric SDK
connection-profile schema (no Python SDK here reads one).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from network.layout import Layout, single_file
from network.topology import (
    ORDERER_HOST,
    ORDERER_MSP_ID,
    PEER_ORGS,
    NetworkConfig,
    Org,
    endpoint,
)

SCHEMA = 1


@dataclass(frozen=True)
class OrgProfile:
    msp_id: str
    org: str  # short key: manufacturer, distributor, pharmacy, regulator
    peer_endpoint: str  # host:port of the org's peer Gateway (gRPC, TLS)
    peer_host_alias: str  # name in the peer's TLS certificate (127.0.0.1 is in it too)
    tls_root_cert: str  # the org's TLS CA: verifies the peer's server certificate
    user_cert: str  # User1's signing certificate (PEM)
    user_key: str  # User1's private key (PEM, PKCS#8, ECDSA P-256)
    admin_cert: str
    admin_key: str
    operations_endpoint: str


@dataclass(frozen=True)
class NetworkProfile:
    channel: str
    chaincode: str
    chaincode_version: str
    package_id: str | None  # None until the chaincode is deployed
    endorsement_policy: str
    orderer_endpoint: str
    orderer_msp_id: str
    orderer_host_alias: str
    orderer_tls_root_cert: str
    chaincode_address: str
    orgs: dict[str, OrgProfile] = field(default_factory=dict)  # by MSP ID
    schema: int = SCHEMA

    def org(self, msp_id: str) -> OrgProfile:
        return self.orgs[msp_id]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"


def _user(layout: Layout, org: Org, user: str) -> tuple[str, str]:
    msp = layout.user_dir(org, user) / "msp"
    return str(single_file(msp / "signcerts")), str(single_file(msp / "keystore"))


def build_profile(layout: Layout, config: NetworkConfig, package_id: str | None) -> NetworkProfile:
    orgs: dict[str, OrgProfile] = {}
    for org in PEER_ORGS:
        ports = config.peer_ports(org)
        user_cert, user_key = _user(layout, org, "User1")
        admin_cert, admin_key = _user(layout, org, "Admin")
        orgs[org.msp_id] = OrgProfile(
            msp_id=org.msp_id,
            org=org.key,
            peer_endpoint=endpoint(ports.listen),
            peer_host_alias=org.peer_host,
            tls_root_cert=str(layout.org_tls_ca(org)),
            user_cert=user_cert,
            user_key=user_key,
            admin_cert=admin_cert,
            admin_key=admin_key,
            operations_endpoint=endpoint(ports.operations),
        )
    return NetworkProfile(
        channel=config.channel,
        chaincode=config.chaincode_name,
        chaincode_version=config.chaincode_version,
        package_id=package_id,
        endorsement_policy=config.endorsement_policy,
        orderer_endpoint=endpoint(config.orderer_ports.listen),
        orderer_msp_id=ORDERER_MSP_ID,
        orderer_host_alias=ORDERER_HOST,
        orderer_tls_root_cert=str(layout.orderer_tls_ca),
        chaincode_address=endpoint(config.chaincode_port),
        orgs=orgs,
    )


def write_profile(layout: Layout, profile: NetworkProfile) -> Path:
    path = layout.connection_json
    tmp = path.with_suffix(".tmp")
    tmp.write_text(profile.to_json())
    tmp.replace(path)
    return path


def load_profile(path: Path = Path(".fabric/network/connection.json")) -> NetworkProfile:
    """Read a profile written by ``up`` (for the Gateway client and the tests)."""
    data: dict[str, Any] = json.loads(path.read_text())
    orgs = {k: OrgProfile(**v) for k, v in data.pop("orgs").items()}
    return NetworkProfile(**data, orgs=orgs)
