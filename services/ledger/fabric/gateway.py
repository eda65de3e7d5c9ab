"""Connections to peers' Gateway services: one gRPC channel per endpoint, reused by every call.

`Gateways` opens a TLS channel to a peer the first time it is needed (trusting only the
organization's TLS CA) and hands out Gateway stubs on it; `Connection` is what every step of a
transaction needs: a stub, the channel and chaincode it addresses, the clock stamping proposals,
and the per-call deadlines.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.ledger.errors import LedgerUnavailableError
from services.ledger.fabric import protos
from services.ledger.fabric.profile import PeerEndpoint

Clock = Callable[[], datetime]
StubFactory = Callable[[PeerEndpoint], Any]

# Blocks read through qscc can be large; gRPC's default 4 MiB receive limit is too small.
MAX_MESSAGE_BYTES = 100 * 1024 * 1024


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Deadlines in seconds per Gateway call (CommitStatus waits for the block)."""

    evaluate: float = 30.0
    endorse: float = 30.0
    submit: float = 30.0
    commit_status: float = 60.0
    events_read: float = 30.0


@dataclass(frozen=True, slots=True)
class Connection:
    """A Gateway stub with the channel and chaincode its calls address."""

    stub: Any
    channel: str
    chaincode: str
    clock: Clock
    timeouts: Timeouts

    def for_chaincode(self, chaincode: str) -> Connection:
        """The same peer and channel, addressing another (e.g. system) chaincode."""
        return Connection(self.stub, self.channel, chaincode, self.clock, self.timeouts)


def open_channel(endpoint: PeerEndpoint) -> Any:
    """A gRPC channel to the peer: TLS with the org's CA root, or plaintext when none is given."""
    options: list[tuple[str, Any]] = [
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ("grpc.keepalive_time_ms", 60_000),
    ]
    if endpoint.tls_root_cert is None:
        return protos.grpc.insecure_channel(endpoint.address, options=options)
    try:
        root = endpoint.tls_root_cert.read_bytes()
    except OSError as exc:
        raise LedgerUnavailableError(f"Cannot read the peer's TLS CA: {exc}") from exc
    if endpoint.server_name:
        options.append(("grpc.ssl_target_name_override", endpoint.server_name))
    credentials = protos.grpc.ssl_channel_credentials(root_certificates=root)
    return protos.grpc.secure_channel(endpoint.address, credentials, options=options)


class Gateways:
    """Gateway stubs per peer endpoint over channels opened once and shared by all threads."""

    def __init__(self) -> None:
        self._channels: dict[PeerEndpoint, Any] = {}
        self._stubs: dict[PeerEndpoint, Any] = {}
        self._lock = threading.Lock()

    def stub(self, endpoint: PeerEndpoint) -> Any:
        with self._lock:
            if endpoint not in self._stubs:
                channel = open_channel(endpoint)
                self._channels[endpoint] = channel
                self._stubs[endpoint] = protos.gateway_grpc.GatewayStub(channel)
            return self._stubs[endpoint]

    def close(self) -> None:
        with self._lock:
            channels = list(self._channels.values())
            self._channels.clear()
            self._stubs.clear()
        for channel in channels:
            channel.close()
