"""Start the orderer and the peers as plain processes, configured by environment variables.

Fabric's own ``core.yaml``/``orderer.yaml`` (the module's ``sampleconfig``, via FABRIC_CFG_PATH)
give every default; each node overrides what must differ on a shared host through CORE_* and
ORDERER_* variables (Fabric maps ``a.b.c`` to PREFIX_A_B_C). Copying the YAML files instead
would freeze another Fabric version's defaults into the project.

Two overrides make Docker unnecessary: ``CORE_VM_ENDPOINT`` empty (the peer reads its config
with empty environment values allowed, so this really clears the Docker endpoint and no Docker
health check is registered) and ``CORE_CHAINCODE_EXTERNALBUILDERS`` naming the ccaas builder
(a YAML/JSON string, decoded by the peer into its list of builders).
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from pathlib import Path

from network import process
from network.binaries import Paths
from network.errors import FabricError
from network.layout import Layout
from network.topology import ORDERER_MSP_ID, ORDERER_NODE, NetworkConfig, Org, endpoint

CCAAS_BUILDER_NAME = "ccaas_builder"


def base_env(paths: Paths) -> dict[str, str]:
    """The caller's environment minus any Fabric settings of theirs, plus FABRIC_CFG_PATH.

    A CORE_PEER_ADDRESS or ORDERER_GENERAL_* left in a developer's shell would otherwise
    silently reconfigure our nodes and CLI calls.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CORE_", "ORDERER_", "FABRIC_", "CHAINCODE_AS_A_SERVICE"))
    }
    env["FABRIC_CFG_PATH"] = str(paths.sampleconfig)
    env["FABRIC_LOGGING_SPEC"] = os.environ.get("PHARMATRACE_FABRIC_LOGGING", "INFO")
    return env


def orderer_env(paths: Paths, layout: Layout, config: NetworkConfig) -> dict[str, str]:
    ports = config.orderer_ports
    tls = layout.orderer_tls
    state = layout.node_dir(ORDERER_NODE)
    ca = str(tls / "ca.crt")
    env = base_env(paths)
    env.update(
        ORDERER_GENERAL_LISTENADDRESS="127.0.0.1",
        ORDERER_GENERAL_LISTENPORT=str(ports.listen),
        ORDERER_GENERAL_LOCALMSPID=ORDERER_MSP_ID,
        ORDERER_GENERAL_LOCALMSPDIR=str(layout.orderer_msp),
        ORDERER_GENERAL_TLS_ENABLED="true",
        ORDERER_GENERAL_TLS_PRIVATEKEY=str(tls / "server.key"),
        ORDERER_GENERAL_TLS_CERTIFICATE=str(tls / "server.crt"),
        ORDERER_GENERAL_TLS_ROOTCAS=f"[{ca}]",
        # Raft shares the main listener; its client side authenticates with the same cert.
        ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE=str(tls / "server.crt"),
        ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY=str(tls / "server.key"),
        ORDERER_GENERAL_CLUSTER_ROOTCAS=f"[{ca}]",
        # Fabric 3 has no system channel; harmless where the key no longer exists.
        ORDERER_GENERAL_BOOTSTRAPMETHOD="none",
        ORDERER_CHANNELPARTICIPATION_ENABLED="true",
        ORDERER_ADMIN_LISTENADDRESS=endpoint(ports.admin),
        ORDERER_ADMIN_TLS_ENABLED="true",
        ORDERER_ADMIN_TLS_PRIVATEKEY=str(tls / "server.key"),
        ORDERER_ADMIN_TLS_CERTIFICATE=str(tls / "server.crt"),
        ORDERER_ADMIN_TLS_ROOTCAS=f"[{ca}]",
        ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED="true",  # the admin API demands mutual TLS
        ORDERER_ADMIN_TLS_CLIENTROOTCAS=f"[{ca}]",
        ORDERER_OPERATIONS_LISTENADDRESS=endpoint(ports.operations),
        ORDERER_METRICS_PROVIDER="prometheus",
        ORDERER_FILELEDGER_LOCATION=str(state / "ledger"),
        ORDERER_CONSENSUS_WALDIR=str(state / "etcdraft" / "wal"),
        ORDERER_CONSENSUS_SNAPDIR=str(state / "etcdraft" / "snapshot"),
    )
    env.update(config.extra_env)
    return env


