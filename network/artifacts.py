"""Crypto material (cryptogen) and the channel's genesis block (configtxgen), made once.

Both are the network's identity: regenerating the crypto of a network whose ledgers exist would
orphan them, so each step runs only when its output is absent (``down(wipe=True)`` removes
them together with the ledgers). Inputs are the project's own files in ``network/config/``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from string import Template

from network.binaries import Paths
from network.errors import FabricError
from network.layout import Layout
from network.topology import PEER_ORGS, NetworkConfig

CONFIG_DIR = Path(__file__).resolve().parent / "config"
PROFILE = "PharmaTraceChannel"


def run_tool(argv: list[str], *, env: dict[str, str] | None = None, what: str) -> str:
    """Run a Fabric CLI tool and return its stdout (Fabric logs go to stderr).

    On failure raise with the tool's own words: they name the cause.
    """
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        out = (proc.stderr + proc.stdout).strip()
        raise FabricError(f"{what} failed (exit {proc.returncode}): {out[-2000:]}")
    return proc.stdout


def ensure_crypto(paths: Paths, layout: Layout) -> bool:
    """Generate all MSPs and TLS certificates; False if they already exist."""
    if (layout.crypto / "peerOrganizations").is_dir():
        return False
    tmp = layout.crypto.with_name("crypto.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    argv = [
        str(paths.cryptogen),
        "generate",
        f"--config={CONFIG_DIR / 'crypto-config.yaml'}",
        f"--output={tmp}",
    ]
    run_tool(argv, what="cryptogen generate")
    tmp.replace(layout.crypto)  # all or nothing: a half-written crypto dir never looks done
    return True


def render_configtx(layout: Layout, config: NetworkConfig) -> Path:
    """Fill configtx.yaml's placeholders and write it where configtxgen will read it."""
    values = {
        "CRYPTO": str(layout.crypto),
        "ORDERER_PORT": str(config.orderer_ports.listen),
        "BATCH_TIMEOUT": f"{config.batch_timeout_ms}ms",
        "MAX_MESSAGE_COUNT": str(config.max_message_count),
    }
    for org in PEER_ORGS:
        values[f"{org.key.upper()}_PORT"] = str(config.peer_ports(org).listen)
    text = Template((CONFIG_DIR / "configtx.yaml").read_text()).substitute(values)
    layout.configtx_dir.mkdir(parents=True, exist_ok=True)
    out = layout.configtx_dir / "configtx.yaml"
    out.write_text(text)
    return out


def ensure_genesis_block(paths: Paths, layout: Layout, config: NetworkConfig) -> bool:
    """Write the channel's genesis block; False if it already exists."""
    block = layout.channel_block(config.channel)
    if block.is_file():
        return False
    render_configtx(layout, config)
    block.parent.mkdir(parents=True, exist_ok=True)
    tmp = block.with_suffix(".tmp")
    argv = [
        str(paths.configtxgen),
        "-configPath",
        str(layout.configtx_dir),
        "-profile",
        PROFILE,
        "-channelID",
        config.channel,
        "-outputBlock",
        str(tmp),
    ]
    run_tool(argv, what="configtxgen -outputBlock")
    tmp.replace(block)
    return True
