"""The chaincode protocol handler against an in-process fake peer.

Each defect found in the PyPI shim (fabric-chaincode-python 2.5.4) has a test here: the event
reaches the COMPLETED message, an ERROR from the peer fails the transaction, an exception is
answered at once, and nothing logs state values or arguments.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from datetime import timedelta
from typing import Any

import pytest

from chaincode import canonical
from chaincode.context import ORG
from chaincode.errors import ContractError, ErrorCode
from chaincode.fabric_service import _protos as pb
from chaincode.fabric_service import faults
from chaincode.fabric_service.handler import HandlerState, ProtocolError
from chaincode.fabric_service.stub import PeerError
from chaincode.stub import ChaincodeStub, create_composite_key
from tests.unit.chaincode_service.fake_peer import (
    CHANNEL,
    PACKAGE_ID,
    T0,
    FakePeer,
    HistoryEntry,
    Message,
    organization_body,
    ready_message,
    response_of,
    transaction_message,
)

pytestmark = pytest.mark.unit

REGULATOR = "RegulatorMSP"


@pytest.fixture
def peer() -> Any:
    fake = FakePeer()
    fake.register()
    yield fake
    fake.close()


def bootstrap(peer: FakePeer, txid: str = "tx-bootstrap", **extra: Any) -> Message:
    """The channel's first transaction: the regulator registers itself."""
    body = organization_body(REGULATOR, "regulator", name="National Regulator", **extra)
    completed = peer.invoke(txid, "RegisterOrganization", json.dumps(body), msp_id=REGULATOR)
    peer.commit(txid)
    return completed


def state_of(fake: FakePeer) -> HandlerState:
    return fake.handler.state


def wire_error(response: Message) -> ContractError:
    assert response.status == 500
    assert response.payload == b""
    return ContractError.from_wire(response.message)


class Behaviour:
    """A contract double: runs a function of the stub."""

    def __init__(self, behaviour: Any) -> None:
        self.behaviour = behaviour

    def invoke(self, stub: ChaincodeStub, function: str, parameters: list[str]) -> bytes:
        result: bytes = self.behaviour(stub)
        return result


# -- registration ------------------------------------------------------------------------------
def test_registration_handshake() -> None:
    fake = FakePeer()
    fake.handler.start()
    register = fake.receive()
    assert register.type == pb.REGISTER
    assert pb.chaincode.ChaincodeID.FromString(register.payload).name == PACKAGE_ID
    assert state_of(fake) is HandlerState.CREATED
    fake.send(pb.shim.ChaincodeMessage(type=pb.REGISTERED))
    assert state_of(fake) is HandlerState.ESTABLISHED
    fake.send(ready_message())
    assert state_of(fake) is HandlerState.READY
    assert fake.inbox.empty()  # nothing else is sent during the handshake


def test_a_refused_registration_ends_the_stream() -> None:
    fake = FakePeer()
    fake.handler.start()
    fake.receive()
    with pytest.raises(ProtocolError):
        fake.send(pb.shim.ChaincodeMessage(type=pb.ERROR, payload=b"unknown package id"))


def test_a_transaction_before_ready_is_a_protocol_error() -> None:
    fake = FakePeer()
    fake.handler.start()
    fake.receive()
    fake.send(pb.shim.ChaincodeMessage(type=pb.REGISTERED))
    with pytest.raises(ProtocolError):
        fake.send(transaction_message("tx-early", [b"ListOrganizations"]))
    error = fake.receive()
    assert (error.type, error.txid, error.channel_id) == (pb.ERROR, "tx-early", CHANNEL)


# -- a transaction end to end ----------------------------------------------------------------
def test_a_submit_reads_writes_and_its_event_travels_on_completed(peer: FakePeer) -> None:
    body = organization_body(REGULATOR, "regulator", name="National Regulator")
    completed = peer.invoke("tx-1", "RegisterOrganization", json.dumps(body), msp_id=REGULATOR)

    assert (completed.type, completed.txid, completed.channel_id) == (pb.COMPLETED, "tx-1", CHANNEL)
    response = response_of(completed)
    assert response.status == 200
    record = json.loads(response.payload)
    assert record["msp_id"] == REGULATOR
    assert record["registered_at"] == "2026-01-05T09:30:15.123Z"  # the proposal's timestamp
    # The event is on the message itself, where the peer looks for it (the shim dropped it).
    assert completed.HasField("chaincode_event")
    event = completed.chaincode_event
    assert event.event_name == "OrganizationRegistered"
    assert json.loads(event.payload)["organization"] == record
    assert json.loads(event.payload)["tx_id"] == "tx-1"
    assert json.loads(event.payload)["actor"] == REGULATOR  # the creator from the proposal
    # Every request was tagged with the transaction and its channel.
    assert {(r.txid, r.channel_id) for r in peer.requests} == {("tx-1", CHANNEL)}
    kinds = [r.type for r in peer.requests]
    assert kinds.count(pb.GET_STATE) >= 2
    assert kinds.count(pb.PUT_STATE) == 2  # the organization and the bootstrap marker
    assert peer.writes["tx-1"][create_composite_key(ORG, [REGULATOR])] == canonical.dumps(record)


