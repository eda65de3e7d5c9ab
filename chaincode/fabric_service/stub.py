"""The contract's synchronous `ChaincodeStub`, carried over the peer's chaincode stream.

Each state call is one request to the peer, tagged with the transaction's (channel, txid), and
blocks the transaction's worker thread until the peer answers RESPONSE or ERROR. An ERROR is
raised as `PeerError`, never returned as a value, and the stub remembers it so that a transaction
whose code swallowed it still fails (see `FabricStub.failure`).

Creator and timestamp come from the signed proposal the peer forwards with the transaction, as in
Fabric's Go shim: proposal header → channel header (timestamp, header type) and signature header
→ `msp.SerializedIdentity` (MSP ID, PEM certificate).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from chaincode.fabric_service import _protos as pb
from chaincode.stub import Creator, KeyModification, create_composite_key

# Fabric's end of a partial-composite-key range: U+10FFFF, the maximum code point, which may not
# appear in a composite key part (the Go shim refuses it as it refuses U+0000).
MAX_UNICODE_RUNE = "\U0010ffff"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class PeerError(Exception):
    """The peer answered a request with ERROR (or with a message type it should not send).

    The text is the peer's; it may name keys, so it is never logged.
    """


class StreamClosedError(Exception):
    """The stream to the peer ended while a transaction was waiting for it."""


class PeerTimeoutError(Exception):
    """The peer did not answer a request in time."""


class ProposalError(ValueError):
    """The transaction's signed proposal cannot be decoded."""


class PeerLink(Protocol):
    """Sends one request for a transaction and returns the peer's RESPONSE payload.

    Raises `PeerError` when the peer answers ERROR; `StreamClosedError` or `PeerTimeoutError`
    when it cannot answer.
    """

    def call(self, channel_id: str, txid: str, message_type: int, payload: bytes) -> bytes: ...


@dataclass(frozen=True, slots=True)
class ProposalHeader:
    """What the contract may learn from the signed proposal."""

    creator: Creator
    timestamp: datetime


