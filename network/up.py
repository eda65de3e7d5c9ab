"""``up``, ``down``, ``status`` and ``logs``: the four verbs the CLI exposes.

``up`` is resumable: every step first looks at what exists (crypto, genesis block, live
processes, channel memberships, installed packages, approvals, committed definition) and only
does what is missing, so ``up`` on a running network only checks health. ``down`` stops only
processes recorded in our pid files and still running our binaries (see ``process``).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from network import artifacts, chaincode, nodes, process
from network.admin import OsnAdmin, PeerCli
from network.binaries import Paths, ensure_binaries, find_binaries
from network.errors import FabricError
from network.layout import Layout
from network.profile import NetworkProfile, build_profile, write_profile
from network.topology import (
    CHAINCODE_NODE,
    ORDERER_NODE,
    PEER_ORGS,
    NetworkConfig,
    Org,
    endpoint,
)

DEFAULT_ROOT = Path(".fabric")


@dataclass(frozen=True)
class NodeStatus:
    name: str
    kind: str  # orderer | peer | chaincode
    pid: int | None
    healthy: bool
    endpoint: str
    channel_height: int | None = None  # peers only, from `peer channel getinfo`

    @property
    def running(self) -> bool:
        return self.pid is not None


@dataclass(frozen=True)
class NetworkStatus:
    state_dir: str
    channel: str
    nodes: list[NodeStatus] = field(default_factory=list)
    connection_profile: str | None = None

    @property
    def all_healthy(self) -> bool:
        return all(n.healthy for n in self.nodes if n.kind != "chaincode")

    def node(self, name: str) -> NodeStatus:
        return next(n for n in self.nodes if n.name == name)


@contextlib.contextmanager
def _locked(layout: Layout) -> Iterator[None]:
    """One ``up``/``down`` at a time per network (two would race on ports and pid files)."""
    layout.root.mkdir(parents=True, exist_ok=True)
    with (layout.root / ".lock").open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FabricError(f"another up/down is running on {layout.root}") from None
        yield


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _ensure_node(
    name: str, ports: list[int], layout: Layout, start: Callable[[], object], console: Console
) -> None:
    """Start a node unless our process for it is already running."""
    if process.running(layout.pid_file(name)) is not None:
        return
    if busy := [p for p in ports if not _port_free(p)]:
        raise FabricError(
            f"cannot start {name}: port(s) {busy} in use by a process that is not ours "
            "(another network? set PHARMATRACE_FABRIC_PORT_BASE)"
        )
    start()
    console.print(f"  started {name}")


def _start_nodes(paths: Paths, layout: Layout, config: NetworkConfig, console: Console) -> None:
    op = config.orderer_ports
    _ensure_node(
        ORDERER_NODE,
        [op.listen, op.admin, op.operations],
        layout,
        functools.partial(nodes.start_orderer, paths, layout, config),
        console,
    )
    for org in PEER_ORGS:
        pp = config.peer_ports(org)
        _ensure_node(
            org.node,
            [pp.listen, pp.chaincode, pp.operations],
            layout,
            functools.partial(nodes.start_peer, paths, layout, config, org),
            console,
        )
    # All started first, then waited on: start-ups overlap instead of adding up.
    waits = [(ORDERER_NODE, op.operations)]
    waits += [(org.node, config.peer_ports(org).operations) for org in PEER_ORGS]
    for name, ops_port in waits:
        took = nodes.wait_healthy(name, ops_port, layout.pid_file(name), config.health_timeout_s)
        console.print(f"  {name} healthy ({took:.1f} s)")


def _join_channel(paths: Paths, layout: Layout, config: NetworkConfig, console: Console) -> None:
    osn = OsnAdmin(paths, layout, config)
    if config.channel not in osn.channels():
        osn.join()
        console.print(f"  orderer joined {config.channel}")
    for org in PEER_ORGS:
        cli = PeerCli(paths, layout, config, org)
        if config.channel not in cli.channels():
            cli.join()
            console.print(f"  {org.node} joined {config.channel}")


def up(
    root: Path = DEFAULT_ROOT,
    *,
    chaincode: bool = True,
    config: NetworkConfig | None = None,
    console: Console | None = None,
) -> NetworkProfile:
    """Bring the network up (or check it if it is up) and write its connection profile."""
    config = config or NetworkConfig.from_env()
    console = console or Console(stderr=True)
    started = time.monotonic()
    paths = ensure_binaries(root, console=console)
    layout = Layout.at(root, config.state_dir_name)
    with _locked(layout):
        if artifacts.ensure_crypto(paths, layout):
            console.print("  crypto material generated (cryptogen)")
        if artifacts.ensure_genesis_block(paths, layout, config):
            console.print(f"  genesis block of {config.channel} written (configtxgen)")
        _start_nodes(paths, layout, config, console)
        _join_channel(paths, layout, config, console)
        package_id = _deploy(paths, layout, config, console) if chaincode else None
        profile = build_profile(layout, config, package_id)
        write_profile(layout, profile)
    console.print(f"[green]network up[/green] in {time.monotonic() - started:.1f} s")
    return profile


def _deploy(paths: Paths, layout: Layout, config: NetworkConfig, console: Console) -> str:
    package_id = chaincode.deploy(paths, layout, config)
    console.print(f"  chaincode {config.chaincode_name} is committed ({package_id})")
    if chaincode.service_available(config):
        chaincode.start_chaincode_service(package_id, layout=layout, config=config)
        console.print(f"  chaincode service on {endpoint(config.chaincode_port)}")
    else:
        console.print(
            f"[yellow]  {config.chaincode_module} does not exist yet: chaincode is committed "
            "but no server runs, so invokes will fail until it does[/yellow]"
        )
    return package_id


def down(
    root: Path = DEFAULT_ROOT,
    *,
    wipe: bool = False,
    config: NetworkConfig | None = None,
    console: Console | None = None,
) -> list[str]:
    """Stop our processes (chaincode, peers, orderer); with ``wipe`` delete all state."""
    config = config or NetworkConfig.from_env()
    console = console or Console(stderr=True)
    layout = Layout.at(root, config.state_dir_name)
    if not layout.root.exists():
        return []
    with _locked(layout):
        # The chaincode server first (peers would log dial errors), the orderer last.
        names = [CHAINCODE_NODE, *(o.node for o in PEER_ORGS), ORDERER_NODE]
        pid_files = [layout.pid_file(n) for n in names]
        stopped = process.stop_many(pid_files, timeout_s=config.stop_timeout_s)
        for name in stopped:
            console.print(f"  stopped {name}")
        if wipe:
            shutil.rmtree(layout.root)
            console.print(f"  wiped {layout.root}")
    return stopped


def status(root: Path = DEFAULT_ROOT, *, config: NetworkConfig | None = None) -> NetworkStatus:
    """Which nodes run, whether they are healthy, and each peer's channel height."""
    config = config or NetworkConfig.from_env()
    layout = Layout.at(root, config.state_dir_name)
    paths = find_binaries(root)
    result: list[NodeStatus] = []
    op = config.orderer_ports
    record = process.running(layout.pid_file(ORDERER_NODE))
    result.append(
        NodeStatus(
            ORDERER_NODE,
            "orderer",
            record.pid if record else None,
            nodes.healthz(op.operations),
            endpoint(op.listen),
        )
    )
    for org in PEER_ORGS:
        pp = config.peer_ports(org)
        record = process.running(layout.pid_file(org.node))
        healthy = nodes.healthz(pp.operations)
        height = _height(paths, layout, config, org) if healthy and paths else None
        result.append(
            NodeStatus(
                org.node,
                "peer",
                record.pid if record else None,
                healthy,
                endpoint(pp.listen),
                height,
            )
        )
    record = process.running(layout.pid_file(CHAINCODE_NODE))
    result.append(
        NodeStatus(
            CHAINCODE_NODE,
            "chaincode",
            record.pid if record else None,
            record is not None and chaincode.port_open(config.chaincode_port),
            endpoint(config.chaincode_port),
        )
    )
    profile = layout.connection_json
    return NetworkStatus(
        str(layout.root), config.channel, result, str(profile) if profile.exists() else None
    )


def _height(paths: Paths, layout: Layout, config: NetworkConfig, org: Org) -> int | None:
    try:
        return PeerCli(paths, layout, config, org).height()
    except FabricError:
        return None  # not joined yet, or the peer is still catching up


def logs(
    node: str, lines: int = 50, *, root: Path = DEFAULT_ROOT, config: NetworkConfig | None = None
) -> str:
    """The last ``lines`` lines of a node's log (orderer0, <org>-peer0, chaincode)."""
    config = config or NetworkConfig.from_env()
    known = [*config.node_names(), CHAINCODE_NODE]
    if node not in known:
        raise FabricError(f"unknown node {node!r}; known: {', '.join(known)}")
    return process.tail(Layout.at(root, config.state_dir_name).log_file(node), lines)