def test_a_query_returns_the_committed_record(peer: FakePeer) -> None:
    bootstrap(peer)
    completed = peer.invoke("tx-q", "GetOrganization", json.dumps({"msp_id": REGULATOR}))
    response = response_of(completed)
    assert response.status == 200
    assert json.loads(response.payload)["name"] == "National Regulator"
    assert not completed.HasField("chaincode_event")


def test_init_is_run_like_a_transaction(peer: FakePeer) -> None:
    peer.send(transaction_message("tx-init", [b"ListOrganizations", b"{}"], kind=pb.INIT))
    assert response_of(peer.serve("tx-init")).status == 200


# -- refusals and failures -------------------------------------------------------------------
def test_a_refusal_is_completed_with_status_500_and_the_wire_json(peer: FakePeer) -> None:
    completed = peer.invoke("tx-r", "GetOrganization", json.dumps({"msp_id": "NobodyMSP"}))
    assert completed.type == pb.COMPLETED  # as the Go shim reports a chaincode error
    response = response_of(completed)
    assert response.status == 500
    assert json.loads(response.message) == {
        "code": "UNKNOWN_ORGANIZATION",
        "message": "NobodyMSP is not registered.",
    }
    assert not completed.HasField("chaincode_event")


def test_an_unknown_function_is_refused(peer: FakePeer) -> None:
    error = wire_error(response_of(peer.invoke("tx-u", "NoSuchThing", "{}")))
    assert error.code is ErrorCode.UNKNOWN_FUNCTION


def test_arguments_that_are_not_utf8_are_refused(peer: FakePeer) -> None:
    peer.send(transaction_message("tx-b", [b"GetOrganization", b"\xff\xfe"]))
    assert wire_error(response_of(peer.serve("tx-b"))).code is ErrorCode.INVALID_ARGUMENT


def test_an_unexpected_exception_is_answered_at_once() -> None:
    def crash(stub: ChaincodeStub) -> bytes:
        stub.get_state("k")
        raise RuntimeError("a bug outside the contract's guard")

    fake = FakePeer(contract=Behaviour(crash))
    fake.register()
    started = time.monotonic()
    completed = fake.invoke("tx-x", "Anything")
    elapsed = time.monotonic() - started
    error = wire_error(response_of(completed))
    assert error.code is ErrorCode.INTERNAL
    assert "RuntimeError" in error.message
    assert elapsed < 1.0  # the shim sent nothing and the peer waited 30 s
    fake.close()


def test_even_a_base_exception_gets_a_reply() -> None:
    class Escape(BaseException):
        pass

    def escape(stub: ChaincodeStub) -> bytes:
        raise Escape

    fake = FakePeer(contract=Behaviour(escape))
    fake.register()
    assert wire_error(response_of(fake.invoke("tx-e", "Anything"))).code is ErrorCode.INTERNAL
    fake.close()


def test_a_missing_proposal_fails_the_transaction_without_hanging(peer: FakePeer) -> None:
    message = pb.shim.ChaincodeMessage(
        type=pb.TRANSACTION,
        payload=pb.chaincode.ChaincodeInput(args=[b"ListOrganizations"]).SerializeToString(),
        txid="tx-np",
        channel_id=CHANNEL,
    )
    peer.send(message)
    assert wire_error(response_of(peer.serve("tx-np"))).code is ErrorCode.INTERNAL


# -- ERROR from the peer is a failure, never a value -----------------------------------------
def test_a_peer_error_on_get_state_fails_the_transaction(peer: FakePeer) -> None:
    bootstrap(peer)
    # An ERROR whose text is a valid organization record: the shim would have returned it as
    # the state value and answered 200 with it.
    forged = canonical.dumps({"msp_id": REGULATOR, "name": "Forged", "licence_status": "active"})
    peer.error_rules.append(lambda request: forged if request.type == pb.GET_STATE else None)
    completed = peer.invoke("tx-pe", "GetOrganization", json.dumps({"msp_id": REGULATOR}))
    error = wire_error(response_of(completed))
    assert error.code is ErrorCode.INTERNAL
    assert "PeerError" in error.message
    assert b"Forged" not in completed.payload


