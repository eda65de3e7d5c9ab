"""The gRPC server a peer dials, over loopback: the stream, keepalive pings, TLS, configuration."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc  # type: ignore[import-untyped]
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from chaincode.fabric_service import _protos as pb
from chaincode.fabric_service.server import ServiceConfig, build_server, parse_args
from tests.unit.chaincode_service.fake_peer import (
    PACKAGE_ID,
    organization_body,
    ready_message,
    transaction_message,
)

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[3]


class PeerStream:
    """The peer's end of `protos.Chaincode/Connect`, over a real gRPC channel."""

    def __init__(self, channel: Any) -> None:
        self.outgoing: queue.Queue[Any] = queue.Queue()
        connect = channel.stream_stream(
            "/protos.Chaincode/Connect",
            request_serializer=pb.shim.ChaincodeMessage.SerializeToString,
            response_deserializer=pb.shim.ChaincodeMessage.FromString,
        )
        self.incoming = connect(self._requests())

    def _requests(self) -> Iterator[Any]:
        while (message := self.outgoing.get()) is not None:
            yield message

    def send(self, message: Any) -> None:
        self.outgoing.put(message)

    def receive(self) -> Any:
        return next(self.incoming)

    def handshake(self) -> None:
        register = self.receive()
        assert register.type == pb.REGISTER
        assert pb.chaincode.ChaincodeID.FromString(register.payload).name == PACKAGE_ID
        self.send(pb.shim.ChaincodeMessage(type=pb.REGISTERED))
        self.send(ready_message())

    def close(self) -> None:
        self.outgoing.put(None)


@pytest.fixture
def server() -> Iterator[int]:
    grpc_server, port = build_server(ServiceConfig(address="127.0.0.1:0", package_id=PACKAGE_ID))
    grpc_server.start()
    yield port
    grpc_server.stop(0)


def test_a_peer_registers_and_runs_a_transaction_over_grpc(server: int) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{server}") as channel:
        stream = PeerStream(channel)
        stream.handshake()
        body = json.dumps(organization_body("RegulatorMSP", "regulator")).encode()
        stream.send(transaction_message("tx-1", [b"RegisterOrganization", body]))
        requests = 0
        while (message := stream.receive()).type != pb.COMPLETED:
            requests += 1
            stream.send(
                pb.shim.ChaincodeMessage(
                    type=pb.RESPONSE, txid=message.txid, channel_id=message.channel_id
                )
            )
        assert requests >= 4
        assert pb.response.Response.FromString(message.payload).status == 200
        assert message.chaincode_event.event_name == "OrganizationRegistered"
        stream.send(pb.shim.ChaincodeMessage(type=pb.KEEPALIVE))
        assert stream.receive().type == pb.KEEPALIVE
        stream.close()


@pytest.mark.slow
def test_frequent_keepalive_pings_do_not_end_the_stream(server: int) -> None:
    """The peer pings every 60 s; gRPC's default server policy answers such pings on an idle
    stream with GOAWAY "too_many_pings" (here within 5 s at one ping a second)."""
    options = [
        ("grpc.keepalive_time_ms", 300),
        ("grpc.keepalive_timeout_ms", 5000),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.max_pings_without_data", 0),
    ]
    with grpc.insecure_channel(f"127.0.0.1:{server}", options=options) as channel:
        stream = PeerStream(channel)
        stream.handshake()
        time.sleep(6)  # idle, pinged
        stream.send(pb.shim.ChaincodeMessage(type=pb.KEEPALIVE))
        assert stream.receive().type == pb.KEEPALIVE
        stream.close()


