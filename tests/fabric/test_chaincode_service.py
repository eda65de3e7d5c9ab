"""The chaincode service behind a real Fabric v3.1.5 peer: the PyPI shim's defects, proven fixed.

Everything here goes through the real peer with the ``peer`` CLI, as an organisation's admin from
cryptogen: the contract's event is in the committed transaction (decoded from the block the peer
serves) and reaches the peer's Gateway event stream; a refusal surfaces with our error code; an
exception and an ERROR from the peer are answered at once (the shim left the peer waiting 30 s,
or read the ERROR as a value); the service logs no state values or arguments.

The failure paths cannot be reached through the contract on a healthy network (the contract
turns its own bugs into INTERNAL errors; a healthy peer answers well-formed requests). For them
this module commits a second chaincode definition, ``pharmatrace_faults``, served by a second
instance of the same service started here with ``--test-faults`` and dialled by the regulator's
peer; the network's own deployment is left as it is.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import socket
import subprocess
import sys
import tarfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc  # type: ignore[import-untyped]
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from fabric_protos.common import common_pb2
from fabric_protos.gateway import gateway_pb2
from fabric_protos.msp import identities_pb2
from fabric_protos.peer import (
    chaincode_event_pb2,
    proposal_pb2,
    proposal_response_pb2,
    transaction_pb2,
)

from chaincode.fabric_service import faults
from chaincode.identifiers import check_digit
from network import NetworkConfig, NetworkProfile, Paths
from network.admin import PeerCli, json_output
from network.layout import Layout
from network.topology import CHAINCODE_NODE, PEER_ORGS, Org, endpoint, org_by_key

pytestmark = [pytest.mark.fabric, pytest.mark.slow, pytest.mark.timeout(1800)]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REGULATOR = org_by_key("regulator")
DISTRIBUTOR = org_by_key("distributor")
# A value that must reach the ledger but no log line of the chaincode service.
SECRET = f"Tr4ceSecret{uuid.uuid4().hex[:12]}"
FAULTS_CHAINCODE = "pharmatrace_faults"
# The peer's chaincode execute timeout: what a transaction without a reply costs.
PEER_EXECUTE_TIMEOUT_S = 30.0
PROMPT_S = 10.0  # "well under 30 s", CLI start-up and endorsement included

# Typed views of the untyped generated protobuf modules (no .pyi stubs ship with them).
common: Any = common_pb2
gateway: Any = gateway_pb2
identities: Any = identities_pb2
events_pb: Any = chaincode_event_pb2
proposal_pb: Any = proposal_pb2
response_pb: Any = proposal_response_pb2
transaction_pb: Any = transaction_pb2


def with_check_digit(body: str) -> str:
    return body + str(check_digit(body))


# -- the peer CLI ------------------------------------------------------------------------------
@dataclass(frozen=True)
class CliResult:
    returncode: int
    output: str  # stdout then stderr
    stdout: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def committed(self) -> tuple[str, str]:
        """(txid, validation code) from ``--waitForEvent``'s report."""
        match = re.search(r"txid \[([0-9a-f]+)\] committed with status \((\w+)\)", self.output)
        assert match, f"no commit report in: {self.output[-1500:]}"
        return match.group(1), match.group(2)

    def error_code(self) -> str:
        """Our ContractError code in the peer's endorsement-failure message."""
        assert not self.ok, f"expected a failure, got: {self.output[-1500:]}"
        assert "status:500" in self.output, self.output[-1500:]
        match = re.search(r'\\?"code\\?":\s*\\?"([A-Z_]+)', self.output)
        assert match, f"no error code in: {self.output[-1500:]}"
        return match.group(1)