def test_a_peer_error_on_put_state_fails_the_transaction_and_drops_its_event(
    peer: FakePeer,
) -> None:
    peer.error_rules.append(lambda r: b"write refused" if r.type == pb.PUT_STATE else None)
    body = organization_body(REGULATOR, "regulator")
    completed = peer.invoke("tx-pw", "RegisterOrganization", json.dumps(body))
    assert wire_error(response_of(completed)).code is ErrorCode.INTERNAL
    assert not completed.HasField("chaincode_event")


def test_a_swallowed_peer_error_still_fails_the_transaction() -> None:
    def swallow(stub: ChaincodeStub) -> bytes:
        with contextlib.suppress(PeerError):
            stub.get_state("k")
        return b'"fine"'

    fake = FakePeer(contract=Behaviour(swallow))
    fake.register()
    fake.error_rules.append(lambda request: b"no")
    error = wire_error(response_of(fake.invoke("tx-s", "Anything")))
    assert error.code is ErrorCode.INTERNAL
    fake.close()


def test_a_refusal_after_a_swallowed_peer_error_reports_the_peer_error() -> None:
    def swallow_then_refuse(stub: ChaincodeStub) -> bytes:
        with contextlib.suppress(PeerError):
            stub.get_state("k")
        raise ContractError(ErrorCode.UNKNOWN_BATCH, "No batch.")

    fake = FakePeer(contract=Behaviour(swallow_then_refuse))
    fake.register()
    fake.error_rules.append(lambda request: b"no")
    error = wire_error(response_of(fake.invoke("tx-sr", "Anything")))
    assert error.code is ErrorCode.INTERNAL
    assert "PeerError" in error.message
    fake.close()


def test_no_answer_from_the_peer_times_out_into_an_error() -> None:
    fake = FakePeer(handler_options={"peer_timeout": 0.2})
    fake.register()
    fake.send(transaction_message("tx-t", [b"GetOrganization", b'{"msp_id": "AMSP"}']))
    request = fake.receive()
    assert request.type == pb.GET_STATE  # ... and the fake never answers it
    error = wire_error(response_of(fake.receive(timeout=2)))
    assert error.code is ErrorCode.INTERNAL
    assert "PeerTimeoutError" in error.message
    fake.close()


# -- test faults (for the real-network tests) ------------------------------------------------
def test_faults_are_off_by_default(peer: FakePeer) -> None:
    error = wire_error(response_of(peer.invoke("tx-f0", faults.RAISE)))
    assert error.code is ErrorCode.UNKNOWN_FUNCTION


@pytest.mark.parametrize("fault", [faults.RAISE, faults.PEER_ERROR, faults.PEER_ERROR_SWALLOWED])
def test_each_fault_fails_with_internal_when_enabled(fault: str) -> None:
    fake = FakePeer(handler_options={"test_faults": True})
    fake.register()
    error = wire_error(response_of(fake.invoke("tx-f", fault)))
    assert error.code is ErrorCode.INTERNAL
    fake.close()


# -- ranges and history -------------------------------------------------------------------------
def test_a_composite_key_range_pages_through_the_peer_iterator(peer: FakePeer) -> None:
    records = {f"Org{i:03d}MSP": {"msp_id": f"Org{i:03d}MSP", "n": i} for i in range(250)}
    for msp_id, record in records.items():
        peer.state[create_composite_key(ORG, [msp_id])] = canonical.dumps(record)
    peer.state[create_composite_key("orgx", ["NotAnOrg"])] = b'{"outside": true}'
    peer.state["org"] = b'{"simple key": true}'

    completed = peer.invoke("tx-l", "ListOrganizations", "{}")
    assert json.loads(response_of(completed).payload) == [records[k] for k in sorted(records)]
    ranges = [r for r in peer.requests if r.type == pb.GET_STATE_BY_RANGE]
    assert len(ranges) == 1
    query = pb.shim.GetStateByRange.FromString(ranges[0].payload)
    assert query.startKey == "\x00org\x00"
    assert query.endKey == "\x00org\x00\U0010ffff"  # Fabric's partial composite key range
    assert query.collection == ""
    assert [r.type for r in peer.requests].count(pb.QUERY_STATE_NEXT) == 2  # 100 + 100 + 50


def test_a_failed_page_closes_the_peer_iterator(peer: FakePeer) -> None:
    for i in range(150):
        peer.state[create_composite_key(ORG, [f"Org{i:03d}MSP"])] = b"{}"
    peer.error_rules.append(lambda r: b"gone" if r.type == pb.QUERY_STATE_NEXT else None)
    completed = peer.invoke("tx-fp", "ListOrganizations", "{}")
    assert wire_error(response_of(completed)).code is ErrorCode.INTERNAL
    assert peer.requests[-1].type == pb.QUERY_STATE_CLOSE


