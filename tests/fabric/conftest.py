"""One real Fabric network per test session, apart from any network a developer runs.

The tests use their own state folder (``.fabric/network-test``) and port block (27050..27100)
so that ``down(wipe=True)`` at the end can never stop or wipe a developer's network on the
default ports; the binaries in ``.fabric/bin`` are shared (built once, cached).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from network import (
    BinariesUnavailableError,
    NetworkConfig,
    NetworkProfile,
    Paths,
    down,
    ensure_binaries,
    up,
)
from network.layout import Layout

FABRIC_ROOT = Path(__file__).resolve().parents[2] / ".fabric"
TEST_CONFIG = NetworkConfig(state_dir_name="network-test", port_base=27050)


@pytest.fixture(scope="session")
def fabric_config() -> NetworkConfig:
    return TEST_CONFIG


@pytest.fixture(scope="session")
def fabric_paths() -> Paths:
    """The Fabric tools, built on first use (minutes); a test fails if they cannot be had."""
    try:
        return ensure_binaries(FABRIC_ROOT)
    except BinariesUnavailableError as exc:
        reason = str(exc)
    pytest.fail(f"no Fabric binaries, so no real network to test: {reason}", pytrace=False)


@pytest.fixture(scope="session")
def fabric_layout(fabric_config: NetworkConfig) -> Layout:
    return Layout.at(FABRIC_ROOT, fabric_config.state_dir_name)


@pytest.fixture(scope="session")
def fabric_network(fabric_paths: Paths, fabric_config: NetworkConfig) -> Iterator[NetworkProfile]:
    """The network up with the chaincode committed; stopped and wiped after the session."""
    try:
        yield up(FABRIC_ROOT, config=fabric_config)
    finally:
        down(FABRIC_ROOT, wipe=True, config=fabric_config)