class ChaincodeCli:
    """``peer chaincode invoke|query`` as an org's admin against that org's peer."""

    def __init__(self, cli: PeerCli, chaincode: str) -> None:
        self.cli = cli
        self.chaincode = chaincode

    def _run(self, argv: list[str], timeout: float = 120.0) -> CliResult:
        started = time.monotonic()
        proc = subprocess.run(
            [str(self.cli.paths.peer), *argv],
            env=self.cli.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        seconds = time.monotonic() - started
        return CliResult(proc.returncode, proc.stdout + proc.stderr, proc.stdout, seconds)

    def _call(self, function: str, body: dict[str, Any] | None) -> list[str]:
        args = [function] if body is None else [function, json.dumps(body)]
        channel = self.cli.config.channel
        return ["-C", channel, "-n", self.chaincode, "-c", json.dumps({"Args": args})]

    def invoke(self, function: str, body: dict[str, Any] | None = None) -> CliResult:
        return self._run(
            [
                "chaincode", "invoke", *self.cli.orderer_args(), *self._call(function, body),
                "--waitForEvent", "--waitForEventTimeout", "60s",
            ]
        )  # fmt: skip

    def query(self, function: str, body: dict[str, Any] | None = None) -> CliResult:
        return self._run(["chaincode", "query", *self._call(function, body)])

    def query_json(self, function: str, body: dict[str, Any] | None = None) -> Any:
        result = self.query(function, body)
        assert result.ok, result.output[-1500:]
        return json.loads(result.stdout)


def peer_cli(paths: Paths, layout: Layout, config: NetworkConfig, org: Org) -> PeerCli:
    return PeerCli(paths, layout, config, org)


@pytest.fixture(scope="module")
def regulator(
    fabric_network: NetworkProfile, fabric_paths: Paths, fabric_layout: Layout,
    fabric_config: NetworkConfig,
) -> ChaincodeCli:  # fmt: skip
    cli = peer_cli(fabric_paths, fabric_layout, fabric_config, REGULATOR)
    return ChaincodeCli(cli, fabric_config.chaincode_name)


@pytest.fixture(scope="module")
def bootstrapped(regulator: ChaincodeCli) -> None:
    """The channel's regulator registered (by whichever test came first)."""
    probe = regulator.query("GetOrganization", {"msp_id": REGULATOR.msp_id})
    if probe.ok:
        return
    assert probe.error_code() == "UNKNOWN_ORGANIZATION", probe.output[-1500:]
    body = {
        "msp_id": REGULATOR.msp_id,
        "role": "regulator",
        "name": "National Medicines Regulator",
        "gln": with_check_digit("400123400000"),
    }
    result = regulator.invoke("RegisterOrganization", body)
    assert result.ok or result.error_code() == "ORGANIZATION_EXISTS", result.output[-1500:]


@dataclass(frozen=True)
class Registration:
    msp_id: str
    txid: str
    record: dict[str, Any]


@pytest.fixture(scope="module")
def registration(regulator: ChaincodeCli, bootstrapped: None) -> Registration:
    """A fresh organisation registered by the regulator: a submit with writes and an event.

    Suspended, so that it can take part in nothing the other tests do.
    """
    msp_id = f"CcSvcTest{uuid.uuid4().hex[:8]}MSP"
    body = {
        "msp_id": msp_id,
        "role": "distributor",
        "name": f"{SECRET} Logistics",
        "address": f"{SECRET} street 1",
        "gln": with_check_digit("400123409999"),
        "licence_status": "suspended",
    }
    result = regulator.invoke("RegisterOrganization", body)
    assert result.ok, result.output[-2000:]
    txid, validation = result.committed()
    assert validation == "VALID"
    record = regulator.query_json("GetOrganization", {"msp_id": msp_id})
    return Registration(msp_id, txid, record)


# -- the event in the committed block ------------------------------------------------------------
@dataclass(frozen=True)
class CommittedTransaction:
    block_number: int
    validation_code: int
    event: Any  # protos.ChaincodeEvent
    response: Any  # protos.Response the chaincode returned


def committed_transaction(regulator: ChaincodeCli, txid: str) -> CommittedTransaction:
    """The transaction as committed, from the block the peer serves (qscc GetBlockByTxID)."""
    channel = regulator.cli.config.channel
    qscc = ChaincodeCli(regulator.cli, "qscc")
    result = qscc._run(
        ["chaincode", "query", "--hex", "-C", channel, "-n", "qscc",
         "-c", json.dumps({"Args": ["GetBlockByTxID", channel, txid]})]
    )  # fmt: skip
    assert result.ok, result.output[-1500:]
    block = common.Block.FromString(bytes.fromhex(result.stdout.strip()))
    flags = block.metadata.metadata[common.BlockMetadataIndex.Value("TRANSACTIONS_FILTER")]
    for index, raw in enumerate(block.data.data):
        payload = common.Payload.FromString(common.Envelope.FromString(raw).payload)
        header = common.ChannelHeader.FromString(payload.header.channel_header)
        if header.tx_id != txid:
            continue
        transaction = transaction_pb.Transaction.FromString(payload.data)
        action_payload = transaction_pb.ChaincodeActionPayload.FromString(
            transaction.actions[0].payload
        )
        response_payload = response_pb.ProposalResponsePayload.FromString(
            action_payload.action.proposal_response_payload
        )
        action = proposal_pb.ChaincodeAction.FromString(response_payload.extension)
        return CommittedTransaction(
            block_number=int(block.header.number),
            validation_code=int(flags[index]),
            event=events_pb.ChaincodeEvent.FromString(action.events),
            response=action.response,
        )
    raise AssertionError(f"transaction {txid} is not in the block the peer returned")


def test_the_event_is_in_the_committed_transaction(
    regulator: ChaincodeCli, registration: Registration
) -> None:
    committed = committed_transaction(regulator, registration.txid)
    assert committed.validation_code == transaction_pb.TxValidationCode.Value("VALID")
    assert committed.response.status == 200
    assert json.loads(committed.response.payload) == registration.record
    event = committed.event
    assert event.event_name == "OrganizationRegistered"  # the shim sent no event at all
    assert event.chaincode_id == regulator.chaincode  # filled in by the peer
    assert event.tx_id == registration.txid
    payload = json.loads(event.payload)
    assert payload["organization"] == registration.record
    assert payload["tx_id"] == registration.txid
    assert payload["actor"] == REGULATOR.msp_id  # the creator, from the signed proposal


def _sign(key_pem: bytes, message: bytes) -> bytes:
    """ECDSA P-256 / SHA-256, DER, low-S as Fabric requires."""
    key = serialization.load_pem_private_key(key_pem, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    r, s = decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    return encode_dss_signature(r, min(s, order - s))


def test_the_event_reaches_the_gateway_event_stream(
    fabric_network: NetworkProfile, regulator: ChaincodeCli, registration: Registration
) -> None:
    """What the indexer will listen to: the peer Gateway's ChaincodeEvents stream."""
    block_number = committed_transaction(regulator, registration.txid).block_number
    org = fabric_network.org(REGULATOR.msp_id)
    identity = identities.SerializedIdentity(
        mspid=org.msp_id, id_bytes=Path(org.user_cert).read_bytes()
    )
    request = gateway.ChaincodeEventsRequest(
        channel_id=fabric_network.channel,
        chaincode_id=fabric_network.chaincode,
        identity=identity.SerializeToString(),
    )
    request.start_position.specified.number = block_number
    raw = request.SerializeToString()
    signed = gateway.SignedChaincodeEventsRequest(
        request=raw, signature=_sign(Path(org.user_key).read_bytes(), raw)
    )
    credentials = grpc.ssl_channel_credentials(Path(org.tls_root_cert).read_bytes())
    options = [("grpc.ssl_target_name_override", org.peer_host_alias)]
    with grpc.secure_channel(org.peer_endpoint, credentials, options=options) as channel:
        stream = channel.unary_stream(
            "/gateway.Gateway/ChaincodeEvents",
            request_serializer=gateway.SignedChaincodeEventsRequest.SerializeToString,
            response_deserializer=gateway.ChaincodeEventsResponse.FromString,
        )(signed, timeout=30)
        try:
            first = next(iter(stream))
        finally:
            stream.cancel()
    assert first.block_number == block_number
    ours = [e for e in first.events if e.tx_id == registration.txid]
    assert len(ours) == 1
    assert ours[0].event_name == "OrganizationRegistered"
    assert json.loads(ours[0].payload)["organization"]["msp_id"] == registration.msp_id


# -- reads through the real peer -----------------------------------------------------------------
def test_range_and_history_reads_through_the_peer(
    regulator: ChaincodeCli, registration: Registration
) -> None:
    listed = regulator.query_json("ListOrganizations")  # GET_STATE_BY_RANGE, U+10FFFF end key
    assert registration.record in listed
    assert REGULATOR.msp_id in {o["msp_id"] for o in listed}
    history = regulator.query_json("GetHistory", {"kind": "org", "msp_id": registration.msp_id})
    assert [(h["tx_id"], h["value"]) for h in history] == [(registration.txid, registration.record)]


def test_concurrent_transactions_on_the_peer_stream(
    regulator: ChaincodeCli, registration: Registration
) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(
            pool.map(
                lambda _: regulator.query("GetOrganization", {"msp_id": registration.msp_id}),
                range(16),
            )
        )
    assert all(r.ok for r in results), [r.output[-500:] for r in results if not r.ok]
    assert all(json.loads(r.stdout) == registration.record for r in results)


# -- refusals ----------------------------------------------------------------------------------
def test_a_refused_query_surfaces_with_our_code(
    regulator: ChaincodeCli, bootstrapped: None
) -> None:
    result = regulator.query("GetOrganization", {"msp_id": f"{SECRET}MSP"})
    assert result.error_code() == "UNKNOWN_ORGANIZATION"
    assert result.seconds < PROMPT_S


def test_a_refused_submit_surfaces_with_our_code_and_is_not_ordered(
    regulator: ChaincodeCli, registration: Registration
) -> None:
    body = {**registration.record, "name": f"{SECRET} again"}
    body = {k: body[k] for k in ("msp_id", "role", "name", "gln")}
    result = regulator.invoke("RegisterOrganization", body)
    assert result.error_code() == "ORGANIZATION_EXISTS"
    assert "endorsement failure" in result.output
    assert result.seconds < PROMPT_S


def test_an_unregistered_caller_is_refused(
    fabric_paths: Paths, fabric_layout: Layout, fabric_config: NetworkConfig, bootstrapped: None
) -> None:
    distributor_cli = peer_cli(fabric_paths, fabric_layout, fabric_config, DISTRIBUTOR)
    distributor = ChaincodeCli(distributor_cli, fabric_config.chaincode_name)
    body = {"gtin": with_check_digit("0401234000001"), "name": SECRET}
    result = distributor.invoke("RegisterProduct", body)
    # Unregistered unless another test registered it; then not a manufacturer, or not licensed.
    codes = {"UNKNOWN_ORGANIZATION", "FORBIDDEN_ROLE", "ORGANIZATION_NOT_LICENSED"}
    assert result.error_code() in codes


# -- failure paths, through a fault-enabled instance of the service ------------------------------
def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tar_gz(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _committed_sequence(cli: PeerCli, name: str) -> int:
    out = cli.run(
        "lifecycle", "chaincode", "querycommitted", "--channelID", cli.config.channel,
        "--output", "json",
    )  # fmt: skip
    for definition in json_output(out or "{}").get("chaincode_definitions") or []:
        if definition.get("name") == name:
            return int(definition.get("sequence", 0))
    return 0


@dataclass(frozen=True)
class FaultService:
    chaincode: ChaincodeCli
    log: Path


@pytest.fixture(scope="module")
def fault_service(
    fabric_network: NetworkProfile,
    fabric_paths: Paths,
    fabric_layout: Layout,
    fabric_config: NetworkConfig,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[FaultService]:
    """``pharmatrace_faults``: the same service with --test-faults, endorsed by the regulator."""
    work = tmp_path_factory.mktemp("fault-chaincode")
    port = _free_port()
    connection = {"address": endpoint(port), "dial_timeout": "10s", "tls_required": False}
    label = f"{FAULTS_CHAINCODE}_{port}"
    package = _tar_gz(
        {
            "metadata.json": json.dumps({"type": "ccaas", "label": label}).encode(),
            "code.tar.gz": _tar_gz({"connection.json": json.dumps(connection).encode()}),
        }
    )
    package_file = work / f"{label}.tar.gz"
    package_file.write_bytes(package)
    package_id = f"{label}:{hashlib.sha256(package).hexdigest()}"

    log = work / "fault-chaincode.log"
    with log.open("w") as log_file:
        service = subprocess.Popen(
            [
                sys.executable, "-m", "chaincode.fabric_service", "--address", endpoint(port),
                "--package-id", package_id, "--test-faults",
            ],
            cwd=PROJECT_ROOT, stdout=log_file, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        regulator_cli = peer_cli(fabric_paths, fabric_layout, fabric_config, REGULATOR)
        regulator_cli.run("lifecycle", "chaincode", "install", str(package_file))
        sequence = _committed_sequence(regulator_cli, FAULTS_CHAINCODE) + 1
        definition = [
            "--channelID", fabric_config.channel, "--name", FAULTS_CHAINCODE,
            "--version", "1", "--sequence", str(sequence),
            "--signature-policy", f"OR('{REGULATOR.msp_id}.peer')",
        ]  # fmt: skip
        for org in PEER_ORGS:  # the lifecycle policy is MAJORITY: every org approves
            cli = peer_cli(fabric_paths, fabric_layout, fabric_config, org)
            cli.run(
                "lifecycle", "chaincode", "approveformyorg", *cli.orderer_args(),
                "--package-id", package_id, *definition, retry_s=30,
            )  # fmt: skip
        peers: list[str] = []
        for org in PEER_ORGS:
            peers += ["--peerAddresses", endpoint(fabric_config.peer_ports(org).listen)]
            peers += ["--tlsRootCertFiles", str(fabric_layout.org_tls_ca(org))]
        regulator_cli.run(
            "lifecycle", "chaincode", "commit", *regulator_cli.orderer_args(), *definition,
            *peers, retry_s=30,
        )  # fmt: skip
        assert service.poll() is None, log.read_text()
        yield FaultService(ChaincodeCli(regulator_cli, FAULTS_CHAINCODE), log)
    finally:
        service.terminate()
        try:
            service.wait(timeout=15)
        except subprocess.TimeoutExpired:
            service.kill()
            service.wait()


def _invoke_until_launched(chaincode: ChaincodeCli, function: str) -> CliResult:
    """The first call makes the peer build (ccaas) and dial the service: allow that once."""
    deadline = time.monotonic() + 60
    while True:
        result = chaincode.invoke(function)
        launching = "could not launch chaincode" in result.output or "Unavailable" in result.output
        if not launching or time.monotonic() > deadline:
            return result
        time.sleep(1)


def test_an_exception_is_answered_at_once_not_after_the_peer_timeout(
    fault_service: FaultService,
) -> None:
    _invoke_until_launched(fault_service.chaincode, faults.RAISE)  # warm: peer dials us
    result = fault_service.chaincode.invoke(faults.RAISE)
    assert result.error_code() == "INTERNAL"
    assert "RuntimeError" in result.output
    assert result.seconds < PROMPT_S < PEER_EXECUTE_TIMEOUT_S
    assert "timeout expired while executing transaction" not in result.output


@pytest.mark.parametrize("fault", [faults.PEER_ERROR, faults.PEER_ERROR_SWALLOWED])
def test_an_error_from_the_real_peer_fails_the_transaction(
    fault_service: FaultService, fault: str
) -> None:
    """The fault asks the real peer for the next page of an iterator it does not have; the peer
    answers ERROR. Read as a success (the shim's bug), the invoke would succeed."""
    result = _invoke_until_launched(fault_service.chaincode, fault)
    assert result.error_code() == "INTERNAL"
    assert "PeerError" in result.output
    assert result.seconds < PROMPT_S


# -- logs ------------------------------------------------------------------------------------------
def test_the_service_logs_carry_no_state_values_or_arguments(
    fabric_layout: Layout,
    registration: Registration,
    fault_service: FaultService,
) -> None:
    # Runs last in this module: every call above put SECRET into arguments, state or events.
    main_log = fabric_layout.log_file(CHAINCODE_NODE).read_text(errors="replace")
    fault_log = fault_service.log.read_text(errors="replace")
    assert registration.txid[:8] in main_log  # this is the log that served the transactions
    assert "registered with the peer" in main_log
    assert "PeerError" in fault_log
    assert "RuntimeError" in fault_log
    for log in (main_log, fault_log):
        assert SECRET not in log
        assert SECRET.lower() not in log.lower()
        assert registration.msp_id not in log  # an argument and a key, never logged