def timestamp_to_datetime(stamp: pb.Message) -> datetime:
    """A `google.protobuf.Timestamp` as an aware UTC datetime (microsecond precision)."""
    return _EPOCH + timedelta(seconds=int(stamp.seconds), microseconds=int(stamp.nanos) // 1000)


def decode_proposal(signed_proposal: pb.Message) -> ProposalHeader:
    """Creator and timestamp of a `protos.SignedProposal`, checked like the Go shim checks them."""
    try:
        proposal = pb.proposal.Proposal.FromString(signed_proposal.proposal_bytes)
        if not proposal.header:
            raise ProposalError("the proposal has no header")
        header = pb.common.Header.FromString(proposal.header)
        channel_header = pb.common.ChannelHeader.FromString(header.channel_header)
        if channel_header.type not in (pb.ENDORSER_TRANSACTION, pb.CONFIG):
            raise ProposalError(f"unexpected channel header type {channel_header.type}")
        signature_header = pb.common.SignatureHeader.FromString(header.signature_header)
        identity = pb.identities.SerializedIdentity.FromString(signature_header.creator)
    except ProposalError:
        raise
    except Exception as exc:  # protobuf's DecodeError and friends
        raise ProposalError(
            f"the signed proposal cannot be decoded ({type(exc).__name__})"
        ) from exc
    if not identity.mspid:
        raise ProposalError("the proposal's creator has no MSP ID")
    return ProposalHeader(
        creator=Creator(msp_id=str(identity.mspid), certificate_pem=bytes(identity.id_bytes)),
        timestamp=timestamp_to_datetime(channel_header.timestamp),
    )


class FabricStub:
    """`chaincode.stub.ChaincodeStub` for one transaction, over the peer stream."""

    def __init__(
        self, link: PeerLink, channel_id: str, txid: str, header: ProposalHeader | None
    ) -> None:
        self._link = link
        self.channel_id = channel_id
        self._txid = txid
        self._header = header
        self.event: tuple[str, bytes] | None = None
        self.failure: Exception | None = None  # the first failed peer request, even if caught

    # -- transaction facts -----------------------------------------------------------------
    def get_txid(self) -> str:
        return self._txid

    def get_tx_timestamp(self) -> datetime:
        return self._proposal_header().timestamp

    def get_creator(self) -> Creator:
        return self._proposal_header().creator

    def _proposal_header(self) -> ProposalHeader:
        if self._header is None:
            raise ProposalError("the transaction carries no signed proposal")
        return self._header

    # -- state -----------------------------------------------------------------------------
    def get_state(self, key: str) -> bytes:
        """The committed value, or b"" when the key does not exist (Fabric's nil)."""
        request = pb.shim.GetState(key=key, collection="")
        return self._call(pb.GET_STATE, request)

    def put_state(self, key: str, value: bytes) -> None:
        if not key or not value:  # same rule as the embedded ledger; Fabric reads b"" as a delete
            raise ValueError("put_state needs a key and a non-empty value")
        self._call(pb.PUT_STATE, pb.shim.PutState(key=key, value=bytes(value), collection=""))

    def delete_state(self, key: str) -> None:
        if not key:
            raise ValueError("delete_state needs a key")
        self._call(pb.DEL_STATE, pb.shim.DelState(key=key, collection=""))

    def get_state_by_partial_composite_key(
        self, object_type: str, attributes: list[str]
    ) -> Iterator[tuple[str, bytes]]:
        """Fabric's partial-composite-key range: [key(type, attrs), key(type, attrs) + U+10FFFF).

        All pages are fetched before returning (the peer sends 100 results per page), so the
        iterator never talks to the peer after the call returns.
        """
        for part in (object_type, *attributes):
            if MAX_UNICODE_RUNE in part:
                raise ValueError("composite key parts must not contain U+10FFFF")
        start = create_composite_key(object_type, attributes)
        request = pb.shim.GetStateByRange(
            startKey=start, endKey=start + MAX_UNICODE_RUNE, collection=""
        )
        first = pb.shim.QueryResponse.FromString(self._call(pb.GET_STATE_BY_RANGE, request))
        pairs: list[tuple[str, bytes]] = []
        for raw in self._pages(first):
            kv = pb.queryresult.KV.FromString(raw)
            pairs.append((str(kv.key), bytes(kv.value)))
        return iter(pairs)

    def get_history_for_key(self, key: str) -> Iterator[KeyModification]:
        """Every committed version of `key` (Fabric returns them newest first)."""
        request = pb.shim.GetHistoryForKey(key=key)
        first = pb.shim.QueryResponse.FromString(self._call(pb.GET_HISTORY_FOR_KEY, request))
        entries: list[KeyModification] = []
        for raw in self._pages(first):
            modification = pb.queryresult.KeyModification.FromString(raw)
            entries.append(
                KeyModification(
                    tx_id=str(modification.tx_id),
                    timestamp=timestamp_to_datetime(modification.timestamp),
                    value=bytes(modification.value),
                    is_delete=bool(modification.is_delete),
                )
            )
        return iter(entries)

    def set_event(self, name: str, payload: bytes) -> None:
        """Fabric keeps one event per transaction: the last one set."""
        if not name:
            raise ValueError("an event needs a name")
        self.event = (name, bytes(payload))

    # -- the query protocol ------------------------------------------------------------------
    def query_state_next(self, iterator_id: str) -> pb.Message:
        """The next page of an open peer iterator."""
        raw = self._call(pb.QUERY_STATE_NEXT, pb.shim.QueryStateNext(id=iterator_id))
        return pb.shim.QueryResponse.FromString(raw)

    def query_state_close(self, iterator_id: str) -> None:
        self._call(pb.QUERY_STATE_CLOSE, pb.shim.QueryStateClose(id=iterator_id))

    def _pages(self, response: pb.Message) -> Iterator[bytes]:
        """The result bytes of every page, following `has_more` with QUERY_STATE_NEXT.

        The peer drops an iterator once it is exhausted; one left open by a failure is closed
        here (best effort: the peer also drops them when the transaction ends).
        """
        try:
            while True:
                for result in response.results:
                    yield bytes(result.resultBytes)
                if not response.has_more:
                    return
                response = self.query_state_next(str(response.id))
        except BaseException:
            if response.has_more and response.id:
                with contextlib.suppress(Exception):  # the original failure is the one to report
                    self.query_state_close(str(response.id))
            raise

    def _call(self, message_type: int, request: pb.Message) -> bytes:
        try:
            return self._link.call(
                self.channel_id, self._txid, message_type, request.SerializeToString()
            )
        except Exception as exc:
            if self.failure is None:
                self.failure = exc
            raise
