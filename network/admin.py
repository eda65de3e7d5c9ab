"""Run ``peer`` and ``osnadmin`` as an organisation's admin against our own nodes.

Channel joins, chaincode installs and approvals are admin acts of one organisation: the CLI
must carry that org's Admin MSP, its peer's address and the TLS roots. Every call builds that
environment from scratch here (see ``nodes.base_env``), so nothing from the caller's shell
can point a command at the wrong org.
"""

from __future__ import annotations

import json
import time
from typing import Any

from network.artifacts import run_tool
from network.binaries import Paths
from network.errors import FabricError
from network.layout import Layout
from network.nodes import base_env
from network.topology import NetworkConfig, Org, endpoint

# Errors that go away by themselves right after start-up or a channel join: the single Raft
# node has not elected itself leader yet, or a peer is still catching up on blocks.
TRANSIENT = ("SERVICE_UNAVAILABLE", "no Raft leader", "connection refused", "Unavailable")


class PeerCli:
    """``peer`` subcommands executed as ``org``'s Admin against ``org``'s peer."""

    def __init__(self, paths: Paths, layout: Layout, config: NetworkConfig, org: Org) -> None:
        self.paths, self.layout, self.config, self.org = paths, layout, config, org

    def env(self) -> dict[str, str]:
        env = base_env(self.paths)
        env.update(
            CORE_PEER_LOCALMSPID=self.org.msp_id,
            CORE_PEER_MSPCONFIGPATH=str(self.layout.admin_msp(self.org)),
            CORE_PEER_ADDRESS=endpoint(self.config.peer_ports(self.org).listen),
            CORE_PEER_TLS_ENABLED="true",
            CORE_PEER_TLS_ROOTCERT_FILE=str(self.layout.org_tls_ca(self.org)),
        )
        return env

    def run(self, *args: str, retry_s: float = 0.0) -> str:
        """Run ``peer *args``; retry transient failures for up to ``retry_s`` seconds."""
        argv = [str(self.paths.peer), *args]
        what = f"peer {' '.join(args[:3])} ({self.org.key})"
        deadline = time.monotonic() + retry_s
        while True:
            try:
                return run_tool(argv, env=self.env(), what=what)
            except FabricError as exc:
                if time.monotonic() >= deadline or not any(t in str(exc) for t in TRANSIENT):
                    raise
            time.sleep(0.5)

    def orderer_args(self) -> list[str]:
        return [
            "-o",
            endpoint(self.config.orderer_ports.listen),
            "--tls",
            "--cafile",
            str(self.layout.orderer_tls_ca),
        ]

    # -- channel --------------------------------------------------------------------------
    def channels(self) -> list[str]:
        """``peer channel list``: the names after the 'Channels peers has joined:' line."""
        out = self.run("channel", "list")
        lines = [ln.strip() for ln in out.splitlines()]
        for i, line in enumerate(lines):
            if line.startswith("Channels peers has joined"):
                return [ln for ln in lines[i + 1 :] if ln and " " not in ln]
        return []

    def join(self) -> None:
        self.run("channel", "join", "-b", str(self.layout.channel_block(self.config.channel)))

    def height(self) -> int:
        """``peer channel getinfo``: 'Blockchain info: {"height":N,...}'."""
        out = self.run("channel", "getinfo", "-c", self.config.channel)
        info = _json_after(out, "Blockchain info:")
        return int(info["height"])


class OsnAdmin:
    """``osnadmin`` against the orderer's admin endpoint, with the orderer Admin's TLS cert."""

    def __init__(self, paths: Paths, layout: Layout, config: NetworkConfig) -> None:
        self.paths, self.layout, self.config = paths, layout, config

    def _run(self, *args: str) -> tuple[int, Any]:
        tls = self.layout.orderer_admin_tls
        argv = [
            str(self.paths.osnadmin),
            "channel",
            *args,
            "-o",
            endpoint(self.config.orderer_ports.admin),
            "--ca-file",
            str(self.layout.orderer_tls_ca),
            "--client-cert",
            str(tls / "client.crt"),
            "--client-key",
            str(tls / "client.key"),
        ]
        out = run_tool(argv, env=base_env(self.paths), what=f"osnadmin channel {args[0]}")
        return _osnadmin_response(out)

    def channels(self) -> list[str]:
        status, body = self._run("list")
        if status != 200:
            raise FabricError(f"osnadmin channel list: HTTP {status}: {body}")
        return [c["name"] for c in (body.get("channels") or [])]

    def join(self) -> None:
        block = str(self.layout.channel_block(self.config.channel))
        status, body = self._run(
            "join", "--channelID", self.config.channel, "--config-block", block
        )
        if status not in (200, 201):
            raise FabricError(f"osnadmin channel join: HTTP {status}: {body}")


def _osnadmin_response(out: str) -> tuple[int, Any]:
    """osnadmin prints 'Status: <code>' and then the JSON body."""
    status = 0
    for line in out.splitlines():
        if line.startswith("Status:"):
            status = int(line.split(":", 1)[1].strip())
            break
    start = out.find("{")
    body: Any = {}
    if start >= 0:
        try:
            body = json.loads(out[start:])
        except ValueError:
            body = {"raw": out[start:]}
    return status, body


def _json_after(out: str, marker: str) -> Any:
    idx = out.find(marker)
    if idx < 0:
        raise FabricError(f"no {marker!r} in output: {out[-500:]}")
    text = out[idx + len(marker) :].strip()
    return json.JSONDecoder().raw_decode(text)[0]


def json_output(out: str) -> Any:
    """The JSON document in a ``peer ... --output json`` answer (logs may precede it)."""
    starts = [i for i in (out.find("{"), out.find("[")) if i >= 0]
    if not starts:
        raise FabricError(f"no JSON in output: {out[-500:]}")
    return json.JSONDecoder().raw_decode(out[min(starts) :])[0]