def test_history_comes_from_the_peer_oldest_first(peer: FakePeer) -> None:
    key = create_composite_key(ORG, [REGULATOR])
    first = {"msp_id": REGULATOR, "licence_status": "active"}
    second = {"msp_id": REGULATOR, "licence_status": "suspended"}
    peer.history[key] = [
        HistoryEntry("tx-a", T0, canonical.dumps(first)),
        HistoryEntry("tx-b", T0 + timedelta(seconds=5), canonical.dumps(second)),
        HistoryEntry("tx-c", T0 + timedelta(seconds=9), b"", is_delete=True),
    ]
    body = json.dumps({"kind": ORG, "msp_id": REGULATOR})
    history = json.loads(response_of(peer.invoke("tx-h", "GetHistory", body)).payload)
    assert history == [
        {"tx_id": "tx-a", "at": "2026-01-05T09:30:15.123Z", "is_delete": False, "value": first},
        {"tx_id": "tx-b", "at": "2026-01-05T09:30:20.123Z", "is_delete": False, "value": second},
        {"tx_id": "tx-c", "at": "2026-01-05T09:30:24.123Z", "is_delete": True, "value": None},
    ]


# -- concurrency ------------------------------------------------------------------------------
def test_concurrent_transactions_interleave_on_one_stream(peer: FakePeer) -> None:
    for msp_id, name in (("AMSP", "Alpha"), ("BMSP", "Beta")):
        record = {"msp_id": msp_id, "name": name}
        peer.state[create_composite_key(ORG, [msp_id])] = canonical.dumps(record)
    peer.send(transaction_message("tx-A", [b"GetOrganization", b'{"msp_id": "AMSP"}']))
    peer.send(transaction_message("tx-B", [b"GetOrganization", b'{"msp_id": "BMSP"}']))
    # Both transactions are waiting for the peer at the same time ...
    first, second = peer.receive(), peer.receive()
    assert {first.txid, second.txid} == {"tx-A", "tx-B"}
    assert first.type == second.type == pb.GET_STATE
    # ... and each answer reaches its own transaction, whatever the order.
    by_txid = {first.txid: first, second.txid: second}
    peer.answer(by_txid["tx-B"])
    done_b = peer.serve("tx-B")
    peer.answer(by_txid["tx-A"])
    done_a = peer.serve("tx-A")
    assert json.loads(response_of(done_a).payload)["name"] == "Alpha"
    assert json.loads(response_of(done_b).payload)["name"] == "Beta"


def test_many_concurrent_transactions_each_get_their_own_answer(peer: FakePeer) -> None:
    count = 12
    for i in range(count):
        record = {"msp_id": f"O{i}MSP", "name": f"Org {i}"}
        peer.state[create_composite_key(ORG, [f"O{i}MSP"])] = canonical.dumps(record)
    for i in range(count):
        body = json.dumps({"msp_id": f"O{i}MSP"}).encode()
        peer.send(transaction_message(f"tx-{i}", [b"GetOrganization", body]))
    requests = [peer.receive() for _ in range(count)]  # all in flight before any answer
    assert sorted(r.txid for r in requests) == sorted(f"tx-{i}" for i in range(count))
    for request in reversed(requests):
        peer.answer(request)
    results = {}
    for _ in range(count):
        completed = peer.receive()
        results[completed.txid] = json.loads(response_of(completed).payload)["name"]
    assert results == {f"tx-{i}": f"Org {i}" for i in range(count)}


def test_the_same_txid_on_two_channels_are_two_transactions(peer: FakePeer) -> None:
    peer.send(transaction_message("tx-same", [b"ListOrganizations", b"{}"], channel="one"))
    peer.send(transaction_message("tx-same", [b"ListOrganizations", b"{}"], channel="two"))
    completed: list[Message] = []
    while len(completed) < 2:
        message = peer.receive()
        if message.type == pb.COMPLETED:
            completed.append(message)
        else:
            peer.answer(message)
    assert sorted(m.channel_id for m in completed) == ["one", "two"]
    assert all(response_of(m).status == 200 for m in completed)


def test_a_duplicate_running_transaction_is_refused(peer: FakePeer) -> None:
    message = transaction_message("tx-d", [b"ListOrganizations", b"{}"])
    peer.send(message)
    request = peer.receive()  # the first is waiting for the peer
    peer.send(message)
    refusal = peer.receive()
    assert (refusal.type, refusal.txid) == (pb.ERROR, "tx-d")
    peer.answer(request)
    assert response_of(peer.serve("tx-d")).status == 200


