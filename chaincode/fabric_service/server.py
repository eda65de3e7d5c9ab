"""Chaincode as a service: the gRPC server a Fabric peer dials (`protos.Chaincode/Connect`).

The peer opens one bidirectional stream per connection (one per peer that has the package
installed); each stream gets its own `Handler`. Outgoing messages go through a queue that the
RPC's response generator drains, so any thread may send; incoming messages are read on a thread of
their own and handed to the handler, which never blocks on a transaction.

Configuration follows Fabric's chaincode-as-a-service examples: flags, or the environment variables
CHAINCODE_SERVER_ADDRESS and CHAINCODE_ID (the package id, `label:hash`), and for TLS (off by
default) CHAINCODE_TLS_CERT, CHAINCODE_TLS_KEY and CHAINCODE_CLIENT_CA_CERT (file paths; a client
CA makes the server require the peer's client certificate).

Logging goes to the `pharmatrace.chaincode` logger only (INFO by default, CHAINCODE_LOG_LEVEL); the
root logger is left alone.
"""

from __future__ import annotations

import argparse
import logging
import os
import queue
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# grpcio ships no type hints (and the project installs no stub packages): the module is Any here,
# confined to this file's few calls.
import grpc  # type: ignore[import-untyped]

from chaincode.contract import PharmaTraceContract
from chaincode.fabric_service import _protos as pb
from chaincode.fabric_service.handler import LOGGER, Contract, Handler, ProtocolError

SERVICE_NAME = "protos.Chaincode"
MAX_MESSAGE_BYTES = 100 * 1024 * 1024  # the peer's and the Go shim's limit

# The peer's gRPC client pings every 60 s, with or without an active stream (Fabric's
# DefaultKeepaliveOptions, PermitWithoutStream). gRPC core's server default would count those
# pings as abuse (one per 5 minutes without data) and end the connection with GOAWAY
# "too_many_pings"; the Go shim's server allows one per minute. Accept them.
SERVER_OPTIONS: list[tuple[str, int]] = [
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
    ("grpc.http2.max_ping_strikes", 0),
]

TEST_FAULTS_ENV = "PHARMATRACE_CHAINCODE_TEST_FAULTS"
_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"


@dataclass(frozen=True)
class ServiceConfig:
    address: str
    package_id: str
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_client_ca: Path | None = None
    workers: int = 16  # transaction threads per peer stream
    streams: int = 16  # peer streams served at once
    peer_timeout: float = 60.0  # seconds to wait for the peer's answer to one request
    test_faults: bool = False

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None and self.tls_key is not None


class ChaincodeService:
    """The `protos.Chaincode` service: one `Handler` per `Connect` stream."""

    def __init__(self, contract: Contract, config: ServiceConfig) -> None:
        self._contract = contract
        self._config = config

    def connect(self, requests: Iterator[pb.Message], context: Any) -> Iterator[pb.Message]:
        outbox: queue.SimpleQueue[pb.Message | None] = queue.SimpleQueue()
        handler = Handler(
            self._contract,
            self._config.package_id,
            outbox.put,
            workers=self._config.workers,
            peer_timeout=self._config.peer_timeout,
            test_faults=self._config.test_faults,
        )

        def stop() -> None:
            handler.close()
            outbox.put(None)

        def receive() -> None:
            try:
                for message in requests:
                    handler.handle(message)
            except ProtocolError:
                pass  # logged by the handler
            except Exception as exc:  # grpc.RpcError when the peer goes away
                LOGGER.info("stream from the peer ended: %s", type(exc).__name__)
            finally:
                stop()

        context.add_callback(stop)  # the RPC ended: cancelled, timed out or completed
        LOGGER.info("peer connected from %s", context.peer())
        handler.start()
        threading.Thread(target=receive, name="chaincode-recv", daemon=True).start()
        while (message := outbox.get()) is not None:
            yield message


def build_server(config: ServiceConfig, contract: Contract | None = None) -> tuple[Any, int]:
    """A configured (not yet started) gRPC server and the port it is bound to."""
    service = ChaincodeService(contract or PharmaTraceContract(), config)
    server = grpc.server(
        ThreadPoolExecutor(max_workers=config.streams, thread_name_prefix="chaincode-stream"),
        options=SERVER_OPTIONS,
        maximum_concurrent_rpcs=config.streams,  # each stream holds a thread for its lifetime
    )
    method = grpc.stream_stream_rpc_method_handler(
        service.connect,
        request_deserializer=pb.shim.ChaincodeMessage.FromString,
        response_serializer=pb.shim.ChaincodeMessage.SerializeToString,
    )
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(SERVICE_NAME, {"Connect": method}),)
    )
    if config.tls and config.tls_cert is not None and config.tls_key is not None:
        client_ca = config.tls_client_ca.read_bytes() if config.tls_client_ca else None
        credentials = grpc.ssl_server_credentials(
            [(config.tls_key.read_bytes(), config.tls_cert.read_bytes())],
            root_certificates=client_ca,
            require_client_auth=client_ca is not None,
        )
        port = server.add_secure_port(config.address, credentials)
    else:
        port = server.add_insecure_port(config.address)
    return server, int(port)


