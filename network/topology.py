"""Who is on the network and on which ports: one Raft orderer and one peer per supply-chain role.

Two cores do not carry more: every peer validates every block and every endorsing peer calls
the chaincode, so the topology is the smallest one in which each role (manufacturer,
distributor, pharmacy, regulator) still holds its own identity, ledger and endorsement key.
Names here must match ``network/config/crypto-config.yaml`` and ``configtx.yaml``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from network.errors import FabricError

CHANNEL = "pharmatrace"
CHAINCODE_NAME = "pharmatrace"
DOMAIN = "pharmatrace.test"  # .test is reserved (RFC 2606): these names are never resolved


@dataclass(frozen=True)
class Org:
    """A peer organisation as cryptogen and configtxgen know it."""

    key: str  # short, lower case: file names, node names
    name: str  # configtx.yaml organisation Name
    msp_id: str
    index: int  # 1..n, selects the org's port block

    @property
    def domain(self) -> str:
        return f"{self.key}.{DOMAIN}"

    @property
    def peer_host(self) -> str:
        """The peer's name in its certificates (cryptogen Template, Count 1)."""
        return f"peer0.{self.domain}"

    @property
    def node(self) -> str:
        """Node name for pid, log and state files."""
        return f"{self.key}-peer0"


PEER_ORGS: tuple[Org, ...] = (
    Org("manufacturer", "ManufacturerOrg", "ManufacturerMSP", 1),
    Org("distributor", "DistributorOrg", "DistributorMSP", 2),
    Org("pharmacy", "PharmacyOrg", "PharmacyMSP", 3),
    Org("regulator", "RegulatorOrg", "RegulatorMSP", 4),
)

ORDERER_ORG_NAME = "OrdererOrg"
ORDERER_MSP_ID = "OrdererMSP"
ORDERER_DOMAIN = f"orderer.{DOMAIN}"
ORDERER_HOST = f"orderer0.{ORDERER_DOMAIN}"
ORDERER_NODE = "orderer0"
CHAINCODE_NODE = "chaincode"

# Any single org's peer may endorse. See the README for the trade-off against MAJORITY.
ANY_ORG_POLICY = "OR(" + ",".join(f"'{o.msp_id}.peer'" for o in PEER_ORGS) + ")"
MAJORITY = "majority"  # use the channel's /Channel/Application/Endorsement (MAJORITY Endorsement)

DEFAULT_PORT_BASE = 7050
DEFAULT_BATCH_TIMEOUT_MS = 200


@dataclass(frozen=True)
class PeerPorts:
    listen: int  # gRPC: endorse, deliver, gateway, gossip
    chaincode: int  # chaincode listener (unused by ccaas, but must not clash)
    operations: int  # HTTP /healthz, /metrics


@dataclass(frozen=True)
class OrdererPorts:
    listen: int  # gRPC: broadcast, deliver, Raft cluster
    admin: int  # channel participation API (osnadmin), mutual TLS
    operations: int


def org_by_key(key: str) -> Org:
    for org in PEER_ORGS:
        if org.key == key:
            return org
    raise FabricError(f"unknown organisation {key!r}; known: {[o.key for o in PEER_ORGS]}")


@dataclass(frozen=True)
class NetworkConfig:
    """What may differ between two networks on the same machine (a dev one and a test one).

    Ports are laid out from ``port_base``: the orderer takes base..base+2, org i takes
    base+10*i..base+10*i+2 and the chaincode service base+50, so two networks whose bases
    differ by 100 or more never clash.
    """

    state_dir_name: str = "network"
    port_base: int = DEFAULT_PORT_BASE
    # 200 ms: see configtx.yaml. Baked into the genesis block: a new value needs a new channel.
    batch_timeout_ms: int = DEFAULT_BATCH_TIMEOUT_MS
    max_message_count: int = 100
    channel: str = CHANNEL
    chaincode_name: str = CHAINCODE_NAME
    chaincode_version: str = "1.0"
    endorsement_policy: str = ANY_ORG_POLICY  # or MAJORITY, or any signature policy
    health_timeout_s: float = 60.0
    stop_timeout_s: float = 10.0
    chaincode_module: str = "chaincode.fabric_service"
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        name = self.state_dir_name
        if not name or name.startswith(".") or "/" in name or "\\" in name:
            raise FabricError(f"state_dir_name={name!r} must be a plain folder name")
        if not 100 <= self.batch_timeout_ms <= 2000:
            raise FabricError(f"batch_timeout_ms={self.batch_timeout_ms}: use 100..2000")
        if not 1024 < self.port_base <= 65535 - 60:
            raise FabricError(f"port_base={self.port_base} is out of range")

    @classmethod
    def from_env(cls, **overrides: object) -> NetworkConfig:
        """Defaults, then PHARMATRACE_FABRIC_* variables, then explicit overrides."""
        values: dict[str, object] = {}
        env = os.environ
        if v := env.get("PHARMATRACE_FABRIC_PORT_BASE"):
            values["port_base"] = int(v)
        if v := env.get("PHARMATRACE_FABRIC_BATCH_TIMEOUT_MS"):
            values["batch_timeout_ms"] = int(v)
        if v := env.get("PHARMATRACE_FABRIC_ENDORSEMENT"):
            values["endorsement_policy"] = ANY_ORG_POLICY if v.lower() == "any" else v
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    @property
    def orderer_ports(self) -> OrdererPorts:
        b = self.port_base
        return OrdererPorts(listen=b, admin=b + 1, operations=b + 2)

    def peer_ports(self, org: Org) -> PeerPorts:
        b = self.port_base + 10 * org.index
        return PeerPorts(listen=b, chaincode=b + 1, operations=b + 2)

    @property
    def chaincode_port(self) -> int:
        return self.port_base + 50

    @property
    def chaincode_label(self) -> str:
        return f"{self.chaincode_name}_{self.chaincode_version}"

    @property
    def signature_policy(self) -> str | None:
        """The ``--signature-policy`` for lifecycle commands, None for the channel default."""
        return None if self.endorsement_policy.lower() == MAJORITY else self.endorsement_policy

    def node_names(self) -> list[str]:
        return [ORDERER_NODE, *(o.node for o in PEER_ORGS)]


def endpoint(port: int) -> str:
    """Everything listens on loopback only: nothing of this network is reachable from outside."""
    return f"127.0.0.1:{port}"
