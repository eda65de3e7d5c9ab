"""Helpers of the API tests: error-shape assertions and snapshots of everything recorded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlmodel import SQLModel, func, select

from services.auth.tokens import create_token
from services.readmodel.tables import (
    Batch,
    Holding,
    IdempotencyRecord,
    LedgerEvent,
    Organization,
    Pack,
    Product,
    Scan,
    SerialNumber,
    Shipment,
    ShipmentLine,
)
from services.runtime import Runtime
from tests.support.network import SmallNetwork

__all__ = [
    "ACTORS",
    "API",
    "Auth",
    "Recorded",
    "TestClient",
    "assert_error",
    "count",
    "holding",
    "recorded",
    "tokens_for",
]

API = "/api/v1"
ACTORS = ("regulator", "maker", "maker2", "wholesaler", "pharmacy_a", "pharmacy_b")

Auth = Callable[..., dict[str, str]]
OPTIONAL_ERROR_KEYS = {"retryable", "tx_id", "details"}
# Every table a refused request must leave alone (scans are the verifier's log, compared apart).
RECORDED_TABLES: tuple[type[SQLModel], ...] = (
    Organization,
    Product,
    Batch,
    Holding,
    Shipment,
    ShipmentLine,
    Pack,
    LedgerEvent,
    SerialNumber,
    IdempotencyRecord,
)


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is a JSON error of `status` (and `code`): string code and message, no more
    than the optional keys."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    for key in ("code", "message"):
        assert isinstance(body.get(key), str), body
        assert body[key], body
    assert set(body) - {"code", "message"} <= OPTIONAL_ERROR_KEYS, body
    if code is not None:
        assert body["code"] == code, body
    return body


@dataclass(frozen=True)
class Recorded:
    """The ledger height and every recorded read-model row, for before/after comparisons."""

    height: int
    rows: dict[str, list[dict[str, Any]]]
    scans: int


def recorded(rt: Runtime) -> Recorded:
    with rt.session() as session:
        rows = {
            table.__name__: sorted(
                (row.model_dump() for row in session.exec(select(table))), key=repr
            )
            for table in RECORDED_TABLES
        }
        scans = session.exec(select(func.count()).select_from(Scan)).one()
    return Recorded(rt.ledger.height(), rows, scans)


def holding(rt: Runtime, gtin: str, lot: str, msp_id: str) -> int:
    with rt.session() as session:
        row = session.get(Holding, (gtin, lot, msp_id))
    return row.quantity if row else 0


def count(rt: Runtime, table: type[SQLModel]) -> int:
    with rt.session() as session:
        return session.exec(select(func.count()).select_from(table)).one()


def tokens_for(network: SmallNetwork) -> dict[str, str]:
    """One API token per actor of the small network, named like its attributes."""
    tokens = {}
    for name in ACTORS:
        actor = getattr(network, name)
        tokens[name] = create_token(
            network.rt, user=actor.user, msp_id=actor.msp_id, location=actor.location
        )
    return tokens