def configure_logging(level: str) -> None:
    """Our logger only: a stderr handler on `pharmatrace.chaincode`; the root logger untouched."""
    logger = logging.getLogger("pharmatrace.chaincode")
    logger.setLevel(level.upper())
    if not any(getattr(h, "_pharmatrace", False) for h in logger.handlers):
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(logging.Formatter(_LOG_FORMAT))
        stream._pharmatrace = True  # type: ignore[attr-defined]  # marks our handler
        logger.addHandler(stream)
    logger.propagate = False


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


def parse_args(argv: Sequence[str] | None = None) -> tuple[ServiceConfig, str]:
    env = os.environ
    parser = argparse.ArgumentParser(
        prog="python -m chaincode.fabric_service",
        description="Serve the PharmaTrace contract as a Fabric chaincode service.",
    )
    parser.add_argument(
        "--address",
        default=env.get("CHAINCODE_SERVER_ADDRESS"),
        help="listen address host:port (env CHAINCODE_SERVER_ADDRESS)",
    )
    parser.add_argument(
        "--package-id",
        default=env.get("CHAINCODE_ID") or env.get("CORE_CHAINCODE_ID_NAME"),
        help="the chaincode package id, label:hash (env CHAINCODE_ID)",
    )
    tls_off = _env_flag("CHAINCODE_TLS_DISABLED")
    parser.add_argument(
        "--tls-cert",
        default=None if tls_off else env.get("CHAINCODE_TLS_CERT"),
        help="server certificate, PEM file (env CHAINCODE_TLS_CERT); TLS is off without it",
    )
    parser.add_argument(
        "--tls-key",
        default=None if tls_off else env.get("CHAINCODE_TLS_KEY"),
        help="server private key, PEM file (env CHAINCODE_TLS_KEY)",
    )
    parser.add_argument(
        "--tls-client-ca",
        default=None if tls_off else env.get("CHAINCODE_CLIENT_CA_CERT"),
        help="CA of the peer client certificate, then required (env CHAINCODE_CLIENT_CA_CERT)",
    )
    parser.add_argument("--workers", type=int, default=16, help="transaction threads per stream")
    parser.add_argument(
        "--peer-timeout",
        type=float,
        default=60.0,
        help="seconds to wait for the peer's answer to one request",
    )
    parser.add_argument(
        "--log-level",
        default=env.get("CHAINCODE_LOG_LEVEL", "INFO"),
        choices=["DEBUG", "INFO", "WARNING", "ERROR", "debug", "info", "warning", "error"],
        help="level of the pharmatrace.chaincode logger (env CHAINCODE_LOG_LEVEL)",
    )
    parser.add_argument(
        "--test-faults",
        action="store_true",
        default=_env_flag(TEST_FAULTS_ENV),
        help=f"answer the reserved fault-injection functions (env {TEST_FAULTS_ENV}); tests only",
    )
    args = parser.parse_args(argv)
    if not args.address:
        parser.error("--address (or CHAINCODE_SERVER_ADDRESS) is required")
    if not args.package_id:
        parser.error("--package-id (or CHAINCODE_ID) is required")
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("TLS needs both --tls-cert and --tls-key")
    if args.tls_client_ca and not args.tls_cert:
        parser.error("--tls-client-ca needs TLS (--tls-cert and --tls-key)")
    config = ServiceConfig(
        address=args.address,
        package_id=args.package_id,
        tls_cert=_path(args.tls_cert),
        tls_key=_path(args.tls_key),
        tls_client_ca=_path(args.tls_client_ca),
        workers=max(1, args.workers),
        peer_timeout=args.peer_timeout,
        test_faults=args.test_faults,
    )
    return config, str(args.log_level)


def main(argv: Sequence[str] | None = None) -> int:
    config, log_level = parse_args(argv)
    configure_logging(log_level)
    server, port = build_server(config)
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    server.start()
    LOGGER.info(
        "serving chaincode package %s on %s (port %d, TLS %s)",
        config.package_id,
        config.address,
        port,
        "on" if config.tls else "off",
    )
    if config.test_faults:
        LOGGER.warning("test faults are enabled: never do this on a network that matters")
    stopping.wait()
    LOGGER.info("stopping")
    server.stop(grace=3).wait()
    return 0
