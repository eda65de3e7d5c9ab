"""The ledger interface the contract is written against.

A synchronous subset of the Fabric chaincode shim's stub, with the shim's method names. The embedded
ledger implements it directly; the Fabric chaincode service adapts the (asynchronous) shim stub to
it. Keeping the contract synchronous keeps it simple to read and to test with a dictionary.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

# Fabric's composite-key layout: U+0000, object type, U+0000, each attribute followed by U+0000.
COMPOSITE_KEY_NAMESPACE = "\x00"
MIN_UNICODE_RUNE = "\x00"


@dataclass(frozen=True, slots=True)
class Creator:
    """The submitting identity: its MSP ID and its X.509 certificate (PEM)."""

    msp_id: str
    certificate_pem: bytes


@dataclass(frozen=True, slots=True)
class KeyModification:
    """One entry of a key's history, as Fabric's GetHistoryForKey returns it."""

    tx_id: str
    timestamp: datetime
    value: bytes
    is_delete: bool


class ChaincodeStub(Protocol):
    """What a transaction may see and do.

    As on Fabric, reads see the committed state only, never the transaction's own writes, and
    only the last event set survives; the contract is written so that neither matters.
    """

    def get_txid(self) -> str: ...

    def get_tx_timestamp(self) -> datetime: ...

    def get_creator(self) -> Creator: ...

    def get_state(self, key: str) -> bytes: ...

    def put_state(self, key: str, value: bytes) -> None: ...

    def delete_state(self, key: str) -> None: ...

    def get_state_by_partial_composite_key(
        self, object_type: str, attributes: list[str]
    ) -> Iterator[tuple[str, bytes]]: ...

    def get_history_for_key(self, key: str) -> Iterator[KeyModification]:
        """Every committed version of `key`, newest first (Fabric's order since v2.0)."""
        ...

    def set_event(self, name: str, payload: bytes) -> None: ...


def create_composite_key(object_type: str, attributes: list[str]) -> str:
    """Fabric's composite key; identical bytes on both ledgers so range scans agree."""
    for part in (object_type, *attributes):
        if MIN_UNICODE_RUNE in part:
            raise ValueError("composite key parts must not contain U+0000")
    return (
        COMPOSITE_KEY_NAMESPACE
        + object_type
        + MIN_UNICODE_RUNE
        + "".join(attribute + MIN_UNICODE_RUNE for attribute in attributes)
    )


def split_composite_key(key: str) -> tuple[str, list[str]]:
    """Inverse of `create_composite_key`."""
    if not key.startswith(COMPOSITE_KEY_NAMESPACE):
        raise ValueError("not a composite key")
    parts = key[1:].split(MIN_UNICODE_RUNE)
    return parts[0], parts[1:-1]
