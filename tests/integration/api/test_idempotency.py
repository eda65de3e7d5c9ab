"""Idempotency-Key: replays, key reuse, what is stored, and a crash between commit and answer."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlmodel import Session, select

from services.domain import shipments
from services.errors import from_ledger
from services.ledger import LedgerUnavailableError
from services.readmodel.db import writer
from services.readmodel.tables import IdempotencyRecord, Shipment
from tests.integration.api.support import (
    API,
    Auth,
    TestClient,
    assert_error,
    count,
    holding,
    recorded,
)
from tests.support.network import SmallNetwork

pytestmark = pytest.mark.integration

REPLAYED = "Idempotent-Replayed"


def shipment(
    network: SmallNetwork, quantity: int = 2, receiver: str = "PharmacyBMSP"
) -> dict[str, Any]:
    return {
        "receiver": receiver,
        "lines": [{"gtin": network.gtin, "lot": network.lot, "quantity": quantity}],
    }


def forget_answers(network: SmallNetwork) -> None:
    """What a crash between the ledger commit and storing the answer leaves: no record."""
    with Session(writer(network.rt.engine)) as session:
        for record in session.exec(select(IdempotencyRecord)).all():
            session.delete(record)
        session.commit()


def keyed(auth: Auth, name: str, key: str) -> dict[str, str]:
    return auth(name, **{"Idempotency-Key": key})


def test_same_key_same_request_ships_once_and_replays_the_answer(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    height, shipments_before = network.rt.ledger.height(), count(network.rt, Shipment)
    first = client.post(
        f"{API}/shipments", json=shipment(network), headers=keyed(auth, "wholesaler", "k-1")
    )
    second = client.post(
        f"{API}/shipments", json=shipment(network), headers=keyed(auth, "wholesaler", "k-1")
    )
    assert first.status_code == second.status_code == 201
    assert first.content == second.content
    assert REPLAYED not in first.headers
    assert second.headers[REPLAYED] == "true"
    assert network.rt.ledger.height() == height + 1
    assert count(network.rt, Shipment) == shipments_before + 1
    assert holding(network.rt, network.gtin, network.lot, "WholesaleMSP") == 8


def test_key_order_and_spacing_of_the_body_do_not_matter(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    body = shipment(network)
    client.post(f"{API}/shipments", json=body, headers=keyed(auth, "wholesaler", "k-2"))
    reordered = (
        b'{ "lines": [{"quantity": 2, "lot": "%s", "gtin": "%s"}],  "receiver": "PharmacyBMSP" }'
        % (network.lot.encode(), network.gtin.encode())
    )
    headers = keyed(auth, "wholesaler", "k-2") | {"Content-Type": "application/json"}
    replay = client.post(f"{API}/shipments", content=reordered, headers=headers)
    assert replay.headers[REPLAYED] == "true"


def test_same_key_with_another_request_is_409_and_records_nothing(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    client.post(
        f"{API}/shipments", json=shipment(network), headers=keyed(auth, "wholesaler", "k-3")
    )
    before = recorded(network.rt)
    other_body = client.post(
        f"{API}/shipments", json=shipment(network, 3), headers=keyed(auth, "wholesaler", "k-3")
    )
    assert_error(other_body, 409, "IDEMPOTENCY_KEY_REUSED")
    other_route = client.post(
        f"{API}/packs/decommission",
        json={"code": network.code(network.serials[0]), "status": "destroyed"},
        headers=keyed(auth, "wholesaler", "k-3"),
    )
    assert_error(other_route, 409, "IDEMPOTENCY_KEY_REUSED")
    assert recorded(network.rt) == before


def test_keys_are_scoped_to_the_organization(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    by_wholesaler = client.post(
        f"{API}/shipments", json=shipment(network), headers=keyed(auth, "wholesaler", "shared")
    )
    by_pharmacy = client.post(
        f"{API}/shipments",
        json=shipment(network, 1, receiver="WholesaleMSP"),
        headers=keyed(auth, "pharmacy_a", "shared"),
    )
    assert by_wholesaler.status_code == by_pharmacy.status_code == 201
    ids = {r.json()["shipment"]["shipment_id"] for r in (by_wholesaler, by_pharmacy)}
    assert len(ids) == 2


def test_crash_after_commit_before_the_answer_was_stored_still_ships_once(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    first = client.post(
        f"{API}/shipments", json=shipment(network), headers=keyed(auth, "wholesaler", "k-4")
    )
    assert first.status_code == 201
    forget_answers(network)
    height = network.rt.ledger.height()
    retry = client.post(
        f"{API}/shipments", json=shipment(network), headers=keyed(auth, "wholesaler", "k-4")
    )
    assert retry.status_code == 200, retry.text
    assert retry.json() == first.json()
    assert network.rt.ledger.height() == height
    with network.rt.session() as session:
        outgoing = session.exec(select(Shipment).where(Shipment.sender == "WholesaleMSP")).all()
    assert len(outgoing) == 2  # the network's own, and this one: once
    assert holding(network.rt, network.gtin, network.lot, "WholesaleMSP") == 8
    replay = client.post(
        f"{API}/shipments", json=shipment(network), headers=keyed(auth, "wholesaler", "k-4")
    )
    assert replay.status_code == 200
    assert replay.headers[REPLAYED] == "true"


def test_crash_then_retry_with_another_body_is_refused(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    client.post(
        f"{API}/shipments", json=shipment(network), headers=keyed(auth, "wholesaler", "k-5")
    )
    forget_answers(network)
    before = recorded(network.rt)
    retry = client.post(
        f"{API}/shipments", json=shipment(network, 5), headers=keyed(auth, "wholesaler", "k-5")
    )
    assert_error(retry, 409, "SHIPMENT_EXISTS")
    assert recorded(network.rt).height == before.height
    assert holding(network.rt, network.gtin, network.lot, "WholesaleMSP") == 8


def test_final_refusals_are_replayed(client: TestClient, auth: Auth, network: SmallNetwork) -> None:
    first = client.post(
        f"{API}/shipments", json=shipment(network, 99), headers=keyed(auth, "wholesaler", "k-6")
    )
    assert_error(first, 409, "INSUFFICIENT_QUANTITY")
    again = client.post(
        f"{API}/shipments", json=shipment(network, 99), headers=keyed(auth, "wholesaler", "k-6")
    )
    assert_error(again, 409, "INSUFFICIENT_QUANTITY")
    assert again.headers[REPLAYED] == "true"
    assert again.content == first.content


def test_retryable_failures_are_not_stored(
    client: TestClient, auth: Auth, network: SmallNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    def ledger_down(*_args: object, **_kwargs: object) -> None:
        raise from_ledger(LedgerUnavailableError("peer unreachable"))

    with monkeypatch.context() as patch:
        patch.setattr(shipments, "ship", ledger_down)
        down = client.post(
            f"{API}/shipments", json=shipment(network), headers=keyed(auth, "wholesaler", "k-7")
        )
    body = assert_error(down, 503, "LEDGER_UNAVAILABLE")
    assert body["retryable"] is True
    assert down.headers["Retry-After"] == "1"
    assert count(network.rt, IdempotencyRecord) == 0
    retry = client.post(
        f"{API}/shipments", json=shipment(network), headers=keyed(auth, "wholesaler", "k-7")
    )
    assert retry.status_code == 201
    assert REPLAYED not in retry.headers


def test_requests_refused_before_the_route_are_not_stored(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    invalid = client.post(
        f"{API}/shipments",
        json={"receiver": "PharmacyBMSP"},
        headers=keyed(auth, "wholesaler", "k-8"),
    )
    assert_error(invalid, 422, "INVALID_REQUEST")
    wrong_role = client.post(
        f"{API}/shipments", json=shipment(network), headers=keyed(auth, "regulator", "k-8")
    )
    assert_error(wrong_role, 403, "FORBIDDEN_ROLE")
    assert count(network.rt, IdempotencyRecord) == 0
    valid = client.post(
        f"{API}/shipments", json=shipment(network), headers=keyed(auth, "wholesaler", "k-8")
    )
    assert valid.status_code == 201


def test_other_writes_replay_too(client: TestClient, auth: Auth, network: SmallNetwork) -> None:
    body = {"gtin": "09506000134369", "name": "Ibuprofen 400 mg"}
    first = client.post(f"{API}/products", json=body, headers=keyed(auth, "maker", "p-1"))
    again = client.post(f"{API}/products", json=body, headers=keyed(auth, "maker", "p-1"))
    unkeyed = client.post(f"{API}/products", json=body, headers=auth("maker"))
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers[REPLAYED] == "true"
    assert_error(unkeyed, 409, "PRODUCT_EXISTS")


def test_concurrent_retries_with_one_key_ship_once(
    client: TestClient, auth: Auth, network: SmallNetwork
) -> None:
    shipments_before = count(network.rt, Shipment)

    def send(_: int) -> int:
        response = client.post(
            f"{API}/shipments", json=shipment(network), headers=keyed(auth, "wholesaler", "race")
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(send, range(4)))
    assert statuses.count(201) >= 1
    assert set(statuses) <= {200, 201}
    # Racing endorsements may leave an invalidated transaction in a block (as on Fabric), but
    # only one valid shipment, and stock moved once.
    assert count(network.rt, Shipment) == shipments_before + 1
    assert holding(network.rt, network.gtin, network.lot, "WholesaleMSP") == 8
