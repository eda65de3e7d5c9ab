"""Fixtures of the API tests: the app over the small network, a client, a token per actor."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.api import create_app
from tests.integration.api.support import Auth, TestClient, tokens_for
from tests.support.network import SmallNetwork


@pytest.fixture
def client(network: SmallNetwork) -> Iterator[TestClient]:
    with TestClient(create_app(network.rt)) as test_client:
        yield test_client


@pytest.fixture
def tokens(network: SmallNetwork) -> dict[str, str]:
    return tokens_for(network)


@pytest.fixture
def auth(tokens: dict[str, str]) -> Auth:
    """`auth("pharmacy_a", **{"Idempotency-Key": "k"})` → request headers for that actor."""

    def headers(name: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[name]}", **extra}

    return headers
