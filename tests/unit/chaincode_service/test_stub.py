"""The stub's own rules: proposal decoding, key checks, the event, request tagging."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chaincode.fabric_service import _protos as pb
from chaincode.fabric_service.stub import (
    FabricStub,
    PeerError,
    ProposalError,
    decode_proposal,
    timestamp_to_datetime,
)
from tests.unit.chaincode_service.fake_peer import FAKE_PEM, T0, signed_proposal

pytestmark = pytest.mark.unit


class RecordingLink:
    """A `PeerLink` that records requests and answers from a script."""

    def __init__(self, *answers: bytes | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[tuple[str, str, int, bytes]] = []

    def call(self, channel_id: str, txid: str, message_type: int, payload: bytes) -> bytes:
        self.requests.append((channel_id, txid, message_type, payload))
        answer = self.answers.pop(0) if self.answers else b""
        if isinstance(answer, Exception):
            raise answer
        return answer


def stub(link: RecordingLink) -> FabricStub:
    return FabricStub(link, "ch", "tx-1", decode_proposal(signed_proposal("AMSP", T0, "tx-1")))


def test_creator_and_timestamp_come_from_the_signed_proposal() -> None:
    header = decode_proposal(signed_proposal("PharmacyMSP", T0, "tx-1", certificate=FAKE_PEM))
    assert header.creator.msp_id == "PharmacyMSP"
    assert header.creator.certificate_pem == FAKE_PEM
    assert header.timestamp == T0
    assert header.timestamp.tzinfo is UTC


def test_a_config_transaction_header_is_accepted() -> None:
    decode_proposal(signed_proposal("AMSP", T0, "tx", header_type=pb.CONFIG))


@pytest.mark.parametrize("header_type", [0, 2, 4, 5, 6])
def test_other_header_types_are_refused(header_type: int) -> None:
    with pytest.raises(ProposalError):
        decode_proposal(signed_proposal("AMSP", T0, "tx", header_type=header_type))


def test_an_undecodable_proposal_is_refused() -> None:
    with pytest.raises(ProposalError):
        decode_proposal(pb.proposal.SignedProposal(proposal_bytes=b"\xff\xff\xff"))
    with pytest.raises(ProposalError):
        decode_proposal(pb.proposal.SignedProposal(proposal_bytes=b""))


def test_a_creator_without_msp_id_is_refused() -> None:
    with pytest.raises(ProposalError):
        decode_proposal(signed_proposal("", T0, "tx"))


def test_timestamps_keep_microseconds() -> None:
    stamp = pb.common.ChannelHeader().timestamp
    stamp.seconds, stamp.nanos = 1_767_605_415, 123_456_789
    assert timestamp_to_datetime(stamp) == datetime(2026, 1, 5, 9, 30, 15, 123456, tzinfo=UTC)


def test_without_a_proposal_the_caller_is_unknown() -> None:
    bare = FabricStub(RecordingLink(), "ch", "tx", None)
    assert bare.get_txid() == "tx"
    with pytest.raises(ProposalError):
        bare.get_creator()
    with pytest.raises(ProposalError):
        bare.get_tx_timestamp()


def test_requests_are_tagged_with_the_channel_and_transaction() -> None:
    link = RecordingLink(b"value")
    assert stub(link).get_state("k") == b"value"
    channel, txid, kind, payload = link.requests[0]
    assert (channel, txid, kind) == ("ch", "tx-1", pb.GET_STATE)
    request = pb.shim.GetState.FromString(payload)
    assert (request.key, request.collection) == ("k", "")


def test_put_and_delete_need_a_key_and_put_a_value() -> None:
    s = stub(RecordingLink())
    with pytest.raises(ValueError, match="non-empty"):
        s.put_state("k", b"")
    with pytest.raises(ValueError, match="non-empty"):
        s.put_state("", b"v")
    with pytest.raises(ValueError, match="key"):
        s.delete_state("")


def test_composite_key_parts_may_not_hold_the_range_end_rune() -> None:
    s = stub(RecordingLink())
    with pytest.raises(ValueError, match="U\\+10FFFF"):
        s.get_state_by_partial_composite_key("org", ["a\U0010ffff"])
    with pytest.raises(ValueError, match="U\\+0000"):
        s.get_state_by_partial_composite_key("org", ["a\x00"])


def test_only_the_last_event_is_kept_and_it_needs_a_name() -> None:
    s = stub(RecordingLink())
    s.set_event("First", b"1")
    s.set_event("Second", b"2")
    assert s.event == ("Second", b"2")
    with pytest.raises(ValueError, match="name"):
        s.set_event("", b"x")


def test_a_failed_request_is_remembered_even_if_caught() -> None:
    s = stub(RecordingLink(PeerError("no"), b"fine"))
    with pytest.raises(PeerError):
        s.get_state("a")
    assert s.get_state("b") == b"fine"
    assert isinstance(s.failure, PeerError)
