"""A real Hyperledger Fabric network for PharmaTrace on one machine, without Docker.

The CLI drives it as ``pharmatrace network up|down|status|logs``; this package only exposes
functions. Binaries are built from pinned Fabric sources (``binaries``), nodes run as plain
background processes with pid and log files (``nodes``, ``process``), the chaincode runs as a
service the peers dial (``chaincode``) and clients read ``.fabric/network/connection.json``
(``profile``).
"""

from network.binaries import FABRIC_COMMIT, BinariesUnavailableError, Paths, ensure_binaries
from network.errors import FabricError
from network.profile import NetworkProfile, OrgProfile, load_profile
from network.topology import NetworkConfig
from network.up import NetworkStatus, NodeStatus, down, logs, status, up

__all__ = [
    "FABRIC_COMMIT",
    "BinariesUnavailableError",
    "FabricError",
    "NetworkConfig",
    "NetworkProfile",
    "NetworkStatus",
    "NodeStatus",
    "OrgProfile",
    "Paths",
    "down",
    "ensure_binaries",
    "load_profile",
    "logs",
    "status",
    "up",
]
