"""The app served by a real uvicorn over the small network, with a token per actor."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from services.api import create_app
from tests.e2e.served import ServedApp
from tests.integration.api.support import tokens_for
from tests.support.network import SmallNetwork


@dataclass
class Served:
    served: ServedApp
    network: SmallNetwork
    tokens: dict[str, str]

    @property
    def base(self) -> str:
        return self.served.base

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}


@pytest.fixture
def served(network: SmallNetwork) -> Iterator[Served]:
    tokens = tokens_for(network)
    with ServedApp(create_app(network.rt)) as app:
        yield Served(app, network, tokens)
