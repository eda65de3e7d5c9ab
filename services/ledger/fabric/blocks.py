"""Committed blocks read through the query system chaincode (qscc), evaluated via the gateway.

`GetChainInfo` gives the height; `GetBlockByNumber` a whole block, from which
`contract_events` extracts this contract's events with the same rules the peer's gateway applies
when it streams chaincode events (valid endorser transactions only, in transaction order, events
with a chaincode id, name and transaction id). The events reader needs both: the height bounds a
read, and the blocks tell which is the last one holding an event, and the exact transaction
timestamp when an event's payload does not carry one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.identity import OrgIdentity
from services.ledger.errors import EndorseError, LedgerError
from services.ledger.fabric import protos, transaction
from services.ledger.fabric.gateway import Connection
from services.ledger.fabric.proposal import from_timestamp, new_proposal

QSCC = "qscc"
_ENDORSER_TRANSACTION = 3  # common.HeaderType.ENDORSER_TRANSACTION
_TRANSACTIONS_FILTER = 2  # common.BlockMetadataIndex.TRANSACTIONS_FILTER
_VALID = 0


@dataclass(frozen=True, slots=True)
class BlockEvent:
    """A contract event as it sits in a block.

    `ordinal` is its position among this contract's events in the block (what the gateway's
    event stream lets a client count); `tx_index` is its transaction's position in the block.
    """

    block: int
    ordinal: int
    tx_index: int
    tx_id: str
    name: str
    payload: bytes
    timestamp: datetime


class LedgerQueries:
    """qscc queries on the channel, signed by one identity, through one gateway peer."""

    def __init__(self, connection: Connection, signer: OrgIdentity) -> None:
        self._connection = connection.for_chaincode(QSCC)
        self._signer = signer
        self._chaincode = connection.chaincode

    def height(self) -> int:
        """Number of committed blocks (genesis included)."""
        info = protos.ledger.BlockchainInfo.FromString(self._query("GetChainInfo"))
        return int(info.height)

    def contract_events(self, number: int) -> list[BlockEvent]:
        """This contract's events in block `number`."""
        raw = self._query("GetBlockByNumber", str(number))
        return contract_events(protos.common.Block.FromString(raw), self._chaincode)

    def _query(self, function: str, *args: str) -> bytes:
        proposal = new_proposal(
            self._signer,
            channel=self._connection.channel,
            chaincode=QSCC,
            function=function,
            args=(self._connection.channel, *args),
            at=self._connection.clock(),
        )
        try:
            return transaction.evaluate(self._connection, proposal)
        except EndorseError as exc:  # qscc has no coded refusals: report, don't disguise
            raise LedgerError(
                f"qscc {function} failed: {exc.error.message}", tx_id=proposal.tx_id
            ) from exc


def contract_events(block: Any, chaincode: str) -> list[BlockEvent]:
    """The events of `chaincode` in a `common.Block`, filtered as the peer's gateway does."""
    number = int(block.header.number)
    flags = _validation_flags(block)
    found: list[BlockEvent] = []
    for index, envelope_bytes in enumerate(block.data.data):
        if index >= len(flags) or flags[index] != _VALID:
            continue
        payload = protos.common.Payload.FromString(
            protos.common.Envelope.FromString(envelope_bytes).payload
        )
        header = protos.common.ChannelHeader.FromString(payload.header.channel_header)
        if int(header.type) != _ENDORSER_TRANSACTION:
            continue
        for event in _transaction_events(payload.data):
            if event.chaincode_id != chaincode or not event.event_name or not event.tx_id:
                continue
            found.append(
                BlockEvent(
                    block=number,
                    ordinal=len(found),
                    tx_index=index,
                    tx_id=str(event.tx_id),
                    name=str(event.event_name),
                    payload=bytes(event.payload),
                    timestamp=from_timestamp(header.timestamp),
                )
            )
    return found


def _validation_flags(block: Any) -> bytes:
    metadata = block.metadata.metadata
    return bytes(metadata[_TRANSACTIONS_FILTER]) if len(metadata) > _TRANSACTIONS_FILTER else b""


def _transaction_events(data: bytes) -> list[Any]:
    """The chaincode event of each action of an endorser transaction (unreadable ones skipped)."""
    events = []
    for action in protos.transaction.Transaction.FromString(data).actions:
        try:
            action_payload = protos.transaction.ChaincodeActionPayload.FromString(action.payload)
            response_payload = protos.proposal_response.ProposalResponsePayload.FromString(
                action_payload.action.proposal_response_payload
            )
            chaincode_action = protos.proposal.ChaincodeAction.FromString(
                response_payload.extension
            )
            events.append(protos.chaincode_event.ChaincodeEvent.FromString(chaincode_action.events))
        except protos.DecodeError:
            continue  # the gateway skips such actions too
    return events
