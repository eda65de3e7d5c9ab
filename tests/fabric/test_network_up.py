"""The real Fabric network comes up whole and goes down without leaving a process behind.

These run real orderer and peer processes (tests/fabric/conftest.py); nothing is mocked.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from network import NetworkConfig, NetworkProfile, Paths, down, load_profile, status, up
from network.admin import OsnAdmin, PeerCli, json_output
from network.chaincode import service_available
from network.layout import Layout
from network.topology import CHAINCODE_NODE, PEER_ORGS
from tests.fabric.conftest import FABRIC_ROOT

# A cold build of the Fabric binaries (first run on a machine) takes minutes on 2 cores.
pytestmark = [pytest.mark.fabric, pytest.mark.slow, pytest.mark.timeout(1800)]


def test_every_node_runs_and_is_healthy(
    fabric_network: NetworkProfile, fabric_config: NetworkConfig
) -> None:
    st = status(FABRIC_ROOT, config=fabric_config)
    fabric_nodes = [n for n in st.nodes if n.kind != "chaincode"]
    assert len(fabric_nodes) == 1 + len(PEER_ORGS)
    for node in fabric_nodes:
        assert node.running, f"{node.name} is not running"
        assert node.healthy, f"{node.name} /healthz is not OK"
    # Genesis block plus the lifecycle transactions: every peer has more than one block.
    heights = {n.name: n.channel_height for n in fabric_nodes if n.kind == "peer"}
    assert all(h is not None and h > 1 for h in heights.values()), heights


def test_channel_joined_by_orderer_and_every_peer(
    fabric_network: NetworkProfile,
    fabric_paths: Paths,
    fabric_layout: Layout,
    fabric_config: NetworkConfig,
) -> None:
    assert fabric_config.channel in OsnAdmin(fabric_paths, fabric_layout, fabric_config).channels()
    for org in PEER_ORGS:
        channels = PeerCli(fabric_paths, fabric_layout, fabric_config, org).channels()
        assert channels == [fabric_config.channel], f"{org.node}: {channels}"


def test_chaincode_definition_committed_and_approved_by_all(
    fabric_network: NetworkProfile,
    fabric_paths: Paths,
    fabric_layout: Layout,
    fabric_config: NetworkConfig,
) -> None:
    for org in PEER_ORGS:
        cli = PeerCli(fabric_paths, fabric_layout, fabric_config, org)
        out = cli.run(
            "lifecycle", "chaincode", "querycommitted", "--channelID", fabric_config.channel,
            "--name", fabric_config.chaincode_name, "--output", "json",
        )  # fmt: skip
        definition = json_output(out)
        assert definition["version"] == fabric_config.chaincode_version
        assert int(definition["sequence"]) >= 1
        assert definition["approvals"] == {o.msp_id: True for o in PEER_ORGS}
        installed = json_output(
            cli.run("lifecycle", "chaincode", "queryinstalled", "--output", "json")
        )
        ids = [c["package_id"] for c in installed["installed_chaincodes"]]
        assert fabric_network.package_id in ids


def test_connection_profile_describes_every_org(
    fabric_network: NetworkProfile, fabric_layout: Layout
) -> None:
    profile = load_profile(fabric_layout.connection_json)
    assert profile == fabric_network
    assert set(profile.orgs) == {o.msp_id for o in PEER_ORGS}
    for org in profile.orgs.values():
        for path in (org.tls_root_cert, org.user_cert, org.user_key):
            assert Path(path).is_file(), path
    assert json.loads(fabric_layout.connection_json.read_text())["channel"] == "pharmatrace"


def test_chaincode_service_listens(
    fabric_network: NetworkProfile, fabric_config: NetworkConfig
) -> None:
    assert service_available(fabric_config), f"{fabric_config.chaincode_module} cannot be imported"
    assert status(FABRIC_ROOT, config=fabric_config).node(CHAINCODE_NODE).healthy


def _our_processes(paths: Paths, layout: Layout, config: NetworkConfig) -> list[int]:
    """Live processes started for this network: Fabric binaries (or a wrapper script of
    theirs) running in the network's state folder, and the chaincode server on its port."""
    address = f"127.0.0.1:{config.chaincode_port}".encode()
    ours: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            exe = os.path.realpath(os.readlink(entry / "exe"))
            cwd = os.path.realpath(os.readlink(entry / "cwd"))
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        programs = [Path(exe), *(Path(os.fsdecode(a)) for a in cmdline[:2])]
        fabric = any(p.parent == paths.bin_dir for p in programs)
        in_state = cwd.startswith(str(layout.root))
        service = b"chaincode.fabric_service" in cmdline and address in cmdline
        if (fabric and in_state) or service:
            ours.append(int(entry.name))
    return ours


def test_down_leaves_no_process_of_ours(
    fabric_network: NetworkProfile,
    fabric_paths: Paths,
    fabric_layout: Layout,
    fabric_config: NetworkConfig,
) -> None:
    before = status(FABRIC_ROOT, config=fabric_config)
    running = {n.name for n in before.nodes if n.running}
    assert running >= {n.name for n in before.nodes if n.kind != "chaincode"}
    assert _our_processes(fabric_paths, fabric_layout, fabric_config)
    started = time.monotonic()
    stopped = down(FABRIC_ROOT, config=fabric_config)
    took = time.monotonic() - started
    try:
        assert set(stopped) == running
        assert not list(fabric_layout.run.glob("*.pid"))
        assert _our_processes(fabric_paths, fabric_layout, fabric_config) == []
        assert not any(n.running for n in status(FABRIC_ROOT, config=fabric_config).nodes)
        assert took < fabric_config.stop_timeout_s + 5
    finally:
        # Leave the session's network as the fixture promised, for tests that run after.
        up(FABRIC_ROOT, config=fabric_config)
