"""Chaincode as a service: package, install, approve, commit, then run the server peers dial.

With the ccaas builder the package carries no code, only where the chaincode listens
(``connection.json``); the peer dials that address when it first needs the chaincode. So
install, approve and commit work before the server runs, and the server must be up before the
first invoke. One server process serves all four peers: they all run on this machine and dial
the same loopback address.

The package is built byte-for-byte reproducibly (fixed tar metadata, gzip mtime 0), so its
package ID (``label:sha256(package)``) is stable across runs and ``up`` can tell a package
that is already installed from a new one.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import io
import json
import os
import socket
import sys
import tarfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from network import process
from network.admin import PeerCli, json_output
from network.binaries import Paths
from network.errors import FabricError
from network.layout import Layout
from network.topology import CHAINCODE_NODE, PEER_ORGS, NetworkConfig, endpoint

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RETRY_S = 30.0  # Raft leader election after the channel join, blocks reaching every peer


def _tar_gz(files: dict[str, bytes]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def connection_json(config: NetworkConfig) -> dict[str, Any]:
    return {
        "address": endpoint(config.chaincode_port),
        "dial_timeout": "10s",
        "tls_required": False,  # loopback only; the peer-to-chaincode hop never leaves the host
    }


def build_package(layout: Layout, config: NetworkConfig) -> tuple[Path, str]:
    """Write the ccaas package; return its path and package ID."""
    code = _tar_gz({"connection.json": json.dumps(connection_json(config), indent=2).encode()})
    metadata = {"type": "ccaas", "label": config.chaincode_label}
    package = _tar_gz({"metadata.json": json.dumps(metadata).encode(), "code.tar.gz": code})
    layout.chaincode_dir.mkdir(parents=True, exist_ok=True)
    path = layout.chaincode_dir / f"{config.chaincode_label}.tar.gz"
    path.write_bytes(package)
    return path, f"{config.chaincode_label}:{hashlib.sha256(package).hexdigest()}"


@dataclass(frozen=True)
class Definition:
    """The chaincode definition we committed last, kept to decide when a new sequence is due."""

    version: str
    sequence: int
    policy: str
    package_id: str


def _deployed_file(layout: Layout) -> Path:
    return layout.chaincode_dir / "deployed.json"


def _committed_sequence(cli: PeerCli, config: NetworkConfig) -> int:
    """Sequence of the committed definition of our chaincode, 0 if none.

    Lists all definitions rather than asking for ours by name: by name, a missing definition
    is an error exit, which would be indistinguishable from a real failure.
    """
    out = cli.run(
        "lifecycle", "chaincode", "querycommitted", "--channelID", config.channel,
        "--output", "json",
    )  # fmt: skip
    for definition in json_output(out or "{}").get("chaincode_definitions") or []:
        if definition.get("name") == config.chaincode_name:
            return int(definition.get("sequence", 0))
    return 0


def _policy_args(config: NetworkConfig) -> list[str]:
    policy = config.signature_policy
    return ["--signature-policy", policy] if policy else []


def _definition_args(config: NetworkConfig, sequence: int) -> list[str]:
    return [
        "--channelID", config.channel,
        "--name", config.chaincode_name,
        "--version", config.chaincode_version,
        "--sequence", str(sequence),
        *_policy_args(config),
    ]  # fmt: skip


def install(
    paths: Paths, layout: Layout, config: NetworkConfig, package: Path, pkg_id: str
) -> None:
    """Install on every peer that does not have this exact package yet."""
    for org in PEER_ORGS:
        cli = PeerCli(paths, layout, config, org)
        listed = json_output(
            cli.run("lifecycle", "chaincode", "queryinstalled", "--output", "json") or "{}"
        )
        installed = {c.get("package_id") for c in listed.get("installed_chaincodes") or []}
        if pkg_id not in installed:
            cli.run("lifecycle", "chaincode", "install", str(package))


def approvals(
    paths: Paths, layout: Layout, config: NetworkConfig, sequence: int
) -> dict[str, bool]:
    cli = PeerCli(paths, layout, config, PEER_ORGS[0])
    out = cli.run(
        "lifecycle", "chaincode", "checkcommitreadiness",
        *_definition_args(config, sequence), "--output", "json",
    )  # fmt: skip
    return {str(k): bool(v) for k, v in (json_output(out).get("approvals") or {}).items()}


def deploy(paths: Paths, layout: Layout, config: NetworkConfig) -> str:
    """Install, approve (each org) and commit; idempotent. Returns the package ID."""
    package, pkg_id = build_package(layout, config)
    install(paths, layout, config, package, pkg_id)
    first = PeerCli(paths, layout, config, PEER_ORGS[0])
    committed = _committed_sequence(first, config)
    wanted = Definition(config.chaincode_version, committed, config.endorsement_policy, pkg_id)
    previous = _read_deployed(layout)
    if committed and previous == wanted:
        return pkg_id
    sequence = committed + 1
    done = approvals(paths, layout, config, sequence)
    for org in PEER_ORGS:
        if not done.get(org.msp_id):
            _approve(PeerCli(paths, layout, config, org), pkg_id, sequence)
    _wait_approved(paths, layout, config, sequence)
    peers: list[str] = []
    for org in PEER_ORGS:
        peers += ["--peerAddresses", endpoint(config.peer_ports(org).listen)]
        peers += ["--tlsRootCertFiles", str(layout.org_tls_ca(org))]
    first.run(
        "lifecycle", "chaincode", "commit", *first.orderer_args(),
        *_definition_args(config, sequence), *peers, retry_s=RETRY_S,
    )  # fmt: skip
    deployed = Definition(config.chaincode_version, sequence, config.endorsement_policy, pkg_id)
    _deployed_file(layout).write_text(json.dumps(asdict(deployed), indent=2) + "\n")
    return pkg_id


def _approve(cli: PeerCli, pkg_id: str, sequence: int) -> None:
    try:
        cli.run(
            "lifecycle", "chaincode", "approveformyorg", *cli.orderer_args(),
            "--package-id", pkg_id, *_definition_args(cli.config, sequence), retry_s=RETRY_S,
        )  # fmt: skip
    except FabricError as exc:
        # A retried approval whose first try did reach the orderer: already approved.
        if "unchanged content" not in str(exc):
            raise


def _wait_approved(paths: Paths, layout: Layout, config: NetworkConfig, sequence: int) -> None:
    """Each approval waited for its commit on its own org's peer only; the peer we ask here
    may still be a block behind, so poll briefly before calling approvals missing."""
    deadline = time.monotonic() + RETRY_S
    while True:
        missing = [m for m, ok in approvals(paths, layout, config, sequence).items() if not ok]
        if not missing:
            return
        if time.monotonic() >= deadline:
            raise FabricError(f"chaincode definition not approved by {missing}")
        time.sleep(0.3)


def _read_deployed(layout: Layout) -> Definition | None:
    try:
        return Definition(**json.loads(_deployed_file(layout).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def service_available(config: NetworkConfig) -> bool:
    """Whether the chaincode server module exists (it is written separately from this package)."""
    try:
        return importlib.util.find_spec(config.chaincode_module) is not None
    except ModuleNotFoundError:
        return False


def start_chaincode_service(
    package_id: str, *, layout: Layout, config: NetworkConfig, timeout_s: float = 30.0
) -> process.ProcessRecord:
    """Run ``python -m chaincode.fabric_service`` and wait until its port accepts connections."""
    pid_file = layout.pid_file(CHAINCODE_NODE)
    if (record := process.running(pid_file)) is not None:
        return record
    address = endpoint(config.chaincode_port)
    argv = [sys.executable, "-m", config.chaincode_module]
    argv += ["--address", address, "--package-id", package_id]
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("CORE_", "ORDERER_", "CHAINCODE_"))
    }
    env.update(
        PYTHONUNBUFFERED="1",
        # Same values as the flags, under the names Fabric's ccaas examples use.
        CHAINCODE_SERVER_ADDRESS=address,
        CHAINCODE_ID=package_id,
        # connection.json says tls_required=false: a CHAINCODE_TLS_* left in the caller's
        # shell must not switch the server to TLS behind the peers' back.
        CHAINCODE_TLS_DISABLED="1",
    )
    record = process.spawn(
        CHAINCODE_NODE, argv, env=env, cwd=PROJECT_ROOT,
        log=layout.log_file(CHAINCODE_NODE), pid_file=pid_file,
    )  # fmt: skip
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if port_open(config.chaincode_port):
            return record
        if process.running(pid_file) is None:
            log = process.tail(layout.log_file(CHAINCODE_NODE), 25)
            raise FabricError(f"chaincode service exited during start-up:\n{log}")
        time.sleep(0.1)
    process.stop(pid_file)
    raise FabricError(f"chaincode service did not listen on {address} within {timeout_s:.0f} s")


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0