# -- keepalive, stray messages, closing -------------------------------------------------------
def test_keepalive_is_answered(peer: FakePeer) -> None:
    peer.send(pb.shim.ChaincodeMessage(type=pb.KEEPALIVE))
    assert peer.receive().type == pb.KEEPALIVE


def test_keepalive_is_answered_before_ready() -> None:
    fake = FakePeer()
    fake.handler.start()
    fake.receive()
    fake.send(pb.shim.ChaincodeMessage(type=pb.KEEPALIVE))
    assert fake.receive().type == pb.KEEPALIVE
    assert fake.handler.state is HandlerState.CREATED


def test_a_stray_message_while_ready_is_answered_with_error(peer: FakePeer) -> None:
    peer.send(pb.shim.ChaincodeMessage(type=pb.GET_STATE, txid="tx-z", channel_id=CHANNEL))
    reply = peer.receive()
    assert (reply.type, reply.txid) == (pb.ERROR, "tx-z")
    assert peer.handler.state is HandlerState.READY  # the stream goes on


def test_a_response_for_no_waiting_request_is_ignored(peer: FakePeer) -> None:
    peer.send(pb.shim.ChaincodeMessage(type=pb.RESPONSE, txid="tx-none", channel_id=CHANNEL))
    assert response_of(peer.invoke("tx-after", "ListOrganizations", "{}")).status == 200


def test_closing_the_stream_releases_a_waiting_transaction() -> None:
    fake = FakePeer()
    fake.register()
    finished = threading.Event()
    original = fake.handler._finish

    def finish(message: Message, outcome: Any) -> None:
        original(message, outcome)
        finished.set()

    fake.handler._finish = finish  # type: ignore[method-assign]
    fake.send(transaction_message("tx-c", [b"ListOrganizations", b"{}"]))
    assert fake.receive().type == pb.GET_STATE_BY_RANGE  # ... never answered
    fake.close()
    assert finished.wait(2)  # the worker was woken, not left waiting for an answer
    assert fake.handler.closed


def test_a_transaction_after_close_is_not_run() -> None:
    fake = FakePeer()
    fake.register()
    fake.close()
    with pytest.raises(ProtocolError):
        fake.send(transaction_message("tx-late", [b"ListOrganizations"]))


# -- logging -----------------------------------------------------------------------------------
SECRET = "Zyxwv-SECRET-7731"


def test_no_state_value_or_argument_reaches_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # everything, from every logger

    def crash_with_data(stub: ChaincodeStub) -> bytes:
        value = stub.get_state("k")
        raise RuntimeError(f"bad value {value!r}")  # an exception message holding a value

    fake = FakePeer(handler_options={"test_faults": True})
    fake.register()
    # A submit whose arguments, writes and event carry the secret; a refusal whose message
    # carries it; a query returning it; a peer ERROR carrying it; an exception holding it.
    body = organization_body(REGULATOR, "regulator", name=SECRET, address=f"{SECRET} street")
    assert response_of(fake.invoke("tx-1", "RegisterOrganization", json.dumps(body))).status == 200
    fake.commit("tx-1")
    fake.invoke("tx-2", "GetOrganization", json.dumps({"msp_id": REGULATOR}))
    fake.invoke("tx-3", "GetOrganization", json.dumps({"msp_id": SECRET + "MSP"}))
    fake.invoke("tx-4", f"{SECRET}Function", json.dumps({"x": SECRET}))
    fake.error_rules.append(lambda request: SECRET.encode())
    fake.invoke("tx-5", "GetOrganization", json.dumps({"msp_id": REGULATOR}))
    fake.invoke("tx-6", faults.PEER_ERROR)
    fake.close()
    crasher = FakePeer(contract=Behaviour(crash_with_data))
    crasher.register()
    crasher.state["k"] = SECRET.encode()
    crasher.invoke("tx-7", "Anything")
    crasher.close()

    assert caplog.records, "the handler should log something"
    everything = "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''} {r.stack_info or ''}" for r in caplog.records
    )
    assert SECRET not in everything
    assert SECRET.lower() not in everything.lower()
    assert "tx-1" in everything  # transactions are logged, by id


def test_the_package_logs_only_on_its_own_logger(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    root_level = logging.getLogger().level
    fake = FakePeer()
    fake.register()
    fake.invoke("tx-1", "ListOrganizations", "{}")
    fake.close()
    assert {r.name for r in caplog.records} == {"pharmatrace.chaincode"}
    assert logging.getLogger().level == root_level
