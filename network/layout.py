"""Where a network keeps its state under ``.fabric/<state_dir_name>/``.

One place computes every path so that node start-up, the CLI wrappers, the connection profile
and ``down(wipe=True)`` agree. Paths are absolute because each node runs with its own working
directory and Fabric resolves relative paths against FABRIC_CFG_PATH, not against ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from network.topology import ORDERER_DOMAIN, ORDERER_HOST, Org


@dataclass(frozen=True)
class Layout:
    root: Path  # .fabric/network

    @classmethod
    def at(cls, fabric_root: Path, state_dir_name: str) -> Layout:
        return cls((fabric_root / state_dir_name).resolve())

    # -- generated once -------------------------------------------------------------------
    @property
    def crypto(self) -> Path:
        return self.root / "crypto"

    @property
    def configtx_dir(self) -> Path:
        return self.root / "configtx"

    def channel_block(self, channel: str) -> Path:
        return self.root / "channel-artifacts" / f"{channel}.block"

    @property
    def chaincode_dir(self) -> Path:
        return self.root / "chaincode"

    # -- runtime --------------------------------------------------------------------------
    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def run(self) -> Path:
        return self.root / "run"

    def log_file(self, node: str) -> Path:
        return self.logs / f"{node}.log"

    def pid_file(self, node: str) -> Path:
        return self.run / f"{node}.pid"

    def node_dir(self, node: str) -> Path:
        return self.root / node

    @property
    def connection_json(self) -> Path:
        return self.root / "connection.json"

    # -- cryptogen output -----------------------------------------------------------------
    def org_dir(self, org: Org) -> Path:
        return self.crypto / "peerOrganizations" / org.domain

    def peer_msp(self, org: Org) -> Path:
        return self.org_dir(org) / "peers" / org.peer_host / "msp"

    def peer_tls(self, org: Org) -> Path:
        """Holds server.crt, server.key and ca.crt (the org's TLS CA)."""
        return self.org_dir(org) / "peers" / org.peer_host / "tls"

    def org_tls_ca(self, org: Org) -> Path:
        return self.peer_tls(org) / "ca.crt"

    def user_dir(self, org: Org, user: str) -> Path:
        return self.org_dir(org) / "users" / f"{user}@{org.domain}"

    def admin_msp(self, org: Org) -> Path:
        return self.user_dir(org, "Admin") / "msp"

    @property
    def orderer_org_dir(self) -> Path:
        return self.crypto / "ordererOrganizations" / ORDERER_DOMAIN

    @property
    def orderer_msp(self) -> Path:
        return self.orderer_org_dir / "orderers" / ORDERER_HOST / "msp"

    @property
    def orderer_tls(self) -> Path:
        return self.orderer_org_dir / "orderers" / ORDERER_HOST / "tls"

    @property
    def orderer_tls_ca(self) -> Path:
        return self.orderer_tls / "ca.crt"

    @property
    def orderer_admin_tls(self) -> Path:
        """TLS client cert of the orderer org's Admin: osnadmin authenticates with it."""
        return self.orderer_org_dir / "users" / f"Admin@{ORDERER_DOMAIN}" / "tls"


def single_file(directory: Path, pattern: str = "*") -> Path:
    """The one file cryptogen wrote into a keystore or signcerts folder."""
    files = sorted(p for p in directory.glob(pattern) if p.is_file())
    if len(files) != 1:
        raise FileNotFoundError(f"expected exactly one {pattern} in {directory}, found {files}")
    return files[0]
