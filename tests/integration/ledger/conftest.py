"""Fixtures of the ledger integration tests: the small network's embedded ledger and signers."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from services.identity import OrgIdentity
from services.ledger.embedded import EmbeddedLedger
from tests.support.network import SmallNetwork


@pytest.fixture
def ledger(network: SmallNetwork) -> EmbeddedLedger:
    ledger = network.rt.ledger
    assert isinstance(ledger, EmbeddedLedger)
    return ledger


@pytest.fixture
def signer(network: SmallNetwork) -> Callable[[str], OrgIdentity]:
    """The service identity of an organization of the small network."""
    return network.rt.identity