# -- TLS ------------------------------------------------------------------------------------------
def _certificate(
    name: str, key: ec.EllipticCurvePrivateKey, issuer: tuple[x509.Name, Any] | None, ca: bool
) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    issuer_name, issuer_key = issuer if issuer else (subject, key)
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def test_tls_with_client_authentication(tmp_path: Path) -> None:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("test ca", ca_key, None, ca=True)
    issuer = (ca.subject, ca_key)
    server_key, client_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    server_cert = _certificate("localhost", server_key, issuer, ca=False)
    client_cert = _certificate("peer0", client_key, issuer, ca=False)
    (tmp_path / "ca.pem").write_bytes(_pem(ca))
    (tmp_path / "server.pem").write_bytes(_pem(server_cert))
    (tmp_path / "server.key").write_bytes(_key_pem(server_key))
    config = ServiceConfig(
        address="127.0.0.1:0",
        package_id=PACKAGE_ID,
        tls_cert=tmp_path / "server.pem",
        tls_key=tmp_path / "server.key",
        tls_client_ca=tmp_path / "ca.pem",
    )
    grpc_server, port = build_server(config)
    grpc_server.start()
    override = [("grpc.ssl_target_name_override", "localhost")]
    try:
        credentials = grpc.ssl_channel_credentials(
            root_certificates=_pem(ca),
            private_key=_key_pem(client_key),
            certificate_chain=_pem(client_cert),
        )
        with grpc.secure_channel(f"127.0.0.1:{port}", credentials, options=override) as channel:
            stream = PeerStream(channel)
            stream.handshake()
            stream.close()
        anonymous = grpc.ssl_channel_credentials(root_certificates=_pem(ca))
        with (
            grpc.secure_channel(f"127.0.0.1:{port}", anonymous, options=override) as channel,
            pytest.raises(grpc.RpcError),
        ):
            PeerStream(channel).receive()  # no client certificate: refused
    finally:
        grpc_server.stop(0)


# -- configuration --------------------------------------------------------------------------------
def test_configuration_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINCODE_SERVER_ADDRESS", "0.0.0.0:9999")
    monkeypatch.setenv("CHAINCODE_ID", "pharmatrace_1:abc")
    monkeypatch.setenv("CHAINCODE_LOG_LEVEL", "WARNING")
    config, level = parse_args([])
    assert (config.address, config.package_id, config.tls, config.test_faults) == (
        "0.0.0.0:9999",
        "pharmatrace_1:abc",
        False,
        False,
    )
    assert level == "WARNING"


def test_flags_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINCODE_SERVER_ADDRESS", "0.0.0.0:9999")
    monkeypatch.setenv("CHAINCODE_ID", "pharmatrace_1:abc")
    config, _ = parse_args(["--address", "127.0.0.1:7777", "--package-id", "p:1", "--test-faults"])
    assert (config.address, config.package_id, config.test_faults) == (
        "127.0.0.1:7777",
        "p:1",
        True,
    )


def test_tls_files_from_the_environment_unless_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINCODE_TLS_CERT", "/x/cert.pem")
    monkeypatch.setenv("CHAINCODE_TLS_KEY", "/x/key.pem")
    config, _ = parse_args(["--address", "a:1", "--package-id", "p:1"])
    assert config.tls
    monkeypatch.setenv("CHAINCODE_TLS_DISABLED", "true")
    config, _ = parse_args(["--address", "a:1", "--package-id", "p:1"])
    assert not config.tls


@pytest.mark.parametrize(
    "argv",
    [
        ["--package-id", "p:1"],
        ["--address", "a:1"],
        ["--address", "a:1", "--package-id", "p:1", "--tls-cert", "c.pem"],
        ["--address", "a:1", "--package-id", "p:1", "--tls-client-ca", "ca.pem"],
    ],
)
def test_incomplete_configuration_is_refused(
    argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("CHAINCODE_SERVER_ADDRESS", "CHAINCODE_ID", "CORE_CHAINCODE_ID_NAME"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SystemExit):
        parse_args(argv)


# -- the process ----------------------------------------------------------------------------------
def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )


def test_the_pypi_shim_is_never_imported_and_the_root_logger_is_left_alone() -> None:
    result = _python(
        "import logging, sys\n"
        "import chaincode.fabric_service.server\n"
        "from chaincode.fabric_service.server import configure_logging\n"
        "configure_logging('DEBUG')\n"
        "assert not [m for m in sys.modules if m.startswith('fabric_chaincode_python')]\n"
        "root = logging.getLogger()\n"
        "assert root.level == logging.WARNING and not root.handlers, (root.level, root.handlers)\n"
        "assert not logging.getLogger('asyncio').handlers\n"
    )
    assert result.returncode == 0, result.stderr


def test_the_module_serves_until_sigterm(tmp_path: Path) -> None:
    env = {**os.environ, "CHAINCODE_SERVER_ADDRESS": "127.0.0.1:0", "CHAINCODE_ID": PACKAGE_ID}
    with subprocess.Popen(
        [sys.executable, "-m", "chaincode.fabric_service"],
        cwd=REPO,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stderr is not None
            line = process.stderr.readline()
            assert "serving chaincode package" in line, line
            assert PACKAGE_ID in line
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=15) == 0
        finally:
            if process.poll() is None:
                process.kill()