def external_builders(paths: Paths) -> str:
    return json.dumps(
        [
            {
                "name": CCAAS_BUILDER_NAME,
                "path": str(paths.builder_dir),
                "propagateEnvironment": ["CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG"],
            }
        ]
    )


def peer_env(paths: Paths, layout: Layout, config: NetworkConfig, org: Org) -> dict[str, str]:
    ports = config.peer_ports(org)
    tls = layout.peer_tls(org)
    state = layout.node_dir(org.node)
    address = endpoint(ports.listen)
    env = base_env(paths)
    env.update(
        CORE_PEER_ID=org.peer_host,
        CORE_PEER_NETWORKID=config.channel,
        CORE_PEER_LOCALMSPID=org.msp_id,
        CORE_PEER_MSPCONFIGPATH=str(layout.peer_msp(org)),
        CORE_PEER_LISTENADDRESS=address,
        CORE_PEER_ADDRESS=address,
        CORE_PEER_CHAINCODELISTENADDRESS=endpoint(ports.chaincode),
        CORE_PEER_CHAINCODEADDRESS=endpoint(ports.chaincode),
        CORE_PEER_GOSSIP_BOOTSTRAP=address,
        CORE_PEER_GOSSIP_ENDPOINT=address,
        CORE_PEER_GOSSIP_EXTERNALENDPOINT=address,  # other orgs (and discovery) see this one
        CORE_PEER_GOSSIP_USELEADERELECTION="false",
        CORE_PEER_GOSSIP_ORGLEADER="true",  # one peer per org: it pulls blocks itself
        CORE_PEER_TLS_ENABLED="true",
        CORE_PEER_TLS_CERT_FILE=str(tls / "server.crt"),
        CORE_PEER_TLS_KEY_FILE=str(tls / "server.key"),
        CORE_PEER_TLS_ROOTCERT_FILE=str(tls / "ca.crt"),
        CORE_PEER_FILESYSTEMPATH=str(state / "production"),
        CORE_PEER_GATEWAY_ENABLED="true",
        CORE_LEDGER_STATE_STATEDATABASE="goleveldb",
        CORE_LEDGER_SNAPSHOTS_ROOTDIR=str(state / "snapshots"),
        CORE_OPERATIONS_LISTENADDRESS=endpoint(ports.operations),
        CORE_METRICS_PROVIDER="prometheus",
        CORE_VM_ENDPOINT="",
        CORE_CHAINCODE_EXTERNALBUILDERS=external_builders(paths),
    )
    env.update(config.extra_env)
    return env


def start_orderer(paths: Paths, layout: Layout, config: NetworkConfig) -> process.ProcessRecord:
    return process.spawn(
        ORDERER_NODE,
        [str(paths.orderer)],
        env=orderer_env(paths, layout, config),
        cwd=layout.node_dir(ORDERER_NODE),
        log=layout.log_file(ORDERER_NODE),
        pid_file=layout.pid_file(ORDERER_NODE),
    )


def start_peer(
    paths: Paths, layout: Layout, config: NetworkConfig, org: Org
) -> process.ProcessRecord:
    return process.spawn(
        org.node,
        [str(paths.peer), "node", "start"],
        env=peer_env(paths, layout, config, org),
        cwd=layout.node_dir(org.node),
        log=layout.log_file(org.node),
        pid_file=layout.pid_file(org.node),
    )


def healthz(operations_port: int, timeout_s: float = 1.0) -> bool:
    """GET /healthz on the operations listener: 200 with status OK means healthy."""
    url = f"http://{endpoint(operations_port)}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:
            body = json.loads(resp.read() or b"{}")
            return bool(resp.status == 200 and body.get("status") == "OK")
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_healthy(name: str, operations_port: int, pid_file: Path, timeout_s: float) -> float:
    """Poll /healthz until it answers OK; fail fast with the log tail if the process died."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if healthz(operations_port):
            return time.monotonic() - started
        if process.running(pid_file) is None:
            raise FabricError(f"{name} exited during start-up:\n{_log_tail(pid_file, name)}")
        time.sleep(0.2)
    raise FabricError(f"{name} not healthy after {timeout_s:.0f} s:\n{_log_tail(pid_file, name)}")


def _log_tail(pid_file: Path, name: str) -> str:
    log = pid_file.parent.parent / "logs" / f"{name}.log"
    return process.tail(log, 25)
